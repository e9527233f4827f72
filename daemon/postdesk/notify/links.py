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
    if not _may_link(escaped):
        return escaped
    return _URL.sub(_link, escaped)


def _may_link(text: str) -> bool:
    """Whether `text` may hold an address: the pattern tries its four starts at every
    character (some 60 instructions each: a suggested article's text costs more than the
    rest of its mail's HTML), where these searches in C rule most texts out. Every start
    ends in "://", "to:" or "el:", whose letters have no case variants outside ASCII."""
    if ":" not in text:
        return False
    if "://" in text:
        return True
    lowered = text.lower()
    return "to:" in lowered or "el:" in lowered
