"""Outgoing MIME: text and HTML alternatives with the thread and safety headers.

Header values come from customers (subjects, names), so every value is
checked: a CR or LF never reaches a header (header injection), and names
are encoded by the email package, never pasted into raw header text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

#: Header that marks mail sent by a Postdesk desk (loop detection).
LOOP_HEADER = "X-Postdesk-Loop"


@dataclass(frozen=True)
class OutgoingMail:
    sender_name: str
    sender_address: str
    recipient: str
    subject: str
    text: str
    html: str | None
    message_id: str  # without <>
    date: datetime
    reply_to: str | None = None
    in_reply_to: str | None = None  # without <>
    references: Sequence[str] = ()
    auto_submitted: str | None = None  # 'auto-replied' / 'auto-generated'
    extra_headers: Mapping[str, str] = field(default_factory=dict)


def new_message_id(domain: str) -> str:
    """A fresh Message-ID in our domain, without angle brackets."""
    return make_msgid(idstring="pd", domain=domain).strip("<>")


def one_line(value: str) -> str:
    """Collapse CR, LF and tabs so the value can never start a new header."""
    return " ".join(value.replace("\r", " ").replace("\n", " ").replace("\t", " ").split())


def _angle(message_id: str) -> str:
    return f"<{one_line(message_id).strip('<>')}>"


def compose(mail: OutgoingMail) -> bytes:
    """The complete message as bytes with CRLF line ends, ready for any transport."""
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = Address(display_name=one_line(mail.sender_name), addr_spec=mail.sender_address)
    msg["To"] = Address(addr_spec=one_line(mail.recipient))
    msg["Subject"] = one_line(mail.subject)
    msg["Date"] = format_datetime(mail.date)
    msg["Message-ID"] = _angle(mail.message_id)
    if mail.reply_to:
        msg["Reply-To"] = Address(display_name=one_line(mail.sender_name),
                                  addr_spec=one_line(mail.reply_to))
    if mail.in_reply_to:
        msg["In-Reply-To"] = _angle(mail.in_reply_to)
    references = [_angle(ref) for ref in mail.references if ref.strip()]
    if references:
        msg["References"] = " ".join(references)
    if mail.auto_submitted:
        msg["Auto-Submitted"] = mail.auto_submitted
    for name, value in mail.extra_headers.items():
        msg[one_line(name)] = one_line(value)
    msg.set_content(mail.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    if mail.html is not None:
        msg.add_alternative(mail.html, subtype="html", charset="utf-8", cte="quoted-printable")
    return msg.as_bytes()
