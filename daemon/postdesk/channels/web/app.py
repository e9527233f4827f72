"""The ticket page's routes (aiohttp): link -> session -> page, reply, buttons, files.

Database work runs in threads (the store is synchronous), each in its own
connection. Every refusal is a short page in the customer's language with the
right status (403 forged or missing session, 410 expired or revoked, 429 too
many requests), never a stack trace.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from postdesk.channels.web import page_data, session
from postdesk.channels.web.rate_limit import RateLimit
from postdesk.channels.web.reply_mail import reply_mail
from postdesk.channels.web.security_headers import HEADERS
from postdesk.channels.web.ticket_actions import REOPEN, SOLVED, apply_button
from postdesk.channels.web.upload import TooLarge, read_form, reply_file_limit
from postdesk.config.runtime import Runtime
from postdesk.mail.page_token import PageToken, TokenRefused, csrf_token, read_token
from postdesk.store.inbound import Arrival
from postdesk.store.read_pool import ReadPool

log = logging.getLogger("postdesk.web")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
#: the status of each refusal
REFUSAL_STATUS = {"forged": 403, "session": 403, "csrf": 403, "expired": 410,
                  "revoked": 410, "merged": 410, "busy": 429, "missing": 404,
                  # agents' /reports: no session, a bad sign-in link, a bad ?since/until/by
                  "signin": 403, "signin_link": 403, "query": 400,
                  # a survey rating posted from an agent's browser (agent_marker)
                  "agent_rating": 403}


@dataclass
class WebDesk:
    """What the routes need: the desk's runtime, the mail store, the outbox dispatch."""

    runtime: Runtime
    store: Callable[[Arrival], Awaitable[int]]
    dispatch_outgoing: Callable[[int], None]

    def __post_init__(self) -> None:
        web_settings = self.runtime.settings.web
        self.per_ip = RateLimit(web_settings.rate_per_ip)
        self.per_token = RateLimit(web_settings.rate_per_token)
        # forms that may send a mail: counted per hour
        self.link_requests = RateLimit(web_settings.link_requests_per_ip, window_s=3600)
        self.reads = ReadPool(name="postdesk-web")
        # a report may take seconds: one thread of its own, so pages never wait behind it
        self.report_reads = ReadPool(threads=1, name="postdesk-reports")
        self._background: set[asyncio.Task[None]] = set()

    def in_background(self, job: Callable[[], int | None]) -> None:
        """Run `job` in a thread after the answer has gone (so the answer takes the same
        time whatever the job finds) and dispatch the outbox row it queued, if any."""
        async def run() -> None:
            try:
                outbox_id = await asyncio.to_thread(job)
            except Exception:
                log.exception("web: a mail for a form could not be queued")
            else:
                if outbox_id is not None:
                    self.dispatch_outgoing(outbox_id)

        task = asyncio.get_running_loop().create_task(run())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    @property
    def secret(self) -> str:
        return self.runtime.settings.desk.secret

    @property
    def secure(self) -> bool:
        return self.runtime.settings.web.public_base().startswith("https://")


DESK: web.AppKey[WebDesk] = web.AppKey("desk", WebDesk)


def refusal(request: web.Request, reason: str) -> web.Response:
    html, tag = request.app[DESK].runtime.renderer.render_page(
        "refused", {"reason": reason}, language=_language_of(request))
    return web.Response(text=html, status=REFUSAL_STATUS[reason], content_type="text/html",
                        headers={"Content-Language": tag})


def see_other(location: str) -> web.Response:
    """POST-redirect-GET (and the link's redirect to the URL without its token)."""
    return web.Response(status=303, headers={"Location": location})


