"""Issue 25 points 2 and 5: broken charset names and header lines lose no word of the mail."""

from __future__ import annotations

import pytest

from postdesk.mail.classify import DeskIdentity, classify
from postdesk.mail.parse import load_message, parse_message

DESK = DeskIdentity(frozenset({"example.com"}), "X-Postdesk-Loop", "desk",
                    frozenset({"support@example.com"}))
HEAD = b"From: alice@customer.example\r\nTo: support@example.com\r\nSubject: printer\r\n"


@pytest.mark.parametrize("charset", [b'"utf\xff8"', b"\x00", b'"\x00utf-8"', b"utf-8\x01"])
def test_a_charset_name_that_is_no_name_keeps_the_text(charset: bytes) -> None:
    raw = (HEAD + b"Content-Type: text/plain; charset=" + charset
           + b"\r\n\r\nMy printer is on fire\r\n")

    parsed = parse_message(raw)

    assert parsed.text == "My printer is on fire\n"
    assert "BodyParseError" not in parsed.defects
    assert classify(load_message(raw), envelope_from="a@b.example", desk=DESK).kind == "normal"


def test_an_8bit_subject_beside_a_broken_charset_loses_no_header() -> None:
    raw = (b"From: alice@customer.example\r\nSubject: caf\xe9 au lait\r\n"
           b"Message-ID: <1@c.example>\r\n"
           b'Content-Type: text/plain; charset="utf\xff8"\r\n\r\nMy printer\r\n')

    parsed = parse_message(raw)

    assert parsed.sender is not None and parsed.sender.email == "alice@customer.example"
    assert parsed.subject == "café au lait"
    assert parsed.message_id == "1@c.example"
    assert parsed.text == "My printer\n"


def test_parameters_the_stdlib_cannot_read_do_not_break_the_mail() -> None:
    raw = HEAD + b'Content-Type:;title*1="";title*\r\n\r\nMy printer\r\n'

    parsed = parse_message(raw)
    verdict = classify(load_message(raw), envelope_from="a@b.example", desk=DESK)

    assert parsed.text == "My printer\n"
    assert "UnreadableParametersDefect" in parsed.defects
    assert (verdict.kind, verdict.may_auto_reply) == ("normal", True)


def test_a_bounce_with_a_nul_charset_is_still_a_bounce() -> None:
    raw = (b"From: MAILER-DAEMON@mx.customer.example\r\nTo: support@example.com\r\n"
           b"Subject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/report; report-type=delivery-status; boundary=XX\r\n\r\n"
           b"--XX\r\nContent-Type: text/plain; charset=\x00\r\n\r\n"
           b"Your mail to bob@customer.example could not be delivered: user unknown\r\n"
           b"--XX\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
           b"Final-Recipient: rfc822; bob@customer.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
           b"\r\n--XX--\r\n")

    verdict = classify(load_message(raw), envelope_from="", desk=DESK)

    assert verdict.kind == "bounce"
    assert [r.email for r in verdict.bounce] == ["bob@customer.example"]


def test_a_classifier_error_makes_the_mail_suspicious_never_normal(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from postdesk.mail import classify as classify_module

    def broken(*args: object) -> None:
        raise ValueError("boom")

    monkeypatch.setattr(classify_module, "_bounce", broken)

    verdict = classify(load_message(HEAD + b"\r\nHi\r\n"), envelope_from="", desk=DESK)

    assert verdict.kind == "suspicious"
    assert not verdict.may_auto_reply
    assert "ValueError" in verdict.reason


@pytest.mark.parametrize("stray", [
    b"quite Delivered-To: support@example.com",
    b"X-Broken header without a colon",
    b"=?utf-8?q?junk?=",
])
def test_a_malformed_header_line_does_not_end_the_header_block(stray: bytes) -> None:
    raw = (b"From: alice@customer.example\r\n" + stray + b"\r\nSubject: kept\r\n"
           b"Message-ID: <2@customer.example>\r\n\r\nMy printer\r\n")

    parsed = parse_message(raw)

    assert parsed.subject == "kept"
    assert parsed.message_id == "2@customer.example"
    assert parsed.text == "My printer\n"
    assert "StrayHeaderLineDefect" in parsed.defects


def test_junk_before_the_first_header_line_is_skipped() -> None:
    raw = (b"---- Original email message ----\r\nFrom: alice@customer.example\r\n"
           b"Subject: forwarded by a script\r\n\r\nMy printer\r\n")

    parsed = parse_message(raw)

    assert parsed.sender is not None and parsed.sender.email == "alice@customer.example"
    assert parsed.subject == "forwarded by a script"
    assert parsed.text == "My printer\n"


def test_an_mbox_from_line_is_no_header_and_no_body() -> None:
    raw = (b"From alice@customer.example Mon Dec  7 02:01:29 2026\r\n"
           b"From: alice@customer.example\r\nSubject: from a pipe\r\n\r\nMy printer\r\n")

    parsed = parse_message(raw)

    assert parsed.sender is not None and parsed.sender.email == "alice@customer.example"
    assert (parsed.subject, parsed.text) == ("from a pipe", "My printer\n")


def test_a_body_without_a_blank_line_before_it_stays_body() -> None:
    raw = (b"From: alice@customer.example\r\nSubject: no separator\r\n"
           b"Hello,\r\nmy printer is broken.\r\nIt says: PC LOAD LETTER\r\nThanks\r\n")

    parsed = parse_message(raw)

    assert parsed.subject == "no separator"
    assert "my printer is broken." in parsed.text
    assert "StrayHeaderLineDefect" not in parsed.defects
