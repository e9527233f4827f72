"""The forms shown before anyone is known ("send me a new link", agents' sign-in): an
address in, the same answer for every address, a mail to it afterwards if it is owed one.

CSRF for them is a signed double submit: the first view sets a random cookie (HttpOnly,
SameSite=Lax, Secure behind https) and the form carries the HMAC of it, which
another site can neither read nor compute.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from functools import partial

from aiohttp import web

from postdesk.channels.web import app as page_app
from postdesk.channels.web.upload import MAX_FIELD_BYTES, TooLarge, read_form
from postdesk.config.runtime import Runtime
from postdesk.mail.page_token import csrf_token
from postdesk.store.db import utcnow

COOKIE = "postdesk_form"
MAX_ADDRESS_CHARS = 320
#: what queues the mail an address is owed, if any: (address, runtime, now) -> outbox id
MailJob = Callable[[str, Runtime, datetime], int | None]
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


async def render_form(request: web.Request, template: str, *, notice: str = "",
                      status: int = 200) -> web.Response:
    """An anonymous form page (`web/<template>`) with its CSRF token and cookie."""
    desk = request.app[page_app.DESK]
    cookie, new = form_cookie(request)
    html, tag = desk.runtime.renderer.render_page(
        template, {"csrf": csrf_token(desk.secret, cookie), "notice": notice},
        language=page_app.language_of(request))
    response = web.Response(text=html, status=status, content_type="text/html",
                            headers={"Content-Language": tag})
    if new:
        set_form_cookie(response, cookie, desk.secure)
    return response


async def read_anonymous_form(request: web.Request) -> dict[str, str] | web.Response:
    """The POSTed fields, or the refusal: a CSRF mismatch, too many from this address."""
    desk = request.app[page_app.DESK]
    try:
        form = await read_form(request, MAX_FIELD_BYTES)
    except TooLarge:
        return page_app.refusal(request, "csrf")
    if not page_app.csrf_matches(request, form.fields, COOKIE):
        return page_app.refusal(request, "csrf")
    if not desk.link_requests.allow(request.remote or "?"):
        return page_app.refusal(request, "busy")
    return form.fields


def looks_like_address(text: str) -> bool:
    """Shape only (one @, something on both sides, no spaces): saying that an address is
    malformed tells nothing about whose it is."""
    local, at, domain = text.rpartition("@")
    return (bool(at) and bool(local) and "." in domain and len(text) <= MAX_ADDRESS_CHARS
            and not any(c.isspace() for c in text))


async def answer_address_form(request: web.Request, template: str, send: MailJob,
                              path: str) -> web.StreamResponse:
    """The POST of an address form: refusals first (CSRF, the per-IP limit), then the one
    answer for every well-formed address (`path?done=sent`); `send` runs after it."""
    desk = request.app[page_app.DESK]
    fields = await read_anonymous_form(request)
    if isinstance(fields, web.Response):
        return fields
    address = fields.get("email", "").strip()
    if not looks_like_address(address):
        return await render_form(request, template, notice="address", status=400)
    desk.in_background(partial(send, address, desk.runtime, utcnow()))
    return page_app.see_other(f"{path}?done=sent")