def _language_of(request: web.Request) -> str | None:
    """For pages before we know the customer: the browser's first language."""
    accepted = request.headers.get("Accept-Language", "")
    first = accepted.split(",")[0].split(";")[0].strip().replace("-", "_")
    return first or None


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Security headers on every answer, the per-IP limit, no stack trace ever."""
    desk = request.app[DESK]
    try:
        if not desk.per_ip.allow(request.remote or "?"):
            response: web.StreamResponse = refusal(request, "busy")
        else:
            response = await handler(request)
    except web.HTTPException as exc:  # the router's 404 and 405
        exc.headers.update(HEADERS)
        raise
    except Exception:
        # the route, not the path: a link's path is a credential
        log.exception("ticket page: %s %s failed", request.method,
                      request.match_info.route.resource.canonical
                      if request.match_info.route.resource else "?")
        response = web.Response(text="Something went wrong; please try again later.",
                                status=500)
    for name, value in HEADERS.items():  # a page may bring its own policy (/reports)
        response.headers.setdefault(name, value)
    return response


async def _db(request: web.Request, function: Callable[..., Any], *args: Any) -> Any:
    return await request.app[DESK].reads.run(function, *args)


async def read_signed_link(request: web.Request, read: Callable[..., Any],
                           lookup: Callable[..., Any]) -> Any:
    """What `lookup` finds for the signed token in the request's path, read and checked by
    `read`; `TokenRefused` when it is forged, expired or its ticket asks too often."""
    desk = request.app[DESK]
    token = read(desk.secret, request.match_info["token"], now=time.time())
    # counted once signed: forged links (counted per IP) cannot use up a ticket's quota
    if not desk.per_token.allow(str(token.ticket_id)):
        raise TokenRefused("busy")
    return await _db(request, lookup, token)


async def open_link(request: web.Request) -> web.StreamResponse:
    """GET /t/{token}: trade the link for a session cookie; redirect without the token."""
    try:
        link = await read_signed_link(request, read_token, page_data.current_link)
    except TokenRefused as exc:
        return refusal(request, exc.reason)
    return _open_session(request.app[DESK], link)


def _open_session(desk: WebDesk, link: PageToken) -> web.Response:
    """To the ticket's page, with a session cookie for it."""
    response = see_other(session.ticket_path(link.ticket_id))
    session.set_session_cookie(response, link.ticket_id,
                               session.session_value(desk.secret, link, time.time()),
                               desk.secure)
    return response


async def _session(request: web.Request, *, checked_later: bool = False) -> PageToken:
    """The request's session for the ticket of its path; TokenRefused otherwise.
    `checked_later`: the handler's own read checks the link version (one trip, not two)."""
    desk = request.app[DESK]
    ticket_id = int(request.match_info["ticket"])
    value = request.cookies.get(session.COOKIE, "")
    if not value:
        raise TokenRefused("session")
    token = read_token(desk.secret, value, now=time.time(), purpose="session")
    if token.ticket_id != ticket_id:
        raise TokenRefused("session")
    if not desk.per_token.allow(str(ticket_id)):
        raise TokenRefused("busy")
    if not checked_later:
        await _db(request, page_data.check_current, token)
    return token


PageHandler = Callable[[web.Request, PageToken], Awaitable[web.StreamResponse]]


def _sessioned(handler: PageHandler, *, checked_later: bool = False) -> Handler:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            token = await _session(request, checked_later=checked_later)
            return await handler(request, token)
        except TokenRefused as exc:
            return refusal(request, exc.reason)

    return wrapped


def csrf_matches(request: web.Request, fields: dict[str, str], cookie: str) -> bool:
    """Whether the form's CSRF token is the one of the session cookie `cookie`."""
    expected = csrf_token(request.app[DESK].secret, request.cookies.get(cookie, ""))
    return hmac.compare_digest(fields.get("csrf", ""), expected)


async def _form(request: web.Request, token: PageToken) -> dict[str, str] | None:
    """The POSTed form, None when its CSRF token does not match the session."""
    form = await request.post()
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    return fields if csrf_matches(request, fields, session.COOKIE) else None


async def show_page(request: web.Request, token: PageToken) -> web.StreamResponse:
    """GET /ticket/{id}: the page (reads only; `page_view` checks the link version)."""
    desk = request.app[DESK]
    try:
        view = await _db(request, page_data.page_view, token, desk.runtime)
    except page_data.MergedInto as merged:  # an old link or session: the ticket it joined
        return _open_session(desk, merged.token)
    context = {**view.context, "csrf": csrf_token(desk.secret, request.cookies[session.COOKIE]),
               "notice": request.query.get("done", ""),
               "path": session.ticket_path(token.ticket_id),
               "max_upload": reply_file_limit(desk.runtime.settings)}
    html, tag = desk.runtime.renderer.render_page("ticket", context, language=view.language,
                                                  timezone=view.timezone)
    return web.Response(text=html, content_type="text/html",
                        headers={"Content-Language": tag})


