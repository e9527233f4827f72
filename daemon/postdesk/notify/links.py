"""Web, mail and phone addresses in escaped text made into links (for the HTML parts)."""

from __future__ import annotations

import re

# A URL in escaped text: up to a space, a tag or an entity other than &amp; (a quote
# or angle bracket around it), so the href never leaves its attribute.
_URL = re.compile(r"(?:https?://|ftp://|mailto:|tel:)(?:[^\s<>&]|&amp;)+", re.IGNORECASE)
_URL_TAIL = ".,;:!?)]"


def _link(match: re.Match[str]) -> str:
    url = match.group(0)
    kept = url.rstrip(_URL_TAIL)
    if url.endswith(")") and "(" in kept:  # (a URL (with parentheses)) keeps its own
        kept = url[:len(kept) + 1]
    return f'<a href="{kept}">{kept}</a>{url[len(kept):]}'


def linkify(escaped: str) -> str:
    """`escaped` (HTML-escaped text) with each address it contains made a link."""
    return _URL.sub(_link, escaped)
