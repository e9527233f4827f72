"""A parsing policy that builds each header object once, not on every access.

With ``policy.default`` the standard library keeps headers as raw strings and
parses one into a header object each time it is read (``msg["From"]``,
``get_all``, ``get_content_type`` ...). Parsing, threading and classification
read the same few headers some twenty times per mail, so most of that work is
repeated. ``CACHING_POLICY`` is ``policy.default`` whose header fetch remembers
the objects it built, keyed by (name, raw value): the objects are the same ones
the default policy would build, so behaviour is unchanged. The memo is bounded
(entries and value length), shared by every message and thread of the process;
it also serves identical headers of different mails (MIME-Version, the
Content-Type of parts).
"""

from __future__ import annotations

import re
from email.policy import EmailPolicy
from functools import lru_cache
from typing import Any

from postdesk.mail.address_cap import (
    ADDRESS_HEADERS,
    DEFAULT_MAX_ADDRESS_HEADER,
    MAX_SPECIALS,
    capped,
    with_few_specials,
)
from postdesk.mail.long_text_header import MAX_PARSED_TEXT_HEADER, long_text_header
from postdesk.mail.plain_headers import header_kind
from postdesk.mail.structured_cap import STRUCTURED_HEADERS, structured_capped

# Only \r and \n: str.splitlines would also split on other characters (as the stdlib notes).
_LINE_BREAK = re.compile(r"\n|\r")
_LONGEST_CACHED_VALUE = 4096
_CACHED_HEADERS = 1024
#: Long values are remembered too (a few: the ones of the mail being read), so that a
#: hostile long header is parsed once per mail, not once per reader.
_CACHED_LONG_HEADERS = 8


@lru_cache(maxsize=_CACHED_HEADERS)
def _built_header(factory: Any, name: str, unfolded: str) -> Any:
    return factory(name, unfolded)


@lru_cache(maxsize=_CACHED_LONG_HEADERS)
def _built_long_header(factory: Any, name: str, unfolded: str) -> Any:
    return factory(name, unfolded)


@lru_cache(maxsize=_CACHED_LONG_HEADERS)
def _built_long_text_header(factory: Any, name: str, unfolded: str) -> Any:
    return long_text_header(factory, name, unfolded)


class CachingEmailPolicy(EmailPolicy):
    """``EmailPolicy`` whose ``header_fetch_parse`` reuses header objects it already built,
    and reads no more than ``max_address_header`` characters of an address header
    (`structured_cap`'s limit for a Message-ID, Content-Type ...) nor more than
    `MAX_SPECIALS` special characters of either (`address_cap`), and decodes a long
    unstructured one, a Subject, itself (`long_text_header`)."""

    max_address_header = DEFAULT_MAX_ADDRESS_HEADER

    def header_fetch_parse(self, name: str, value: Any) -> Any:
        if hasattr(value, "name"):
            return super().header_fetch_parse(name, value)
        unfolded = "".join(_LINE_BREAK.split(value))
        if len(unfolded) <= MAX_SPECIALS:  # (under every cap)
            return _built_header(self.header_factory, name, unfolded)
        lowered = name.lower()
        long = len(unfolded) > _LONGEST_CACHED_VALUE
        if lowered in ADDRESS_HEADERS:
            unfolded = with_few_specials(capped(unfolded, self.max_address_header) if long
                                         else unfolded)
        elif lowered in STRUCTURED_HEADERS:
            unfolded = with_few_specials(structured_capped(unfolded) if long else unfolded,
                                         separator=";")
        elif len(unfolded) > MAX_PARSED_TEXT_HEADER and \
                header_kind(self.header_factory, name) == "unstructured":
            return _built_long_text_header(self.header_factory, name, unfolded)
        if not long:
            return _built_header(self.header_factory, name, unfolded)
        return _built_long_header(self.header_factory, name, unfolded)


CACHING_POLICY = CachingEmailPolicy()


@lru_cache(maxsize=8)
def caching_policy(max_address_header: int) -> CachingEmailPolicy:
    """`CACHING_POLICY` reading at most ``max_address_header`` characters of address headers."""
    if max_address_header == CACHING_POLICY.max_address_header:
        return CACHING_POLICY
    return CACHING_POLICY.clone(max_address_header=max_address_header)  # type: ignore[call-arg]
