"""The headers every answer of the ticket page carries.

No caching anywhere (the page is personal), no Referer to the sites a message
links to, and a Content-Security-Policy that allows no script at all: the page
works without JavaScript, so injected markup could not run any.
"""

from __future__ import annotations

from collections.abc import Mapping

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' https:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)

HEADERS: Mapping[str, str] = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
