"""compose() writes what the standard library's email package writes for the same mail:
both parsed back with email.policy.default give the same parts, and every header reads
back as the value it was given (the email package's own output loses the space between
two encoded words in some subjects, so headers are checked against the mail itself)."""

from __future__ import annotations

import email
import email.utils
import itertools
from datetime import UTC, datetime, timedelta, timezone
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from typing import Any

import pytest

from postdesk.mail.compose import OutgoingAttachment, OutgoingMail, compose, one_line

NAMES = ["Example Support", "Obsługa Klienta Ąę", "Kundendienst Müller & Söhne",
         'Zoë "Q" O\'Neil, Jr.', "x" * 90]
SUBJECTS = ["[#12] Hello", "[#12] Drukarka nie drukuje – pilne! Zażółć gęślą jaźń",
            "Re: [#7] Rückfrage zur Rechnung " + "sehr lange Betreffzeile " * 6,
            "[#1] " + "long words " * 30, "Hello\r\nBcc: victim@example.org", "",
            "=?utf-8?q?not_an_encoded_word?=", "日本語の件名 " * 8]
TEXTS = ["Dzień dobry,\n\nDziękujemy.\n", "x" * 300 + "\n.\nFrom here\n=3D\ttab \n", "🙂 end"]
HTMLS = [None, "<p>Grüße &amp; <b>Straße</b></p>" * 30]
ATTACHMENTS = [(), (OutgoingAttachment("Zdjęcie drukarki.jpg", "image/jpeg", bytes(range(256)) * 9),
                    OutgoingAttachment('raport "Q1".txt', "text/plain", b"hello\n"),
                    OutgoingAttachment("x.bin", "not a type", b"\x00\x01"))]
THREADS: list[dict[str, Any]] = [
    {},
    {"reply_to": "support+12-c-x1y2@example.com", "in_reply_to": "a1@customer.example",
     "references": ("r0@customer.example", "a1@customer.example"),
     "auto_submitted": "auto-replied"},
    {"references": tuple(f"ref{n}.{'x' * 25}@example.com" for n in range(14)),
     "auto_submitted": "auto-generated"},
]
EXTRAS = [{"Content-Language": "pl"},
          {"X-Postdesk-Loop": "support@example.com", "Content-Language": "de-AT",
           "X-Postdesk-Ticket": "12", "X-Note": "Grüße " * 20}]
DATES = [datetime(2026, 11, 22, 12, 0, tzinfo=UTC),
         datetime(2026, 3, 29, 1, 59, 59, tzinfo=timezone(timedelta(hours=2))),
         datetime(2026, 7, 1, 8, 30)]


def mails() -> list[OutgoingMail]:
    found = []
    combos = itertools.product(NAMES, SUBJECTS, TEXTS, HTMLS, ATTACHMENTS, THREADS, EXTRAS)
    for n, (name, subject, text, html, attachments, thread, extra) in enumerate(combos):
        if n % 11:  # a spread of the 4,320 combinations
            continue
        found.append(OutgoingMail(
            sender_name=name, sender_address="support@example.com",
            recipient=f"customer{n}@customer.example", subject=subject, text=text, html=html,
            message_id=f"{n}.pd@example.com", date=DATES[n % len(DATES)],
            attachments=attachments, extra_headers=extra, **thread))
    return found


def reference(mail: OutgoingMail) -> bytes:
    """The same mail built with the email package (our header and file name rules)."""
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = Address(one_line(mail.sender_name), addr_spec=mail.sender_address)
    msg["To"] = mail.recipient
    msg["Subject"] = one_line(mail.subject)
    msg["Date"] = mail.date
    msg["Message-ID"] = f"<{mail.message_id}>"
    for name, value in optional_headers(mail).items():
        msg[name] = value
    msg.set_content(mail.text)
    if mail.html is not None:
        msg.add_alternative(mail.html, subtype="html")
    for item in mail.attachments:
        kind = item.content_type if item.content_type == "image/jpeg" or (
            item.content_type == "text/plain") else "application/octet-stream"
        maintype, subtype = kind.split("/")
        msg.add_attachment(item.data, maintype=maintype, subtype=subtype,
                           filename=one_line(item.filename).replace('"', "'"))
    for name, value in mail.extra_headers.items():  # after the content: set_content and
        msg[name] = one_line(value)                 # friends move Content-* headers away
    return msg.as_bytes()


def optional_headers(mail: OutgoingMail) -> dict[str, str]:
    """The headers a mail has only sometimes, as a reader should see them."""
    found = {}
    if mail.reply_to:
        found["Reply-To"] = str(Address(one_line(mail.sender_name), addr_spec=mail.reply_to))
    if mail.in_reply_to:
        found["In-Reply-To"] = f"<{mail.in_reply_to}>"
    if mail.references:
        found["References"] = " ".join(f"<{ref}>" for ref in mail.references)
    if mail.auto_submitted:
        found["Auto-Submitted"] = mail.auto_submitted
    return found


def parts(raw: bytes) -> list[Any]:
    """What a reader gets of the body: every part's type, charset, file name, content."""
    msg = email.message_from_bytes(raw, policy=policy.default)
    found: list[Any] = []
    for part in msg.walk():
        content = None
        if not part.is_multipart():
            content = part.get_content()
            if isinstance(content, str):
                content = content.replace("\r\n", "\n")
        found.append((part.get_content_type(), part.get_content_charset(),
                      part.get_filename(), content))
    return found


def headers(mail: OutgoingMail) -> dict[str, str]:
    """Each header as a reader should see it."""
    name = one_line(mail.sender_name)
    expected = {
        "from": str(Address(name, addr_spec=mail.sender_address)),
        "to": mail.recipient, "subject": one_line(mail.subject),
        "date": email.utils.format_datetime(mail.date), "message-id": f"<{mail.message_id}>",
        "mime-version": "1.0",
    }
    expected.update((key.lower(), value) for key, value in optional_headers(mail).items())
    expected.update((key.lower(), one_line(value)) for key, value in mail.extra_headers.items())
    return expected


@pytest.mark.parametrize("mail", mails(), ids=lambda mail: mail.message_id)
def test_same_meaning_as_the_email_package(mail: OutgoingMail) -> None:
    ours = compose(mail)
    assert parts(ours) == parts(reference(mail))
    msg = email.message_from_bytes(ours, policy=policy.default)
    read = {key.lower(): str(value) for key, value in msg.items() if key.lower() not in (
        "content-type", "content-transfer-encoding")}
    assert read == headers(mail)
    assert [a.display_name for a in msg["From"].addresses] == [one_line(mail.sender_name)]
    head = ours.split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 998 for line in ours.split(b"\r\n"))
    for line in head.split(b"\r\n"):  # longer only where no space allows a fold
        value = line[1:] if line.startswith(b" ") else line.partition(b": ")[2]
        assert len(line) <= 78 or b" " not in value.strip(), line
    assert b"\n" not in ours.replace(b"\r\n", b"")
