""""Send me a new link" (/link): a customer whose link expired asks for fresh ones.

The form takes an address. The answer is the same page, as fast, whether or
not the address is a customer's: the lookup and the mail happen after the
answer (`WebDesk.in_background`), and only the address itself receives the
links (`postdesk.tickets.page_links`, through the automatic-mail brake). A
CSRF token and a per-IP hourly limit (`[web] link_requests_per_ip`) keep it
from being used to mail-bomb anyone.
"""

from __future__ import annotations

from functools import partial

from aiohttp import web

from postdesk.channels.web import anonymous_form
from postdesk.channels.web import app as page_app
from postdesk.channels.web.upload import MAX_FIELD_BYTES, TooLarge, read_form
from postdesk.mail.page_token import csrf_token
from postdesk.store.db import utcnow
from postdesk.tickets.page_links import send_page_links

PATH = "/link"
MAX_ADDRESS_CHARS = 320


def looks_like_address(text: str) -> bool:
    """Shape only (one @, something on both sides, no spaces): saying that an address is
    malformed tells nothing about who is a customer."""
    local, at, domain = text.rpartition("@")
    return (bool(at) and bool(local) and "." in domain and len(text) <= MAX_ADDRESS_CHARS
            and not any(c.isspace() for c in text))


async def render_form(request: web.Request, template: str, *, notice: str = "",
                      status: int = 200) -> web.Response:
    """An anonymous form page (`web/<template>`) with its CSRF token and cookie."""
    desk = request.app[page_app.DESK]
    cookie, new = anonymous_form.form_cookie(request)
    html, tag = desk.runtime.renderer.render_page(
        template, {"csrf": csrf_token(desk.secret, cookie), "notice": notice},
        language=page_app.language_of(request))
    response = web.Response(text=html, status=status, content_type="text/html",
                            headers={"Content-Language": tag})
    if new:
        anonymous_form.set_form_cookie(response, cookie, desk.secure)
    return response


async def read_anonymous_form(request: web.Request) -> dict[str, str] | web.Response:
    """The POSTed fields, or the refusal: a CSRF mismatch, too many from this address."""
    desk = request.app[page_app.DESK]
    try:
        form = await read_form(request, MAX_FIELD_BYTES)
    except TooLarge:
        return page_app.refusal(request, "csrf")
    if not page_app.csrf_matches(request, form.fields, anonymous_form.COOKIE):
        return page_app.refusal(request, "csrf")
    if not desk.link_requests.allow(request.remote or "?"):
        return page_app.refusal(request, "busy")
    return form.fields


async def show_form(request: web.Request) -> web.StreamResponse:
    """GET /link: the form, or (done=sent) the one answer every address gets."""
    return await render_form(request, "new_link", notice=request.query.get("done", ""))


async def ask_for_links(request: web.Request) -> web.StreamResponse:
    """POST /link: the same answer for every well-formed address."""
    desk = request.app[page_app.DESK]
    fields = await read_anonymous_form(request)
    if isinstance(fields, web.Response):
        return fields
    address = fields.get("email", "").strip()
    if not looks_like_address(address):
        return await render_form(request, "new_link", notice="address", status=400)
    desk.in_background(partial(send_page_links, address, desk.runtime, utcnow()))
    return page_app.see_other(f"{PATH}?done=sent")


def add_routes(app: web.Application) -> None:
    app.router.add_get(PATH, show_form)
    app.router.add_post(PATH, ask_for_links)
