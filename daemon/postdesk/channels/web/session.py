"""The session cookie a page link is traded for, scoped to one ticket's path.

Its value is a token of its own purpose ("session"), signed like the link and
carrying the link's ticket, customer and version, so revoking the ticket's links
ends the sessions they opened too.
"""

from __future__ import annotations

from dataclasses import replace

from aiohttp.web import StreamResponse

from postdesk.mail.page_token import PageToken, make_token

COOKIE = "postdesk_ticket"
SESSION_S = 12 * 3600


def ticket_path(ticket_id: int) -> str:
    return f"/ticket/{ticket_id}"


def session_value(secret: str, link: PageToken, now: float) -> str:
    """The cookie value for a session opened with `link` (lasting no longer than it)."""
    expires = min(link.expires, int(now) + SESSION_S)
    return make_token(secret, replace(link, expires=expires), purpose="session")


def set_session_cookie(response: StreamResponse, ticket_id: int, value: str,
                       secure: bool) -> None:
    """HttpOnly, SameSite=Lax (Strict would drop it on arrival from a webmail's link),
    Secure behind https, and only sent to this ticket's pages."""
    response.set_cookie(COOKIE, value, path=ticket_path(ticket_id), httponly=True,
                        samesite="Lax", secure=secure, max_age=SESSION_S)
