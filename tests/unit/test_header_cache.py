"""The memoising parse policy reads every header exactly as policy.default does."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from postdesk.mail.loading import load_message

RAW = (
    b"From: =?utf-8?q?Zo=C3=AB?= <zoe@example.com>\r\n"
    b"To: support@example.com,\r\n\tother@example.com\r\n"
    b"Subject: a folded\r\n  subject\r\n"
    b"Message-ID: <one@example.com>\r\n"
    b"Date: not a date\r\n"
    b"Cc: broken <<@>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"body\r\n"
)


def _views(msg: EmailMessage) -> list[tuple[str, str, list[str]]]:
    return [(name, str(value), [type(d).__name__ for d in value.defects])
            for name, value in msg.items()]


def test_headers_read_as_with_the_default_policy() -> None:
    expected = BytesParser(_class=EmailMessage, policy=policy.default).parsebytes(RAW)
    msg = load_message(RAW)
    assert _views(msg) == _views(expected)
    assert _views(msg) == _views(msg)  # a second read (from the memo) is the same
    assert msg["From"].addresses[0].display_name == "Zoë"
    assert msg["Subject"] == "a folded  subject"
    assert msg["Date"].datetime is None


def test_a_changed_header_is_read_back_changed() -> None:
    msg = load_message(RAW)
    assert str(msg["Subject"]) == "a folded  subject"
    msg.replace_header("Subject", "another")
    assert str(msg["Subject"]) == "another"
    other = load_message(RAW.replace(b"one@example.com", b"two@example.com"))
    assert str(other["Message-ID"]) == "<two@example.com>"
    assert str(msg["Message-ID"]) == "<one@example.com>"
