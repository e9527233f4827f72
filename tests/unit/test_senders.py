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
