"""Issue 25 point 9: a long address header is read once per mail, and only up to a cap."""

from __future__ import annotations

from postdesk.mail import header_cache
from postdesk.mail.classify import DeskIdentity, classify
from postdesk.mail.parse import load_message, parse_loaded

DESK = DeskIdentity(frozenset({"example.com"}), "X-Postdesk-Loop", "desk",
                    frozenset({"support@example.com"}))


def many_recipients(count: int) -> bytes:
    to = ",\r\n ".join(f"person{n}@customer.example" for n in range(count))
    return (b"From: alice@customer.example\r\nTo: " + to.encode()
            + b"\r\nSubject: to everybody\r\n\r\nHello\r\n")


def test_addresses_are_read_up_to_the_cap_and_never_cut_in_half() -> None:
    raw = many_recipients(2000)

    default = parse_loaded(load_message(raw))
    small = parse_loaded(load_message(raw, max_address_header=512))

    assert 100 <= len(default.to) < 2000
    assert [a.email for a in default.to] == [f"person{n}@customer.example"
                                             for n in range(len(default.to))]
    assert 0 < len(small.to) < len(default.to)
    assert small.to[-1].email == f"person{len(small.to) - 1}@customer.example"
    assert default.subject == "to everybody"


def test_a_hostile_long_from_is_parsed_once_per_mail() -> None:
    raw = (b"From: " + b"<" * 200_000 + b" alice@customer.example\r\n"
           b"Subject: x\r\n\r\nHello\r\n")
    header_cache._built_long_header.cache_clear()

    msg = load_message(raw)
    parse_loaded(msg)
    classify(msg, envelope_from="alice@customer.example", desk=DESK)
    classify(msg, envelope_from="alice@customer.example", desk=DESK)

    assert header_cache._built_long_header.cache_info().misses == 1
