"""Issue 25: a long plain-text header (a Subject of thousands of words or encoded words) is
read in time linear in its length, and read whole.

The standard library's unstructured-header parser costs the square of a value's length
(a Subject of 200 KB of encoded words: 6 s of CPU in the classifier), so the tests check
how much of each value it was given (`parsed_lengths`), not time.
"""

from __future__ import annotations

from email import policy
from email.headerregistry import UnstructuredHeader

import pytest
from test_structured_cap import DESK, parsed_lengths

from postdesk.mail.classify import classify
from postdesk.mail.header_cache import CACHING_POLICY
from postdesk.mail.long_text_header import MAX_PARSED_TEXT_HEADER, long_text_header
from postdesk.mail.parse import load_message, parse_loaded


def mail_with_subject(subject: bytes) -> bytes:
    return (b"From: Alice <alice@customer.example>\r\nTo: support@example.com\r\n"
            b"Subject: " + subject + b"\r\nMessage-ID: <s1@customer.example>\r\n\r\nHello\r\n")


@pytest.mark.parametrize(("subject", "decoded"), [
    (b"=?utf-8?B?w6k?= " * 10_000, "\u00e9" * 10_000),  # adjacent words join, no blanks
    ("w\u00f3rd ".encode() * 10_000, ("w\u00f3rd " * 10_000).strip()),  # 8-bit, undeclared
    (b"=?iso-8859-1?q?caf=E9?= and " * 5_000, ("caf\u00e9 and " * 5_000).strip()),
])
def test_a_long_subject_is_read_whole_without_the_quadratic_parser(
        monkeypatch: pytest.MonkeyPatch, subject: bytes, decoded: str) -> None:
    lengths = parsed_lengths(monkeypatch, UnstructuredHeader)
    msg = load_message(mail_with_subject(subject))

    parsed = parse_loaded(msg)
    verdict = classify(msg, envelope_from="alice@customer.example", desk=DESK)  # reads it

    assert verdict.kind == "normal"
    assert parsed.subject == decoded
    assert str(msg["Subject"]).strip() == decoded
    assert max(lengths, default=0) <= MAX_PARSED_TEXT_HEADER


def test_a_short_subject_still_goes_to_the_standard_library(
        monkeypatch: pytest.MonkeyPatch) -> None:
    lengths = parsed_lengths(monkeypatch, UnstructuredHeader)
    msg = load_message(mail_with_subject(b"=?utf-8?q?Drucker_kaputt?= =?utf-8?B?w6k=?="))

    assert str(msg["Subject"]) == "Drucker kaputt\u00e9"
    assert lengths  # parsed by the standard library, as before


def test_a_long_text_header_folds_back_to_the_same_text() -> None:
    """Writing the header again (a forwarded part serialised) keeps every character."""
    value = " ".join(["=?utf-8?q?=C3=A9?= w\udcc3\udcb3rd"] * 1000)
    header = long_text_header(CACHING_POLICY.header_factory, "Subject", value)

    folded = header.fold(policy=policy.SMTP)
    unfolded = folded.split(":", 1)[1].replace("\r\n", "").strip()
    again = CACHING_POLICY.header_factory("Subject", unfolded)

    assert str(header) == " ".join(["\u00e9 w\u00f3rd"] * 1000)
    assert str(again) == str(header)
    assert max(len(line) for line in folded.split("\r\n")) <= 78
