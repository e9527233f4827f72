"""Folder names in IMAP's modified UTF-7 (RFC 3501 section 5.1.3), both ways."""

from __future__ import annotations

import pytest

from postdesk.channels.email.imap.utf7 import FolderNameError, decode_folder, encode_folder
from postdesk.channels.email.imap.wire import parse_list, quote

# (as people write it, as it travels); the last one is RFC 3501's own example
EXAMPLES = [
    ("INBOX", "INBOX"),
    ("Obsłużone", "Obs&AUI-u&AXw-one"),
    ("Erledigt/Ältere", "Erledigt/&AMQ-ltere"),
    ("Tom & Jerry", "Tom &- Jerry"),
    ("Ärger", "&AMQ-rger"),
    ("ÄÖÜ", "&AMQA1gDc-"),
    ("a😀b", "a&2D3eAA-b"),
    ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
]


@pytest.mark.parametrize(("name", "wire"), EXAMPLES)
def test_encode_and_decode_are_each_others_inverse(name: str, wire: str) -> None:
    assert encode_folder(name) == wire
    assert decode_folder(wire) == name


def test_every_printable_ascii_character_but_the_ampersand_stands_for_itself() -> None:
    printable = "".join(chr(code) for code in range(0x20, 0x7F) if chr(code) != "&")
    assert encode_folder(printable) == printable
    assert encode_folder("\t") == "&AAk-"  # a control character is not printable


@pytest.mark.parametrize(("wire", "problem"), [
    ("Obs&AUI", "never closed"),
    ("Obs&A!I-", "not modified UTF-7"),
    ("Obs&AU-", "not modified UTF-7"),  # one byte: not UTF-16
    ("&2D0-", "not modified UTF-7"),  # a lone surrogate
])
def test_a_broken_name_from_the_server_is_an_error_that_shows_it(wire: str, problem: str
                                                                  ) -> None:
    with pytest.raises(FolderNameError, match=problem) as error:
        decode_folder(wire)
    assert repr(wire) in str(error.value)


def test_commands_carry_the_encoded_name_and_list_answers_are_decoded() -> None:
    assert quote("Erledigt/Ältere") == '"Erledigt/&AMQ-ltere"'
    assert quote('Say "hi"\\') == '"Say \\"hi\\"\\\\"'
    lines = [b'LIST (\\HasNoChildren) "/" INBOX',
             b'LIST (\\HasNoChildren) "/" "Obs&AUI-u&AXw-one"',
             b'LIST (\\HasChildren) "." Erledigt/&AMQ-ltere',
             b'LIST (\\Noselect) NIL "Say \\"hi\\""',
             b'LIST () "/" "Broken&AUI"',
             b"LIST completed"]
    assert parse_list(lines) == ["INBOX", "Obsłużone", "Erledigt/Ältere", 'Say "hi"',
                                 "Broken&AUI"]
