"""How much of a long structured header (Message-ID, Content-Type, ...) is parsed.

The standard library's parsers of the structured headers other than addresses
also cost the square of a value's length on hostile values: each token re-slices
the rest of the value. A Message-ID of 100 KB of '"' and a Content-Transfer-Encoding
holding 300 KB of "<table><tr><td>" (bench/fuzz.py cases 12410 and 29186) cost
28 s of CPU each. Real values are short (a Message-ID fits on a line, a
Content-Type with a long RFC 2231 file name in 2 to 3 KB), so these headers are
parsed from their first `MAX_STRUCTURED_HEADER` characters only, cut after the
last whole parameter (at ';') where there is one. The raw mail keeps the whole
header, and the desk reads Message-ID, In-Reply-To and References from the raw
values (`header_fields`), not from these objects.
"""

from __future__ import annotations

from postdesk.mail.address_cap import capped

MAX_STRUCTURED_HEADER = 4096

#: Headers the stdlib parses with a grammar other than unstructured text or addresses
#: (the other names of its ``_default_header_map``).
STRUCTURED_HEADERS = frozenset({
    "message-id", "content-type", "content-disposition", "content-transfer-encoding",
    "mime-version", "date", "resent-date", "orig-date",
})


def structured_capped(value: str) -> str:
    """``value`` of a structured header cut to at most `MAX_STRUCTURED_HEADER` characters."""
    return capped(value, MAX_STRUCTURED_HEADER, separator=";")
