"""Header values whose text the standard library would give back as written, read as written.

Reading a header of a message parsed with ``policy.default`` builds a header
object, and ``str()`` of it is the decoded text. For the headers every mail has
with new values (From, Message-ID, Subject) that parse is most of what
classifying a mail costs (bench/README.md, "Figures behind choices in the
code"). Most values are plain, though: printable
ASCII with no encoded word, a Message-ID of dot-atoms, an address with a display
name of plain words. For those the decoded text is the value itself (an address
with a display name) or obviously derived from it (a bare address), so
`plain_text` returns it without building anything; for every other value it
returns None and the caller asks the standard library. tests/corpus checks that
the two agree on every header of the shared corpus.
"""

from __future__ import annotations

import re
from email.headerregistry import AddressHeader, MessageIDHeader, UnstructuredHeader
from typing import Any

# Only \r and \n: the stdlib unfolds by removing exactly these.
_LINE_BREAK = re.compile(r"\n|\r")
_PRINTABLE = re.compile(r"[\x20-\x7e\t]*")
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM = rf"{_ATOM}(?:\.{_ATOM})*"
_ADDR_SPEC = rf"{_DOT_ATOM}@{_DOT_ATOM}"
_MESSAGE_ID = re.compile(rf"[ \t]*<{_ADDR_SPEC}>[ \t]*")
# A display name of plain words (no specials: a dot would be quoted) and <addr-spec>,
# or a bare addr-spec: one mailbox, written as the stdlib writes it back.
_NAMED_ADDRESS = re.compile(rf"[ \t]*({_ATOM}(?: {_ATOM})*) <({_ADDR_SPEC})>[ \t]*")
_BARE_ADDRESS = re.compile(rf"[ \t]*({_ADDR_SPEC})[ \t]*")

_kinds: dict[type, str] = {}


def plain_text(header_factory: Any, name: str, value: str) -> str | None:
    """``str(header_factory(name, unfolded value))`` for a plain value, up to the
    whitespace around it; None when the value is not plain (or the kind of header is
    one this module does not know)."""
    if not _PRINTABLE.fullmatch(value):
        value = "".join(_LINE_BREAK.split(value))
        if not _PRINTABLE.fullmatch(value):
            return None
    if "=?" in value:  # an encoded word, or what might pass for one
        return None
    kind = header_kind(header_factory, name)
    if kind == "unstructured":
        return value
    if kind == "message-id":
        return value if _MESSAGE_ID.fullmatch(value) else None
    if kind == "address":
        if named := _NAMED_ADDRESS.fullmatch(value):
            return f"{named.group(1)} <{named.group(2)}>"
        if bare := _BARE_ADDRESS.fullmatch(value):
            return bare.group(1)
    return None


def plain_address(value: str) -> str | None:
    """The address of a value `plain_text` gives for an address header, else None."""
    mailbox = plain_mailbox(value)
    return None if mailbox is None else mailbox[1]


def plain_mailbox(value: str) -> tuple[str, str] | None:
    """(display name, address) of a value holding one plain mailbox, as
    ``email.utils.getaddresses`` reads it; None for any other value."""
    if "=?" in value:
        return None
    if named := _NAMED_ADDRESS.fullmatch(value):
        return named.group(1), named.group(2)
    if bare := _BARE_ADDRESS.fullmatch(value):
        return "", bare.group(1)
    return None


def header_kind(header_factory: Any, name: str) -> str:
    """What the factory's class for `name` parses like: "unstructured", "message-id",
    "address" or "" (as `HeaderRegistry.__getitem__` picks it, without building the class)."""
    registry = getattr(header_factory, "registry", None)
    if not isinstance(registry, dict):
        return ""
    cls = registry.get(name.lower(), getattr(header_factory, "default_class", None))
    kind = _kinds.get(cls)  # type: ignore[arg-type]
    if kind is None:
        kind = _kinds[cls] = (  # type: ignore[index]
            "unstructured" if isinstance(cls, type) and issubclass(cls, UnstructuredHeader)
            else "message-id" if isinstance(cls, type) and issubclass(cls, MessageIDHeader)
            else "address" if isinstance(cls, type) and issubclass(cls, AddressHeader)
            else "")
    return kind
