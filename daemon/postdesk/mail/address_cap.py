"""How much of an address header is read for its addresses.

The standard library's address parsers cost the square of a header's length on
hostile values (each token re-slices the rest of the value): a folded From of
400 KB of "<" cost 8.5 s, 4 KB of '"' 0.35 s. Addresses are read from the first
``max_address_header`` characters only, cut after the last whole entry (at a
comma) where there is one; past the cap, plain addr-specs are still found by a
search linear in the length (no display names there). 4096 characters hold
some hundred named addresses; the raw mail keeps the whole header. Set by
``[limits] max_address_header``.
"""

from __future__ import annotations

DEFAULT_MAX_ADDRESS_HEADER = 4096

#: Headers whose values are read as address lists (the stdlib's AddressHeader names).
ADDRESS_HEADERS = frozenset({
    "from", "sender", "reply-to", "to", "cc", "bcc", "resent-from", "resent-sender",
    "resent-to", "resent-cc", "resent-bcc",
})


def capped(value: str, limit: int, separator: str = ",") -> str:
    """``value`` cut to at most ``limit`` characters, after a whole entry (ended by
    ``separator``) if it can be."""
    if len(value) <= limit:
        return value
    head = value[:limit]
    end = head.rfind(separator)
    return head[:end] if end > 0 else head
