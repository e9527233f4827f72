"""Issue 25 point 4 and issue 23 "Senders": every mail a person can attribute has the right
sender, an address a reply can be written to, or the "unknown sender"."""

from __future__ import annotations

import pytest

from postdesk.mail.parse import Address, parse_message
from postdesk.mail.sender_fallback import UNKNOWN_SENDER, with_sender


def mail(headers: bytes) -> bytes:
    return headers.replace(b"\n", b"\r\n") + b"\r\nSubject: printer\r\n\r\nMy printer\r\n"


@pytest.mark.parametrize(("header", "sender"), [
    (b"From: Big Bug bb@bug.com", Address("bb@bug.com", "Big Bug")),
    ('From: "Jöhn Doe" <jdöe@mächine.example>'.encode(),
     Address("jdöe@xn--mchine-bua.example", "Jöhn Doe")),
    ("From: ann@bücher.example".encode(), Address("ann@xn--bcher-kva.example", "")),
    (b"From: Alice <alice@customer.example>", Address("alice@customer.example", "Alice")),
])
def test_a_person_readable_from_gives_a_writable_address(header: bytes, sender: Address) -> None:
    parsed = parse_message(mail(header))

    assert parsed.sender == sender
    assert parsed.sender_source == "From"


@pytest.mark.parametrize(("headers", "sender", "source"), [
    (b"From: foo\nReply-To: Foo <foo@customer.example>",
     Address("foo@customer.example", "Foo"), "Reply-To"),
    (b'From: "name" <>\nReply-To: r@customer.example', Address("r@customer.example", ""),
     "Reply-To"),
    (b"Reply-To: r@customer.example", Address("r@customer.example", ""), "Reply-To"),
    (b"From: nobody\nSender: Office <office@customer.example>\nReply-To: r@customer.example",
     Address("office@customer.example", "Office"), "Sender"),
    (b"From: foo", None, ""),
    (b"From: Foo <foo@>", None, ""),
])
def test_the_sender_falls_back_along_sender_and_reply_to(
        headers: bytes, sender: Address | None, source: str) -> None:
    parsed = parse_message(mail(headers))

    assert (parsed.sender, parsed.sender_source) == (sender, source)


def test_the_envelope_sender_comes_next_then_the_unknown_sender() -> None:
    nameless = parse_message(mail(b"From: foo"))

    by_envelope = with_sender(nameless, "<Bounce.Alice@Customer.example>")
    unknown = with_sender(nameless, "")

    assert (by_envelope.sender, by_envelope.sender_source) == (
        Address("Bounce.Alice@Customer.example", ""), "envelope")
    assert (unknown.sender, unknown.sender_source) == (UNKNOWN_SENDER, "unknown")
    assert with_sender(parse_message(mail(b"From: a@customer.example")), "b@x.example").sender \
        == Address("a@customer.example", "")


def test_a_subject_padded_with_ideographic_spaces_is_collapsed() -> None:
    padded = ("会议" + "\u3000" * 300 + "通知\u3000\u3000").encode()
    raw = (b"From: a@customer.example\r\nSubject: =?utf-8?B?"
           + __import__("base64").b64encode(padded) + b"?=\r\n\r\nHi\r\n")

    assert parse_message(raw).subject == "会议 通知"


@pytest.mark.parametrize(("text", "codec"), [
    ("测试邮件主题，请回复", "gb2312"),
    ("Проверка связи с сервером", "koi8-r"),
])
def test_subjects_and_file_names_mislabelled_latin_1_are_read_in_their_charset(
        text: str, codec: str) -> None:
    import base64

    word = f"=?iso-8859-1?B?{base64.b64encode(text.encode(codec)).decode()}?="
    raw = (f"From: a@customer.example\r\nSubject: {word}\r\nMIME-Version: 1.0\r\n"
           "Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n"
           "Content-Type: text/plain\r\n\r\nHi\r\n--B\r\nContent-Type: application/pdf\r\n"
           f"Content-Disposition: attachment; filename=\"{word}.pdf\"\r\n\r\nPDF\r\n--B--\r\n")

    parsed = parse_message(raw.encode())

    assert parsed.subject == text
    assert [a.filename for a in parsed.attachments] == [f"{text}.pdf"]


@pytest.mark.parametrize("text", ["Grüße aus Köln", "Ærø å ø", "ÄÖÜ äöü ß", "Ça a été déçu",
                                  "ÄäÖöÜü" * 11])
def test_latin_1_that_is_latin_1_stays_latin_1(text: str) -> None:
    import base64

    word = f"=?iso-8859-1?B?{base64.b64encode(text.encode('latin-1')).decode()}?="
    raw = f"From: a@customer.example\r\nSubject: {word}\r\n\r\nHi\r\n".encode()

    assert parse_message(raw).subject == text


def test_an_undeclared_gb2312_subject_and_file_name_are_read_as_chinese() -> None:
    subject, name = "测试邮件主题，请回复", "报告.pdf"
    raw = (b"From: a@customer.example\r\nSubject: " + subject.encode("gb2312")
           + b"\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n"
           b"Content-Type: text/plain\r\n\r\nHi\r\n--B\r\nContent-Type: application/pdf\r\n"
           b'Content-Disposition: attachment; filename="' + name.encode("gb2312")
           + b'"\r\n\r\nPDF\r\n--B--\r\n')

    parsed = parse_message(raw)

    assert parsed.subject == subject
    assert [a.filename for a in parsed.attachments] == [name]
