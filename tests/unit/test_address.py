"""Signed reply addresses and subject tags."""

from __future__ import annotations

from postdesk.mail.address import (
    find_subject_tag,
    is_support_address,
    read_reply_address,
    reply_address,
    tag_subject,
)

SECRET = "s3cret-s3cret-s3cret"
DESK = ("support@example.com",)


def test_reply_address_round_trip_and_case_folding() -> None:
    address = reply_address("support@example.com", 42, "c", SECRET)
    assert address.startswith("support+42-c-") and address.endswith("@example.com")
    token = read_reply_address(address.upper(), SECRET, DESK)
    assert token is not None and (token.ticket_id, token.role) == (42, "c")


def test_forged_or_foreign_tokens_are_refused() -> None:
    address = reply_address("support@example.com", 42, "c", SECRET)
    forged_ticket = address.replace("+42-", "+43-")
    assert read_reply_address(forged_ticket, SECRET, DESK) is None
    assert read_reply_address(address, "another-secret-entirely", DESK) is None
    assert read_reply_address(address.replace("example.com", "evil.example"), SECRET, DESK) is None
    assert read_reply_address("support+garbage@example.com", SECRET, DESK) is None
    assert read_reply_address("support@example.com", SECRET, DESK) is None


def test_support_address_with_detail() -> None:
    assert is_support_address("Support+anything@EXAMPLE.com", DESK)
    assert not is_support_address("sales@example.com", DESK)


def test_subject_tags() -> None:
    assert tag_subject(12, "Printer") == "[#12] Printer"
    assert tag_subject(12, "Re: [#12] Printer") == "Re: [#12] Printer"
    assert find_subject_tag("AW: Re: [#123] Drucker") == 123
    assert find_subject_tag("Order #123") is None
