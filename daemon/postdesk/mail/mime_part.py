"""What one MIME part says about itself: type, charset, disposition, Content-ID, file name, bytes.

The stdlib's header objects are thorough but slow (they dominate the time for
mails with hundreds of parts); the raw value is read directly whenever it is
simple, and the stdlib is asked only for the rest. None of these raise.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from email import errors, policy
from email.message import Message
from typing import Any

from postdesk.mail.charsets import decode_text, lenient_base64, repair_surrogates
from postdesk.mail.header_text import WHITESPACE, decode_header_value, header_text
from postdesk.mail.large_parts import quick_base64


def raw_items(msg: Message) -> list[tuple[str, object]]:
    try:
        return [(str(name), value) for name, value in msg.raw_items()]
    except Exception:
        return []


def raw_header(part: Message, name: str) -> str | None:
    for key, value in raw_items(part):
        if key.lower() == name:
            return header_text(value)
    return None


_SIMPLE_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")


_SIMPLE_CHARSET = re.compile(r"""(?i)(?:^|;)\s*charset\s*=\s*["']?([^"';\s]+)""")


def part_content_type(part: Message) -> str:
    raw = raw_header(part, "content-type")
    if raw is None:
        return part.get_default_type()
    simple = raw.split(";", 1)[0].strip().lower()
    if _SIMPLE_TYPE.fullmatch(simple):
        return simple
    try:
        return part.get_content_type()
    except Exception:
        return "text/plain"


def part_charset(part: Message) -> str | None:
    raw = raw_header(part, "content-type") or ""
    if "*" not in raw and "\\" not in raw:
        found = _SIMPLE_CHARSET.search(raw)
        return found.group(1).lower() if found else None
    try:
        charset = part.get_content_charset()
    except Exception:
        return None
    return charset if isinstance(charset, str) else None


def part_disposition(part: Message) -> str | None:
    raw = raw_header(part, "content-disposition")
    if raw is None:
        return None
    return decode_header_value(raw).split(";", 1)[0].strip().lower() or None


def part_content_id(part: Message) -> str | None:
    raw = raw_header(part, "content-id")
    if raw is None:
        return None
    value = WHITESPACE.sub("", decode_header_value(raw)).strip("<>")
    return value or None


def part_filename(part: Message,
                  undeclared: Callable[[], str | None] | None = None) -> str | None:
    """The part's file name, decoded; ``undeclared`` gives the mail's charset for 8-bit
    bytes no header declared (a short name alone is too little to detect it from)."""
    raw = (raw_header(part, "content-disposition") or "") + (raw_header(part, "content-type") or "")
    if "name" not in raw.lower():
        return None
    # The stdlib turns undeclared 8-bit bytes in parameters into U+FFFD, and decodes
    # encoded words in them with their label even when the bytes contradict it, so such
    # headers are repaired first and read with compat32's simpler parser.
    plain = raw.isascii() and "=?" not in raw
    name = _filename_stdlib(part) if plain else _filename_compat(part, undeclared)
    if name is None:
        return None
    name = _latin_label_checked(raw, name)
    decoded = WHITESPACE.sub(" ", decode_header_value(_windows_basename(part) or name)).strip()
    return decoded or None


def _filename_stdlib(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        return _filename_compat(part, None)
    return name if isinstance(name, str) else None


# An RFC 2231 file name labelled ISO-8859-1 ("filename*=iso-8859-1''%C4%E5...").
_LATIN_RFC2231 = re.compile(
    r"(?i)\b(?:file)?name\*(?:0\*)?\s*=\s*\"?(?:iso[-_]?8859[-_]?1|latin-?1)'")


def _latin_label_checked(raw: str, name: str) -> str:
    """An RFC 2231 name labelled ISO-8859-1 read again from its bytes, which may say
    Greek or Big5 (the stdlib decodes with the label, and ISO-8859-1 takes any byte)."""
    if name.isascii() or not _LATIN_RFC2231.search(raw):
        return name
    try:
        data = name.encode("latin-1")
    except UnicodeEncodeError:
        return name
    return decode_text(data, "iso-8859-1")


_QUOTED_NAME = re.compile(r'(?i)\b(?:file)?name\s*=\s*"([^"]*)"')


def _windows_basename(part: Message) -> str | None:
    """The last component of a quoted Windows path ("C:\\TEMP\\x.png" -> "x.png").

    Quoted-string unescaping would turn such a name into "C:TEMPx.png".
    """
    for header in ("content-disposition", "content-type"):
        raw = raw_header(part, header) or ""
        if "\\" not in raw:
            continue
        for value in _QUOTED_NAME.findall(raw):
            if "\\" in value:
                return value.rsplit("\\", 1)[-1]
    return None


def _filename_compat(part: Message, undeclared: Callable[[], str | None] | None) -> str | None:
    """Read the file name with compat32's simpler parameter parser."""
    fallback = Message(policy=policy.compat32)
    for name in ("content-disposition", "content-type"):
        raw = raw_header(part, name)
        if raw is not None:
            charset = undeclared() if undeclared is not None and not raw.isascii() else None
            fallback[name] = repair_surrogates(raw, charset)
    try:
        found = fallback.get_filename()
    except Exception:
        return None
    return found if isinstance(found, str) else None


def payload_bytes(part: Message) -> bytes:
    quick = quick_base64(part)  # a large attachment without a bytes object per line
    if quick is not None:
        return quick
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        if any(isinstance(d, errors.InvalidBase64LengthDefect) for d in part.defects):
            # The stdlib gives up and returns the encoded text; salvage what decodes.
            return lenient_base64(_raw_payload(part))
        return data
    return _raw_payload(part)


def undecoded_payload(part: Message) -> Any:
    """`part.get_payload()`: its parts, or its text as stored, or None where the standard
    library cannot give it: for a text with 8-bit bytes it decodes them with the charset
    parameter and catches only an unknown name (`charset="utf\\x008"`: ValueError)."""
    try:
        return part.get_payload()
    except (ValueError, TypeError):
        return None


def _raw_payload(part: Message) -> bytes:
    payload = undecoded_payload(part)
    if isinstance(payload, str):
        return payload.encode("utf-8", errors="surrogateescape")
    return b""
