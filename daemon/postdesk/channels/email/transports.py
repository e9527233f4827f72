"""Where outgoing mail goes: a folder of .eml files, or an SMTP relay.

The `maildir:PATH` transport writes one `.eml` file per mail into PATH, and
nothing else that `ls PATH` shows: its temporary files live in the hidden
`PATH/.tmp/` (`durable_files`), and the stale ones a killed process left there
are deleted when the transport starts. PATH is a drop box that an operator
lists and a script picks mail up from, not a Maildir (`tmp/`, `new/`, `cur/`):
a mail reader opening a Maildir moves each file it shows from `new/` to `cur/`
under a new name, and a retry, which rewrites the file named after its
Message-ID, would then deliver that mail a second time. To read the mails in
mutt or Dovecot, make an mbox of them
(`for f in PATH/*.eml; do formail <"$f"; done >sent.mbox`) or store each one
with `doveadm save`.

Both are safe to call twice for the same message: the maildir transport
names the file after the Message-ID (a retry replaces the same file), and
the SMTP relay receives the same Message-ID, which receivers deduplicate.
A required STARTTLS that the relay does not offer is an error, never a
silent downgrade to plain text; how the connection is encrypted and checked is
`relay_tls`'s (as Postfix's `smtp_tls_security_level`).

`send_many` hands over several mails at once: the maildir transport makes
their files durable together, the relay carries them over one connection.
Each mail gets its own result, so one refusal fails that mail alone.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
import ssl
import time
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeAlias
from urllib.parse import unquote, urlsplit

from postdesk.channels.email import durable_files
from postdesk.channels.email.relay_tls import RelayTls
from postdesk.errors import ConfigError, PostdeskError, TemporaryFailure
from postdesk.mail.compose import wire_address

log = logging.getLogger(__name__)


class PermanentFailure(PostdeskError):
    """The relay refused the mail for good (5xx): retrying will not help."""


class Undeliverable(PermanentFailure):
    """No mail can be written to this address through this relay (a non-ASCII local part
    and no SMTPUTF8): not the relay's failure, nothing to retry, nothing to page about."""


class NotAttempted(TemporaryFailure):
    """The batch's time ran out before this mail was offered: it has not left."""


@dataclass(frozen=True)
class Envelope:
    mail_from: str
    recipients: tuple[str, ...]


@dataclass(frozen=True)
class Outgoing:
    """One mail for a transport: its bytes, its envelope and its Message-ID."""

    raw: bytes
    envelope: Envelope
    message_id: str


#: What a transport says about one mail: where it went, or why it did not go.
Result: TypeAlias = str | Exception


class Transport(Protocol):
    def send(self, raw: bytes, envelope: Envelope, message_id: str) -> str:
        """Deliver; return a short description of where it went."""
        ...

    def send_many(self, mails: Sequence[Outgoing], deadline: float | None = None
                  ) -> list[Result]:
        """Deliver each mail; a result per mail, in order: where it went, or the
        TemporaryFailure / PermanentFailure (or other error) that stopped it. A mail
        not begun by `deadline` (time.monotonic) comes back as NotAttempted."""
        ...


def only(results: list[Result]) -> str:
    """The single result of a one-mail `send_many`, raised if it is an error."""
    (result,) = results
    if isinstance(result, Exception):
        raise result
    return result


