""""Send me a new link" (/link): a customer whose link expired asks for fresh ones.

The form takes an address. The answer is the same page, as fast, whether or
not the address is a customer's: the lookup and the mail happen after the
answer (`WebDesk.in_background`), and only the address itself receives the
links (`postdesk.tickets.page_links`, through the automatic-mail brake). A
CSRF token and a per-IP hourly limit (`[web] link_requests_per_ip`) keep it
from being used to mail-bomb anyone.
"""

from __future__ import annotations

from aiohttp import web

from postdesk.channels.web.anonymous_form import answer_address_form, render_form
from postdesk.tickets.page_links import send_page_links

PATH = "/link"


async def show_form(request: web.Request) -> web.StreamResponse:
    """GET /link: the form, or (done=sent) the one answer every address gets."""
    return await render_form(request, "new_link", notice=request.query.get("done", ""))


async def ask_for_links(request: web.Request) -> web.StreamResponse:
    """POST /link: the same answer for every well-formed address."""
    return await answer_address_form(request, "new_link", send_page_links, PATH)


def add_routes(app: web.Application) -> None:
    app.router.add_get(PATH, show_form)
    app.router.add_post(PATH, ask_for_links)
