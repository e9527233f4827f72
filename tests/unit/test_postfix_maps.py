"""The recipient tables `postdesk postfix-maps` prints for Postfix."""

from __future__ import annotations

import re

import pytest

from postdesk.channels.email.postfix_maps import recipient_table


def patterns(table: str) -> list[str]:
    return [line.split("\t")[0].strip("/") for line in table.splitlines()
            if not line.startswith("#")]


def matches(table: str, address: str) -> bool:
    return any(re.search(pattern, address) for pattern in patterns(table))


def test_regexp_table_accepts_the_addresses_with_any_detail_and_nothing_else() -> None:
    table = recipient_table(["Support@Help-Desk.example.com", "billing@example.com"],
                            catch_all=False, table_type="regexp")
    assert matches(table, "support@help-desk.example.com")
    assert matches(table, "support+42-c-abc@help-desk.example.com")
    assert matches(table, "billing@example.com")
    assert not matches(table, "supportx@help-desk.example.com")
    assert not matches(table, "support@help-deskxexample.com")
    assert not matches(table, "sales@example.com")
    assert "\\-" not in table  # undefined in POSIX regular expressions


def test_catch_all_covers_the_desk_domains() -> None:
    table = recipient_table(["support@example.com"], catch_all=True, table_type="regexp")
    assert matches(table, "anyone@example.com")
    assert not matches(table, "anyone@example.org")
    assert recipient_table(["support@example.com"], catch_all=True,
                           table_type="hash").splitlines()[1:] == ["@example.com\tOK"]


def test_hash_table_lists_the_addresses() -> None:
    table = recipient_table(["support@example.com", "Support@example.com"], catch_all=False,
                            table_type="hash")
    assert table.splitlines()[1:] == ["support@example.com\tOK"]


def test_unknown_table_type_is_refused() -> None:
    with pytest.raises(ValueError, match="cdb"):
        recipient_table(["support@example.com"], catch_all=False, table_type="cdb")