class MaildirTransport:
    """One complete .eml file per message, named after its Message-ID; a batch's files are
    made durable together (`durable_files`) before any of its mails counts as sent.
    Starting it clears the temporaries that a killed process left behind."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        try:
            removed = durable_files.remove_stale_temporaries(folder)
        except OSError as exc:  # the first send reports a folder that cannot be written
            log.warning("cannot clear stale temporary files in %s: %s", folder, exc)
            return
        if removed:
            log.info("removed %d temporary files that a stopped process left in %s",
                     len(removed), folder)

    def send(self, raw: bytes, envelope: Envelope, message_id: str) -> str:
        return only(self.send_many([Outgoing(raw, envelope, message_id)]))

    def send_many(self, mails: Sequence[Outgoing], deadline: float | None = None
                  ) -> list[Result]:
        self.folder.mkdir(parents=True, exist_ok=True)
        written = durable_files.write_all(
            self.folder, [(_file_name(mail.message_id), mail.raw) for mail in mails])
        return [str(result) if isinstance(result, Path)
                else TemporaryFailure(f"cannot write to {self.folder}: {result}")
                for result in written]


def _file_name(message_id: str) -> str:
    return hashlib.sha256(message_id.encode()).hexdigest()[:24] + ".eml"


class SmtpTransport:
    """Relay through an SMTP server: smtp://[user:password@]host:port, smtps:// for implicit TLS."""

    def __init__(self, url: str, *, starttls: str = "opportunistic", timeout: float = 30,
                 tls: RelayTls | None = None, helo_name: str = "") -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ConfigError(f"[outgoing] transport: not an SMTP URL: {url!r}")
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.implicit_tls else 25)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.tls = tls or RelayTls(mode=starttls)
        self.starttls = self.tls.mode
        self.timeout = timeout
        self.helo_name = helo_name or None  # None: smtplib's default, the machine's FQDN
        self._context = self.tls.context(implicit=self.implicit_tls)  # a bad CA file fails now

    def describe(self) -> str:
        """What the desk does with this relay, for the log at start."""
        return self.tls.describe(self.host, self.port, implicit=self.implicit_tls)

    def send(self, raw: bytes, envelope: Envelope, message_id: str) -> str:
        return only(self.send_many([Outgoing(raw, envelope, message_id)]))

    def send_many(self, mails: Sequence[Outgoing], deadline: float | None = None
                  ) -> list[Result]:
        """All mails over one connection. A mail the relay refuses fails alone (smtplib
        resets the transaction); a lost connection defers the mails not yet sent, and
        so does a slow relay that makes the batch outlast `deadline`."""
        try:
            client = self._connect()
        except (OSError, TemporaryFailure) as exc:
            return [self._failure(exc)] * len(mails)
        results: list[Result] = []
        try:
            for mail in mails:
                if deadline is not None and time.monotonic() > deadline:
                    break
                try:
                    options = self._utf8_options(client, mail.envelope)
                except Undeliverable as exc:
                    results.append(exc)
                    continue
                try:
                    refused = client.sendmail(
                        wire_address(mail.envelope.mail_from),
                        [wire_address(rcpt) for rcpt in mail.envelope.recipients], mail.raw,
                        mail_options=options)
                except OSError as exc:  # smtplib's errors are OSErrors too
                    results.append(self._failure(exc))
                    if _connection_lost(exc):
                        break  # the rest wait for the next try
                    continue
                results.append(_classify_refusal(refused) if refused
                               else f"smtp://{self.host}:{self.port}")
        finally:
            with suppress(OSError):
                client.quit()
            client.close()
        left = NotAttempted(f"relay {self.host}:{self.port}: not offered before the "
                            "connection was lost or the batch ran out of time")
        return results + [left] * (len(mails) - len(results))

    def _utf8_options(self, client: smtplib.SMTP, envelope: Envelope) -> list[str]:
        """SMTPUTF8 for an address whose local part is not ASCII, if the relay offers it."""
        utf8 = [address for address in (envelope.mail_from, *envelope.recipients)
                if not address.rpartition("@")[0].isascii()]
        if not utf8:
            return []
        if not client.has_extn("smtputf8"):
            raise Undeliverable(
                f"relay {self.host}:{self.port} does not offer SMTPUTF8, which the address "
                f"{utf8[0]} needs: no mail can be sent to it through this relay")
        return ["SMTPUTF8"]

    def _failure(self, exc: BaseException) -> Exception:
        """What a relay's error means for one mail: refused for good (5xx) or try later."""
        if isinstance(exc, TemporaryFailure):
            return exc
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            return _classify_refusal(exc.recipients)
        if isinstance(exc, smtplib.SMTPResponseException):
            text = exc.smtp_error.decode(errors="replace") if isinstance(
                exc.smtp_error, bytes) else str(exc.smtp_error)
            error = f"relay {self.host}:{self.port} said {exc.smtp_code} {text}"
            return PermanentFailure(error) if 500 <= exc.smtp_code < 600 \
                else TemporaryFailure(error)
        return TemporaryFailure(f"relay {self.host}:{self.port}: {exc}")

    def connect(self) -> smtplib.SMTP:
        """A connection as a batch gets it: EHLO, STARTTLS as the policy says, login."""
        return self._connect()

    def _connect(self) -> smtplib.SMTP:
        context = self._context
        if self.implicit_tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                                    context=context,
                                                    local_hostname=self.helo_name)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout,
                                  local_hostname=self.helo_name)
            try:
                client.ehlo()
                if self.starttls != "off" and client.has_extn("starttls"):
                    try:
                        client.starttls(context=context)
                    except ssl.SSLError as exc:
                        raise TemporaryFailure(
                            f"relay {self.host}:{self.port}: STARTTLS failed "
                            f"({exc.reason or exc}); not sending in plain text (see "
                            "[outgoing] tls_verify, tls_server_name, tls_ca_file)") from exc
                    client.ehlo()
                elif self.starttls == "required":
                    with suppress(OSError):
                        client.quit()  # say goodbye: the relay logs a clean end, not a lost client
                    raise TemporaryFailure(
                        f"relay {self.host}:{self.port} does not offer STARTTLS and "
                        "[outgoing] starttls = 'required': not sending in plain text"
                    )
            except BaseException:
                client.close()
                raise
        if self.user:
            try:
                client.login(self.user, self.password or "")
            except BaseException:
                client.close()
                raise
        return client


def _connection_lost(exc: OSError) -> bool:
    """Whether the relay connection is gone (not just this one mail refused)."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code == 421  # the relay closes the connection
    return not isinstance(exc, smtplib.SMTPException) or isinstance(
        exc, smtplib.SMTPServerDisconnected)


def _classify_refusal(refused: dict[str, tuple[int, bytes]]) -> PostdeskError:
    details = "; ".join(
        f"{rcpt}: {code} {msg.decode(errors='replace')}" for rcpt, (code, msg) in refused.items()
    )
    if all(500 <= code < 600 for code, _ in refused.values()):
        return PermanentFailure(f"recipient refused: {details}")
    return TemporaryFailure(f"recipient deferred: {details}")


def transport_from_url(url: str, *, starttls: str, timeout: float,
                       tls: RelayTls | None = None, helo_name: str = "") -> Transport:
    if url.startswith("maildir:"):
        return MaildirTransport(Path(url.removeprefix("maildir:")))
    return SmtpTransport(url, starttls=starttls, timeout=timeout, tls=tls, helo_name=helo_name)
