"""Issue 25, the fuzz cases over the CPU goal: a long structured header is parsed only up to a cap.

The shapes are those of bench/fuzz.py cases 12410 (a Message-ID of 100 KB of '"') and
29186 (a Content-Transfer-Encoding running into 300 KB of deep HTML). The standard
library's parse costs the square of the value's length, so the tests check how much of
each value was parsed (the text of the header object, the defects found in it), not time.
"""

from __future__ import annotations

from collections.abc import Callable
from email.headerregistry import ContentTransferEncodingHeader, MessageIDHeader

import pytest

from postdesk.mail import header_cache
from postdesk.mail.classify import DeskIdentity, classify
from postdesk.mail.parse import load_message, parse_loaded
from postdesk.mail.structured_cap import MAX_STRUCTURED_HEADER, structured_capped

DESK = DeskIdentity(frozenset({"example.com"}), "X-Postdesk-Loop", "desk",
                    frozenset({"support@example.com"}))


def parsed_lengths(monkeypatch: pytest.MonkeyPatch, header_class: type) -> list[int]:
    """The length of every value the standard library parses as a ``header_class``."""
    lengths: list[int] = []
    parse: Callable[[str], object] = header_class.value_parser  # type: ignore[attr-defined]

    def counting(value: str) -> object:
        lengths.append(len(value))
        return parse(value)

    monkeypatch.setattr(header_class, "value_parser", staticmethod(counting))
    header_cache._built_header.cache_clear()
    header_cache._built_long_header.cache_clear()
    header_cache._built_long_text_header.cache_clear()
    return lengths


def test_a_hostile_long_message_id_is_parsed_up_to_the_cap(
        monkeypatch: pytest.MonkeyPatch) -> None:
    lengths = parsed_lengths(monkeypatch, MessageIDHeader)
    raw = (b"From: alice@customer.example\r\nSubject: quotes\r\n"
           b"Message-ID: <" + b'"' * 100_000 + b"@customer.example>\r\n\r\nHello\r\n")

    msg = load_message(raw)
    parsed = parse_loaded(msg)
    verdict = classify(msg, envelope_from="alice@customer.example", desk=DESK)  # reads it

    assert verdict.kind == "normal"
    assert 0 < max(lengths) <= MAX_STRUCTURED_HEADER
    assert parsed.subject == "quotes"
    assert parsed.sender is not None and parsed.sender.email == "alice@customer.example"
    assert parsed.text.strip() == "Hello"


def test_deep_html_in_a_transfer_encoding_header_is_parsed_up_to_the_cap() -> None:
    junk = b"<table><tr><td>" * 20_000
    raw = (b"From: alice@customer.example\r\nSubject: html\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: text/plain; charset=utf-8\r\n"
           b"Content-Transfer-Encoding: quoted-printable" + junk + b"\r\n\r\nGr=C3=BC=C3=9Fe\r\n")

    msg = load_message(raw)
    header = msg["Content-Transfer-Encoding"]
    parsed = parse_loaded(msg)

    assert header.cte == "quoted-printable"
    # one defect per misplaced '<' or '>' and per word read: 180,000 over the whole value
    assert len(header.defects) <= MAX_STRUCTURED_HEADER
    assert len(str(header)) <= MAX_STRUCTURED_HEADER
    assert parsed.text.strip() == "Gr=C3=BC=C3=9Fe"  # no known encoding: kept as it came


def test_deep_html_in_the_transfer_encoding_of_a_forwarded_part_is_parsed_up_to_the_cap(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Case 29186: the attached mail is written back to bytes to be read (`message_bytes`),
    and the writer reads the part's Content-Transfer-Encoding too."""
    lengths = parsed_lengths(monkeypatch, ContentTransferEncodingHeader)
    inner = (b"From: bob@customer.example\r\nSubject: inner\r\nMIME-Version: 1.0\r\n"
             b"Content-Type: multipart/alternative; boundary=ALT\r\n\r\n--ALT\r\n"
             b"Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printabl"
             + b"<table><tr><td>" * 20_000)  # cut off there, as a truncated bounce is
    raw = (b"From: alice@customer.example\r\nSubject: fwd\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=OUT\r\n\r\n--OUT\r\n"
           b"Content-Type: text/plain\r\n\r\nSee below.\r\n--OUT\r\n"
           b"Content-Type: message/rfc822\r\n\r\n" + inner)

    parsed = parse_loaded(load_message(raw))

    assert "See below." in parsed.text
    assert 0 < max(lengths) <= MAX_STRUCTURED_HEADER


def test_a_long_content_type_keeps_its_whole_parameters_before_the_cap() -> None:
    raw = (b"From: alice@customer.example\r\nSubject: parts\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=B; x=" + b"<" * 100_000 + b"\r\n\r\n"
           b"--B\r\nContent-Type: text/plain\r\n\r\nfirst part\r\n--B--\r\n")

    msg = load_message(raw)

    assert len(str(msg["Content-Type"])) <= MAX_STRUCTURED_HEADER
    assert msg.get_boundary() == "B"
    assert parse_loaded(msg).text.strip() == "first part"


def test_the_cut_falls_after_the_last_whole_parameter() -> None:
    value = "text/plain; charset=utf-8; name=" + "a" * 10_000

    assert structured_capped(value) == "text/plain; charset=utf-8"
    assert structured_capped("x" * 10_000) == "x" * MAX_STRUCTURED_HEADER
    assert structured_capped("text/plain; charset=utf-8") == "text/plain; charset=utf-8"


def test_a_long_subject_is_not_cut() -> None:
    subject = "word " * 2000
    raw = (b"From: alice@customer.example\r\nSubject: " + subject.encode() + b"\r\n\r\nHi\r\n")

    assert parse_loaded(load_message(raw)).subject == subject.strip()
