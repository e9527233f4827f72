"""Header values to clean one-line text: 8-bit bytes repaired, RFC 2047 words decoded."""

from __future__ import annotations

import re
from email.header import Header

from postdesk.mail.charsets import decode_encoded_words, repair_surrogates

CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


FOLD = re.compile(r"\r?\n(?=[ \t])")


WHITESPACE = re.compile(r"[ \t\r\n\f\v]+")


#: White space holding a fold or a control space, from the start of a run only (a search
#: from inside a long run of blanks would scan it again from every position).
_FOLDING_RUN = re.compile(r"(?<![ \t])[ \t]*[\t\r\n\f\v][ \t\r\n\f\v]*")


def decode_header_value(value: object) -> str:
    """Decode any header value to clean text; never raises.

    Accepts raw strings (with surrogate-escaped 8-bit bytes), bytes,
    ``email.header.Header`` and policy header objects.  Folding and control
    characters become spaces; RFC 2047 encoded-words are decoded.
    """
    try:
        return decode_header(value, None)
    except Exception:
        return ""


def decode_header(value: object, fallback: str | None) -> str:
    text = header_text(value)
    text = repair_surrogates(text, fallback)
    text = FOLD.sub("", text)
    if "=?" in text:
        text = decode_encoded_words(text)
    return CONTROL.sub(" ", text)


def header_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("ascii", errors="surrogateescape")
    if isinstance(value, Header):
        return _header_object_text(value)
    return str(value)


def _header_object_text(value: Header) -> str:
    try:
        return str(value)
    except Exception:
        return value.encode()


def collapse_folding(value: str) -> str:
    """Newlines and tabs (with the spaces around them) become one space."""
    return _FOLDING_RUN.sub(" ", value).strip()


def collapse_whitespace(value: str) -> str:
    """Every run of Unicode white space (U+3000 and U+00A0 included) becomes one space."""
    return " ".join(value.split())
