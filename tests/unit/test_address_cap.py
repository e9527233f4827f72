"""Issue 25 point 9: a long address header is read once per mail, and only up to a cap."""

from __future__ import annotations

from email.headerregistry import AddressHeader

import pytest
from test_structured_cap import parsed_lengths

from postdesk.mail import header_cache
from postdesk.mail.address_cap import MAX_SPECIALS
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


def test_a_from_of_quotes_is_parsed_only_up_to_its_first_specials(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Fuzz case 758: a From of 4,000 characters of '"a' is under the length cap, but the
    stdlib's parse costs the square of its 2,000 quoted strings (0.16 s in the classifier)."""
    lengths = parsed_lengths(monkeypatch, AddressHeader)
    raw = (b'From: ' + b'"a' * 2000 + b"\r\nTo: support@example.com\r\nSubject: quotes\r\n"
           b"\r\nHello\r\n")

    msg = load_message(raw)
    verdict = classify(msg, envelope_from="alice@customer.example", desk=DESK)

    assert verdict.kind == "normal"
    assert 0 < max(lengths) <= 2 * MAX_SPECIALS  # '"a' pairs: a special every 2 characters
    assert parse_loaded(msg).subject == "quotes"


def test_a_long_list_of_named_recipients_is_parsed_whole() -> None:
    raw = many_recipients(100)  # 3,700 characters, 500 special characters

    to = load_message(raw)["To"]

    assert [a.addr_spec for a in to.addresses] == [
        f"person{n}@customer.example" for n in range(100)]
