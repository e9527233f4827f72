"""Building test mail and reading the desk's outgoing folder, as a user's tools would."""

from __future__ import annotations

import email
import threading
import time
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def customer_mail(
    *,
    sender: str = "Zoë Kowalska <zoe@customer.example>",
    to: str = "support@example.com",
    subject: str = "Printer on fire",
    body: str = "Hello,\nmy printer is on fire.\n",
    message_id: str | None = "<first@customer.example>",
    cc: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    if message_id:
        msg["Message-ID"] = message_id
    msg.set_content(body)  # (set_content drops Content-* headers: add them after it)
    for name, value in (headers or {}).items():
        if name in msg:
            del msg[name]
        msg[name] = value
    return msg


def reply_to(mail: EmailMessage, body: str, *, sender: str, message_id: str) -> EmailMessage:
    """`sender`'s answer to `mail` (to its Reply-To, in its thread)."""
    return customer_mail(sender=sender, to=mail["Reply-To"].addresses[0].addr_spec,
                         subject=f"Re: {mail['Subject']}", body=body, message_id=message_id,
                         headers={"In-Reply-To": mail["Message-ID"]})


def read_outgoing(folder: Path) -> list[EmailMessage]:
    if not folder.exists():
        return []
    return [
        email.message_from_bytes(path.read_bytes(), policy=policy.default)  # type: ignore[misc]
        for path in sorted(folder.glob("*.eml"))
    ]


def mails_to(daemon: object, address: str) -> list[EmailMessage]:
    """The mails in the daemon's outgoing folder addressed (To) to `address`."""
    return [m for m in read_outgoing(daemon.outgoing)  # type: ignore[attr-defined]
            if m["To"].addresses[0].addr_spec == address]


def text_of(mail: EmailMessage) -> str:
    """The text part, as a mail client shows it."""
    return str(mail.get_body(("plain",)).get_content())  # type: ignore[union-attr]


def wait_for(probe: Callable[[], T], *, timeout: float = 15.0, interval: float = 0.05) -> T:
    """Poll until probe() is truthy; fail with its last value when time runs out."""
    deadline = time.monotonic() + timeout
    value = probe()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = probe()
    assert value, f"condition not met within {timeout}s (last value {value!r})"
    return value


def send_mail(daemon: object, msg: EmailMessage, sender: str | None = None) -> None:
    """Deliver one mail to a running desk over SMTP, as a customer's server would."""
    import smtplib

    host, port = daemon.address  # type: ignore[attr-defined]
    with smtplib.SMTP(host, port, timeout=10) as client:
        client.send_message(msg, from_addr=sender)


def processed(count: int) -> Callable[[], bool]:
    """A probe for wait_for: at least `count` inbound mails are no longer pending."""
    from postdesk.store.models import Inbound

    return lambda: Inbound.select().where(Inbound.state != "pending").count() >= count


def send_until_accepted(port: int, numbers: list[int], make_mail: Callable[[int], EmailMessage],
                        acked: set[int], lock: threading.Lock, deadline: float,
                        timeout: float = 30) -> None:
    """Like an MTA queue: keep trying each mail until it gets its 250 (or time runs out)."""
    import contextlib
    import smtplib

    pending = list(numbers)
    client: smtplib.SMTP | None = None
    while pending and time.monotonic() < deadline:
        number = pending[0]
        try:
            if client is None:
                client = smtplib.SMTP("127.0.0.1", port, timeout=timeout)
            client.send_message(make_mail(number))
        except (OSError, smtplib.SMTPException):
            if client is not None:
                with contextlib.suppress(OSError):
                    client.close()
            client = None
            time.sleep(0.05)
            continue
        with lock:
            acked.add(number)
        pending.pop(0)
    if client is not None:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            client.quit()
