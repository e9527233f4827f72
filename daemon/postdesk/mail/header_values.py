"""Structured header values: addresses, Message-IDs, dates and language tags, leniently read.

Real mail breaks every rule of RFC 5322 somewhere; each function here keeps
what can be understood and drops only what cannot.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import getaddresses, parsedate_to_datetime

from postdesk.mail.header_text import CONTROL, FOLD, WHITESPACE, decode_header_value
from postdesk.mail.mailbox import as_address, writable_mailbox
from postdesk.mail.parsed import Address
from postdesk.mail.plain_headers import plain_mailbox

_MESSAGE_ID = re.compile(r"<([^<>]*)>")


#: An addr-spec, found only where a run of its characters starts: a search from inside
#: a long run (a header of "a.a.a...") would scan to the run's end from every position.
_BARE_ADDRESS = re.compile(r"(?<![^\s<>\"(),;:\[\]])[^\s<>\"(),;:\[\]]+@[^\s<>\"(),;:\[\]]+")


def parse_addresses(values: list[str]) -> tuple[Address, ...]:
    found: list[Address] = []
    for value in values:
        found.extend(_addresses_in(_quote_bare_names(FOLD.sub("", value))))
    return tuple(found)


#: Start of an entry, the name up to "<" (the part before its first "@" holds none, the
#: spaces before it are taken whole: no two parts could take the same characters, which
#: made the search quadratic on a run of "@"s), and the address in angle brackets.
_BARE_NAME_WITH_AT = re.compile(r'(^|,)\s*+([^,"<>()@]*@[^,"<>()]*)<([^<>]*)>')


def _quote_bare_names(value: str) -> str:
    """Quote unquoted display names holding an '@' ("a@x.org <b@y.org>").

    Without quotes the stdlib takes the display name for the address; the
    real address, the one in angle brackets, is the one that matters.
    """
    if "<" not in value or "@" not in value:
        return value
    return _BARE_NAME_WITH_AT.sub(
        lambda entry: f'{entry[1]} "{entry[2].rstrip()}" <{entry[3]}>', value)


def _addresses_in(value: str) -> list[Address]:
    plain = plain_mailbox(value)  # what getaddresses reads in the usual one-mailbox value
    try:
        pairs = [plain] if plain is not None else getaddresses([value])
    except Exception:
        pairs = []
    found = [_address(name, email) for name, email in pairs]
    usable = [address for address in found if address is not None]
    if usable or not value.strip():
        return usable
    # getaddresses gives up on some broken headers; keep any addr-spec in sight.
    return list(bare_addresses(value))


def bare_addresses(value: str) -> tuple[Address, ...]:
    """Every addr-spec in sight in ``value``, by a search linear in its length."""
    bare = [as_address("", email) for email in _BARE_ADDRESS.findall(FOLD.sub("", value))]
    return tuple(address for address in bare if address is not None)


def _address(name: str, email: str) -> Address | None:
    """The mailbox as an address a reply can be written to (see `mailbox`), else None."""
    email = CONTROL.sub("", email).strip().strip("<>").strip()
    mailbox = writable_mailbox(decode_header_value(name), email) if email else None
    if mailbox is None:
        return None
    decoded_name, email = WHITESPACE.sub(" ", mailbox[0]).strip(), mailbox[1]
    if decoded_name.strip("'\"").lower() == email.lower():
        decoded_name = ""  # a name repeating the address says nothing more
    return Address(email=email, name=decoded_name)


def message_ids(value: str) -> tuple[str, ...]:
    ids = [WHITESPACE.sub("", found) for found in _MESSAGE_ID.findall(value)]
    if not any(ids):
        ids = [token.strip("<>,;") for token in value.split() if "@" in token]
    unique: dict[str, None] = {}
    for message_id in ids:
        if message_id:
            unique.setdefault(message_id, None)
    return tuple(unique)


def first_message_id(value: str) -> str | None:
    ids = message_ids(value)
    if ids:
        return ids[0]
    stripped = value.strip().strip("<>").strip()
    return stripped or None


def parse_date(value: str) -> datetime | None:
    if not value.strip():
        return None
    try:
        parsed = parsedate_to_datetime(value.strip())
    except Exception:  # ValueError, TypeError, OverflowError on garbage dates
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def languages(values: list[str]) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for value in values:
        for item in value.split(","):
            tag = _language_tag(item.split(";", 1)[0].strip())
            if tag:
                found.setdefault(tag, None)
    return tuple(found)


def _language_tag(tag: str) -> str | None:
    parts = re.split(r"[-_]", tag)
    primary = parts[0].lower()
    if not (primary.isascii() and primary.isalpha() and 2 <= len(primary) <= 3):
        return None
    normalised = [primary]
    for part in parts[1:]:
        if not (part.isascii() and part.isalnum()):
            return None
        if len(part) == 4 and part.isalpha():
            normalised.append(part.title())
        elif (len(part) == 2 and part.isalpha()) or (len(part) == 3 and part.isdigit()):
            normalised.append(part.upper())
        else:
            break
    return "_".join(normalised)
