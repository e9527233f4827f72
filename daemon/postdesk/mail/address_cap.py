"""How much of an address header is read for its addresses.

The standard library's address parsers cost the square of a header's length on
hostile values (each token re-slices the rest of the value): a folded From of
400 KB of "<" cost 8.5 s, 4 KB of '"' 0.35 s. Addresses are read from the first
``max_address_header`` characters only, cut after the last whole entry (at a
comma) where there is one; past the cap, plain addr-specs are still found by a
search linear in the length (no display names there). 4096 characters hold
some hundred named addresses; the raw mail keeps the whole header. Set by
``[limits] max_address_header``.

Under the cap the cost still grows with the square of the number of tokens:
4,096 characters of '"' (2,048 empty quoted strings) cost 0.22 s, 1,024 of them
0.02 s; 2,048 of '"a' 0.16 s. A header, address or structured, is therefore also cut before its
`MAX_SPECIALS` + 1st special character (quote, bracket, comma, dot, ...; after
the entry before it where there is one): real headers have far fewer (a named
address has about eight), so only a hostile one is cut.
"""

from __future__ import annotations

import re

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


#: Special characters a header may hold before it is cut (see the module's docstring).
MAX_SPECIALS = 1024
#: The characters that begin or end a token of the stdlib's address and MIME grammars.
_SPECIAL = re.compile(r'["\\,.()<>@:;\[\]/?=]')


def with_few_specials(value: str, separator: str = ",") -> str:
    """``value`` cut before its `MAX_SPECIALS` + 1st special character, after a whole
    entry (ended by ``separator``) if it can be; ``value`` itself when it has fewer."""
    if len(value) <= MAX_SPECIALS:
        return value
    for count, special in enumerate(_SPECIAL.finditer(value)):
        if count == MAX_SPECIALS:
            head = value[:special.start()]
            end = head.rfind(separator)
            return head[:end] if end > 0 else head
    return value
