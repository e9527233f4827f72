"""Issue 25 point 9: a long address header is read once per mail, and only up to a cap."""

from __future__ import annotations

from postdesk.mail import header_cache
from postdesk.mail.classify import DeskIdentity, classify
from postdesk.mail.parse import Address, load_message, parse_loaded

DESK = DeskIdentity(frozenset({"example.com"}), "X-Postdesk-Loop", "desk",
                    frozenset({"support@example.com"}))


def many_recipients(count: int) -> bytes:
    to = ",\r\n ".join(f"Person {n} <person{n}@customer.example>" for n in range(count))
    return (b"From: alice@customer.example\r\nTo: " + to.encode()
            + b"\r\nSubject: to everybody\r\n\r\nHello\r\n")


def test_names_are_read_up_to_the_cap_and_every_address_past_it() -> None:
    raw = many_recipients(2000)

    default = parse_loaded(load_message(raw))
    small = parse_loaded(load_message(raw, max_address_header=512))

    assert [a.email for a in default.to] == [f"person{n}@customer.example" for n in range(2000)]
    assert [a.email for a in small.to] == [a.email for a in default.to]
    named = [a for a in default.to if a.name]
    assert 50 <= len(named) < 2000
    assert named == [Address(f"person{n}@customer.example", f"Person {n}")
                     for n in range(len(named))]  # whole entries only: none cut in half
    assert 0 < len([a for a in small.to if a.name]) < len(named)
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
