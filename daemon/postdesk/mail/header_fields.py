"""The headers the desk reads from a mail, decoded with one shared 8-bit fallback per mail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import Message

from postdesk.mail.address_cap import DEFAULT_MAX_ADDRESS_HEADER, capped
from postdesk.mail.charsets import codec_candidates, repair_seven_bit, repair_surrogates
from postdesk.mail.header_text import (
    collapse_folding,
    collapse_whitespace,
    decode_header,
    header_text,
)
from postdesk.mail.header_values import (
    bare_addresses,
    first_message_id,
    languages,
    message_ids,
    parse_addresses,
    parse_date,
)
from postdesk.mail.mime_part import raw_items
from postdesk.mail.parsed import Address
from postdesk.mail.undeclared import UndeclaredCharset, body_charset_evidence


@dataclass(frozen=True)
class HeaderFields:
    message_id: str | None = None
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    subject: str = ""
    sender: Address | None = None
    reply_to: tuple[Address, ...] = ()
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    date: datetime | None = None
    languages: tuple[str, ...] = ()
    sender_source: str = "From"


class RawHeaders:
    """The raw header values of one message, decoded with a shared 8-bit fallback."""

    def __init__(self, msg: Message, undeclared: UndeclaredCharset) -> None:
        self._msg = msg
        self._undeclared = undeclared
        self._values: dict[str, list[str]] = {}
        for name, value in raw_items(msg):
            self._values.setdefault(name.strip().lower(), []).append(header_text(value))
        self._fallback: str | None = None
        self._fallback_known = False
        self._body_codecs_cache: tuple[str, ...] | None = None

    def all(self, name: str) -> list[str]:
        """Every value of header ``name``, decoded."""
        return [self._decode(value) for value in self._values.get(name, [])]

    def all_raw(self, name: str) -> list[str]:
        """Every value of header ``name`` with 8-bit bytes repaired, words still encoded."""
        return [self._repair(value) for value in self._values.get(name, [])]

    def addresses(self, name: str) -> tuple[Address, ...]:
        """The addresses in header ``name``: each value parsed up to the policy's cap, and
        plain addr-specs past it found by a linear search (`address_cap`)."""
        limit = getattr(self._msg.policy, "max_address_header", DEFAULT_MAX_ADDRESS_HEADER)
        found: list[Address] = []
        for value in self.all_raw(name):
            head = capped(value, limit)
            found.extend(parse_addresses([head]))
            if len(head) < len(value):
                found.extend(bare_addresses(value[len(head):]))
        return tuple(found)

    def first(self, name: str) -> str:
        """The first value of header ``name``, decoded ('' when absent)."""
        values = self._values.get(name)
        return self._decode(values[0]) if values else ""

    def first_line(self, name: str) -> str:
        """The first value of ``name`` on one line: every run of white space (folds, tabs,
        ideographic spaces padding a subject) becomes one space."""
        values = self._values.get(name)
        if not values:
            return ""
        return collapse_whitespace(self._decode(collapse_folding(values[0])))

    def _decode(self, value: str) -> str:
        return decode_header(self._repair(value), None)

    def _repair(self, value: str) -> str:
        if value.isascii():
            if "\x1b" in value or "+" in value:
                return repair_seven_bit(value, self._body_codecs())
            return value
        return repair_surrogates(value, self._fallback_charset())

    def _body_codecs(self) -> tuple[str, ...]:
        if self._body_codecs_cache is None:
            declared, _ = body_charset_evidence(self._msg)
            self._body_codecs_cache = codec_candidates(declared)
        return self._body_codecs_cache

    def _fallback_charset(self) -> str | None:
        if not self._fallback_known:
            self._fallback = self._undeclared.for_headers()
            self._fallback_known = True
        return self._fallback


def read_headers(msg: Message, undeclared: UndeclaredCharset) -> HeaderFields:
    headers = RawHeaders(msg, undeclared)
    reply_to = headers.addresses("reply-to")
    sender, source = _sender(headers, reply_to)
    return HeaderFields(
        message_id=first_message_id(headers.first("message-id")),
        in_reply_to=message_ids(" ".join(headers.all("in-reply-to"))),
        references=message_ids(" ".join(headers.all("references"))),
        subject=headers.first_line("subject"),
        sender=sender,
        sender_source=source,
        reply_to=reply_to,
        to=headers.addresses("to"),
        cc=headers.addresses("cc"),
        date=parse_date(headers.first("date")),
        languages=languages(headers.all("content-language") + headers.all("accept-language")),
    )


#: Where a person looks for who wrote a mail when its From holds no usable address.
_SENDER_HEADERS = ("from", "sender")


def _sender(headers: RawHeaders, reply_to: tuple[Address, ...]) -> tuple[Address | None, str]:
    """The first usable address of From, Sender, Reply-To, and the header it came from."""
    for name in _SENDER_HEADERS:
        found = headers.addresses(name)
        if found:
            return found[0], name.title()
    if reply_to:
        return reply_to[0], "Reply-To"
    return None, ""