@_sessioned
async def post_reply(request: web.Request, token: PageToken) -> web.StreamResponse:
    """POST /ticket/{id}/reply: text and files, stored like a mail (durably) before the
    page says sent."""
    desk = request.app[DESK]
    settings = desk.runtime.settings
    path = session.ticket_path(token.ticket_id)
    try:
        form = await read_form(request, reply_file_limit(settings))
    except TooLarge:
        return see_other(f"{path}?done=toolarge")
    if not csrf_matches(request, form.fields, session.COOKIE):
        return refusal(request, "csrf")
    text = form.fields.get("text", "").strip()
    if not text and not form.files:
        return see_other(f"{path}?done=empty")
    if len(text) > settings.web.max_reply_chars:
        return see_other(f"{path}?done=long")
    customer, subject = await _db(request, page_data.reply_facts, token)
    raw, recipient = reply_mail(token, customer, subject, text,
                                desk_address=settings.desk.addresses[0],
                                domain=settings.desk.domain, secret=settings.desk.secret,
                                files=form.files)
    await desk.store(Arrival(raw=raw, mail_from=customer[0], rcpt_to=[recipient],
                             source="web", peer=request.remote or ""))
    return see_other(f"{path}?done=sent")


def _button(action: str) -> Handler:
    @_sessioned
    async def press(request: web.Request, token: PageToken) -> web.StreamResponse:
        desk = request.app[DESK]
        if await _form(request, token) is None:
            return refusal(request, "csrf")
        customer, _ = await _db(request, page_data.reply_facts, token)
        problems, outbox_ids = await asyncio.to_thread(apply_button, token.ticket_id, action,
                                                       customer[0], desk.runtime)
        for outbox_id in outbox_ids:
            desk.dispatch_outgoing(outbox_id)
        done = action if not problems else "unchanged"
        return see_other(f"{session.ticket_path(token.ticket_id)}?done={done}")

    return press


@_sessioned
async def download(request: web.Request, token: PageToken) -> web.StreamResponse:
    """GET /ticket/{id}/files/{file}: a file of a public message of this ticket only."""
    found = await _db(request, page_data.file_of, token, int(request.match_info["file"]))
    if found is None:
        return refusal(request, "missing")
    filename, _content_type, data = found
    return file_response(filename, data)


def file_response(filename: str, data: bytes) -> web.Response:
    """A stored file as a download: always, never rendered in our origin (an HTML or SVG
    file could script); the guard adds no-store and the page's other headers."""
    return web.Response(body=data, content_type="application/octet-stream", headers={
        "Content-Disposition": page_data.attachment_disposition(filename)})


async def stylesheet(request: web.Request) -> web.StreamResponse:
    desk = request.app[DESK]
    return web.Response(text=page_data.stylesheet(desk.runtime.settings.branding.primary_colour),
                        content_type="text/css")


async def no_icon(request: web.Request) -> web.StreamResponse:
    """Browsers ask for /favicon.ico on every page: nothing, without an error."""
    return web.Response(status=204)


#: for the route modules beside this one (each adds its routes in `make_app`)
sessioned = _sessioned
run_read = _db
language_of = _language_of


def make_app(desk: WebDesk) -> web.Application:
    # the route modules use this module's guard, session and refusals: imported here
    from postdesk.channels.web import file_link, new_link, new_request, reports
    from postdesk.channels.web.csat import add_csat_routes

    app = web.Application(middlewares=[guard], client_max_size=1024 * 1024)
    app[DESK] = desk
    app.router.add_get("/t/{token}", open_link)
    app.router.add_get(r"/ticket/{ticket:\d{1,12}}", _sessioned(show_page, checked_later=True))
    app.router.add_post(r"/ticket/{ticket:\d{1,12}}/reply", post_reply)
    app.router.add_post(rf"/ticket/{{ticket:\d{{1,12}}}}/{SOLVED}", _button(SOLVED))
    app.router.add_post(rf"/ticket/{{ticket:\d{{1,12}}}}/{REOPEN}", _button(REOPEN))
    app.router.add_get(r"/ticket/{ticket:\d{1,12}}/files/{file:\d{1,12}}", download)
    app.router.add_get("/static/page.css", stylesheet)
    app.router.add_get("/favicon.ico", no_icon)
    new_request.add_routes(app)
    new_link.add_routes(app)
    reports.add_routes(app)
    file_link.add_routes(app)  # /f/{token}: a chat post's download link
    add_csat_routes(app)  # /csat/{token}: the satisfaction survey's pages
    return app


async def _close_reads(app: web.Application) -> None:
    await asyncio.to_thread(app[DESK].reads.close)
    await asyncio.to_thread(app[DESK].report_reads.close)


async def start_server(desk: WebDesk, host: str, port: int) -> web.AppRunner:
    """Serve the page on host:port until the runner is cleaned up."""
    app = make_app(desk)
    app.on_cleanup.append(_close_reads)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
