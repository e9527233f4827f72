"""CSRF for the forms shown before anyone is known ("send me a new link", agents' sign-in).

Double submit, signed: the first view sets a random cookie (HttpOnly,
SameSite=Lax, Secure behind https) and the form carries the HMAC of it, which
another site can neither read nor compute.
"""

from __future__ import annotations

import secrets

from aiohttp import web

COOKIE = "postdesk_form"
LIFETIME_S = 12 * 3600


def form_cookie(request: web.Request) -> tuple[str, bool]:
    """(the request's form cookie, whether it is new and must be set on the answer)."""
    value = request.cookies.get(COOKIE, "")
    if 20 <= len(value) <= 64:
        return value, False
    return secrets.token_urlsafe(24), True


def set_form_cookie(response: web.StreamResponse, value: str, secure: bool) -> None:
    response.set_cookie(COOKIE, value, path="/", httponly=True, samesite="Lax",
                        secure=secure, max_age=LIFETIME_S)
