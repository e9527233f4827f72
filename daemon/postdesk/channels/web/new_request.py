"""Open another request from the ticket page: the desk's request types with their icons
(rules/routing.yaml) -> a form -> a new ticket in the session customer's name.

The customer is the one the session's link was mailed to (a verified identity:
nothing typed on the form names them). The request is stored as a mail from
them to the desk's address, with the chosen request type signed into it,
durably, before the page says "sent"; the worker opens the ticket and the desk
acknowledges it by mail with the ticket's own link, as for any mail. Served
under the ticket's path, where the session cookie is sent.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from postdesk.channels.web import app as page_app
from postdesk.channels.web import page_data, session
from postdesk.channels.web.reply_mail import request_mail
from postdesk.channels.web.upload import TooLarge, read_form, reply_file_limit
from postdesk.config.runtime import Runtime
from postdesk.mail.page_token import PageToken, csrf_token
from postdesk.store.inbound import Arrival

#: the longest subject the form takes (a mail's is folded, not cut, but a page's is typed)
MAX_SUBJECT_CHARS = 200


def request_types(runtime: Runtime) -> list[dict[str, Any]]:
    """The request types the form offers: name, title (by language) and icon name."""
    return [{"name": t.name, "title": t.titles(), "icon": t.icon}
            for t in runtime.routing.request_types]


async def _render(request: web.Request, token: PageToken, *, status: int = 200,
                  values: dict[str, str] | None = None, problem: str = "") -> web.Response:
    desk = request.app[page_app.DESK]
    who = await page_app.run_read(request, page_data.visitor, token, desk.runtime)
    types = request_types(desk.runtime)
    chosen = (values or {}).get("request_type") or (types[0]["name"] if types else "")
    context = {"types": types, "chosen": chosen, "values": values or {}, "problem": problem,
               "csrf": csrf_token(desk.secret, request.cookies[session.COOKIE]),
               "path": session.ticket_path(token.ticket_id),
               "max_upload": reply_file_limit(desk.runtime.settings)}
    html, tag = desk.runtime.renderer.render_page("new_request", context,
                                                  language=who.language, timezone=who.timezone)
    return web.Response(text=html, status=status, content_type="text/html",
                        headers={"Content-Language": tag})


async def show_form(request: web.Request, token: PageToken) -> web.StreamResponse:
    """GET /ticket/{id}/new: the form."""
    return await _render(request, token)


async def post_request(request: web.Request, token: PageToken) -> web.StreamResponse:
    """POST /ticket/{id}/new: stored as the customer's mail, then "sent" on their page."""
    desk = request.app[page_app.DESK]
    settings = desk.runtime.settings
    try:
        form = await read_form(request, reply_file_limit(settings))
    except TooLarge:
        return await _render(request, token, status=413, problem="toolarge")
    if not page_app.csrf_matches(request, form.fields, session.COOKIE):
        return page_app.refusal(request, "csrf")
    values = {key: form.fields.get(key, "").strip() for key in ("subject", "text",
                                                                  "request_type")}
    problem = _problem(values, bool(form.files), desk.runtime)
    if problem:
        return await _render(request, token, status=400, values=values, problem=problem)
    who = await page_app.run_read(request, page_data.visitor, token, desk.runtime)
    raw = request_mail(who.customer, values["subject"], values["text"],
                       values["request_type"], desk_address=settings.desk.addresses[0],
                       domain=settings.desk.domain, secret=settings.desk.secret,
                       files=form.files)
    await desk.store(Arrival(raw=raw, mail_from=who.customer[0],
                             rcpt_to=[settings.desk.addresses[0]], source="web",
                             peer=request.remote or ""))
    return page_app.see_other(f"{session.ticket_path(token.ticket_id)}?done=requested")


def _problem(values: dict[str, str], has_files: bool, runtime: Runtime) -> str:
    """What keeps the form from being sent ("" when nothing does)."""
    names = runtime.routing.request_type_names
    if names and values["request_type"] not in names:
        return "type"
    if not values["subject"] or len(values["subject"]) > MAX_SUBJECT_CHARS:
        return "subject"
    if not values["text"] and not has_files:
        return "text"
    if len(values["text"]) > runtime.settings.web.max_reply_chars:
        return "long"
    return ""


def add_routes(app: web.Application) -> None:
    path = r"/ticket/{ticket:\d{1,12}}/new"
    app.router.add_get(path, page_app.sessioned(show_form))
    app.router.add_post(path, page_app.sessioned(post_request))
