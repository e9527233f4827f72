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

# Only \r and \n: str.splitlines would also split on other characters (as the stdlib notes).
_LINE_BREAK = re.compile(r"\n|\r")
_LONGEST_CACHED_VALUE = 4096
_CACHED_HEADERS = 1024


@lru_cache(maxsize=_CACHED_HEADERS)
def _built_header(factory: Any, name: str, unfolded: str) -> Any:
    return factory(name, unfolded)


class CachingEmailPolicy(EmailPolicy):
    """``EmailPolicy`` whose ``header_fetch_parse`` reuses header objects it already built."""

    def header_fetch_parse(self, name: str, value: Any) -> Any:
        if hasattr(value, "name") or len(value) > _LONGEST_CACHED_VALUE:
            return super().header_fetch_parse(name, value)
        unfolded = "".join(_LINE_BREAK.split(value))
        return _built_header(self.header_factory, name, unfolded)


CACHING_POLICY = CachingEmailPolicy()
