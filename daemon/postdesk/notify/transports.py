"""Where outgoing mail goes: a folder of .eml files, or an SMTP relay.

Both are safe to call twice for the same message: the maildir transport
names the file after the Message-ID (a retry replaces the same file), and
the SMTP relay receives the same Message-ID, which receivers deduplicate.
A required STARTTLS that the relay does not offer is an error, never a
silent downgrade to plain text.
"""

from __future__ import annotations

import hashlib
import os
import smtplib
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from postdesk.errors import ConfigError, PostdeskError, TemporaryFailure


class PermanentFailure(PostdeskError):
    """The relay refused the mail for good (5xx): retrying will not help."""


@dataclass(frozen=True)
class Envelope:
    mail_from: str
    recipients: tuple[str, ...]


class Transport(Protocol):
    def send(self, raw: bytes, envelope: Envelope, message_id: str) -> str:
        """Deliver; return a short description of where it went."""
        ...


class MaildirTransport:
    """One complete .eml file per message, written atomically (tmp file, fsync, rename)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, raw: bytes, envelope: Envelope, message_id: str) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha256(message_id.encode()).hexdigest()[:24] + ".eml"
        target = self.folder / name
        # not "*.eml" until complete: whoever watches the folder sees whole mails only
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".part", dir=self.folder)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(raw)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(self.folder)
        return str(target)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class SmtpTransport:
    """Relay through an SMTP server: smtp://[user:password@]host:port, smtps:// for implicit TLS."""

    def __init__(self, url: str, *, starttls: str = "opportunistic", timeout: float = 30) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ConfigError(f"[outgoing] transport: not an SMTP URL: {url!r}")
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.implicit_tls else 25)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.starttls = starttls
        self.timeout = timeout

    def send(self, raw: bytes, envelope: Envelope, message_id: str) -> str:
        try:
            with self._connect() as client:
                refused = client.sendmail(envelope.mail_from, list(envelope.recipients), raw)
        except smtplib.SMTPRecipientsRefused as exc:
            raise _classify_refusal(exc.recipients) from exc
        except smtplib.SMTPResponseException as exc:
            text = exc.smtp_error.decode(errors="replace") if isinstance(
                exc.smtp_error, bytes) else str(exc.smtp_error)
            error = f"relay {self.host}:{self.port} said {exc.smtp_code} {text}"
            if 500 <= exc.smtp_code < 600:
                raise PermanentFailure(error) from exc
            raise TemporaryFailure(error) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise TemporaryFailure(f"relay {self.host}:{self.port}: {exc}") from exc
        if refused:
            raise _classify_refusal(refused)
        return f"smtp://{self.host}:{self.port}"

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.implicit_tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                                    context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            try:
                client.ehlo()
                if self.starttls != "off" and client.has_extn("starttls"):
                    client.starttls(context=context)
                    client.ehlo()
                elif self.starttls == "required":
                    raise TemporaryFailure(
                        f"relay {self.host}:{self.port} does not offer STARTTLS and "
                        "[outgoing] starttls = 'required': not sending in plain text"
                    )
            except BaseException:
                client.close()
                raise
        if self.user:
            client.login(self.user, self.password or "")
        return client


def _classify_refusal(refused: dict[str, tuple[int, bytes]]) -> PostdeskError:
    details = "; ".join(
        f"{rcpt}: {code} {msg.decode(errors='replace')}" for rcpt, (code, msg) in refused.items()
    )
    if all(500 <= code < 600 for code, _ in refused.values()):
        return PermanentFailure(f"recipient refused: {details}")
    return TemporaryFailure(f"recipient deferred: {details}")


def transport_from_url(url: str, *, starttls: str, timeout: float) -> Transport:
    if url.startswith("maildir:"):
        return MaildirTransport(Path(url.removeprefix("maildir:")))
    return SmtpTransport(url, starttls=starttls, timeout=timeout)
