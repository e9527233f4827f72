"""The satisfaction survey's pages: /csat/{token}, a rating link from the survey mail.

GET shows a confirmation page with the link's rating chosen and a comment box;
it records nothing (mail scanners such as Safe Links open every link in a
mail). Its form POSTs the rating, with a CSRF token bound to a cookie the GET
set (SameSite=Strict, path /csat), and the answer is a redirect to the same
page saying thank you. A forged or expired link gets the ticket page's
refusal page; a cancelled survey, a rating past `[csat] change_days` or a
link opened by an agent's address records nothing and says so. A rating posted
from a browser an agent signed in with (`agent_marker`) is refused with a page
saying why: an agent's own click does not count.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from postdesk.channels.web.agent_marker import marked_agent
from postdesk.channels.web.app import DESK, refusal, see_other
from postdesk.mail.csat_token import RatingLink, read_rating_token
from postdesk.mail.page_token import TokenRefused, sign
from postdesk.store.db import utcnow
from postdesk.tickets.csat_scale import scale_of
from postdesk.tickets.satisfaction import MAX_COMMENT, rate_from_page, survey_page

COOKIE = "postdesk_csat"
PREFIX = "/csat/"


def _csrf(secret: str, nonce: str, token: str) -> str:
    return sign(secret, "csat-csrf", f"{nonce}.{token}")


def _link(request: web.Request) -> RatingLink:
    desk = request.app[DESK]
    link = read_rating_token(desk.secret, request.match_info["token"], now=time.time())
    if not desk.per_token.allow(f"csat:{link.ticket_id}"):
        raise TokenRefused("busy")
    return link


LinkHandler = Callable[[web.Request, RatingLink, str], Awaitable[web.StreamResponse]]


def _linked(handler: LinkHandler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The route with its rating link read and checked (refused: the refusal page)."""
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            link = _link(request)
        except TokenRefused as exc:
            return refusal(request, exc.reason)
        return await handler(request, link, request.match_info["token"])

    return wrapped


@_linked
async def confirm_page(request: web.Request, link: RatingLink, token: str
                       ) -> web.StreamResponse:
    """GET /csat/{token}: the rating to confirm (or, after the POST, the thanks)."""
    desk = request.app[DESK]
    page = await desk.reads.run(survey_page, link.ticket_id, link.customer_id,
                                link.resolution, desk.runtime, utcnow())
    if page is None:
        return refusal(request, "missing")
    nonce = request.cookies.get(COOKIE) or secrets.token_urlsafe(18)
    scale = scale_of(page.scale)
    chosen = page.rating if request.query.get("done") and page.rating else link.rating
    context = {
        "ticket": {"id": page.ticket_id, "subject": page.subject},
        "choices": [{"rating": r, "label": scale.label(r), "chosen": r == chosen}
                    for r in scale.ratings],
        "scale": scale.name, "comment": page.comment, "problem": page.problem,
        "done": request.query.get("done", ""), "rated": page.rating is not None,
        "change_days": desk.runtime.settings.csat.change_days,
        "csrf": _csrf(desk.secret, nonce, token), "action": PREFIX + token,
        "max_comment": MAX_COMMENT,
    }
    html, tag = desk.runtime.renderer.render_page("csat", context, language=page.language,
                                                  timezone=page.timezone)
    response = web.Response(text=html, content_type="text/html",
                            headers={"Content-Language": tag})
    response.set_cookie(COOKIE, nonce, path="/csat", httponly=True, samesite="Strict",
                        secure=desk.secure, max_age=3600)
    return response


@_linked
async def record(request: web.Request, link: RatingLink, token: str) -> web.StreamResponse:
    """POST /csat/{token}: record the rating (CSRF checked), then the thanks page."""
    desk = request.app[DESK]
    form = await request.post()
    nonce, given = request.cookies.get(COOKIE, ""), form.get("csrf")
    if not nonce or not isinstance(given, str) or not hmac.compare_digest(
            given, _csrf(desk.secret, nonce, token)):
        return refusal(request, "csrf")
    if marked_agent(request) is not None:
        return refusal(request, "agent_rating")
    chosen, comment = form.get("rating"), form.get("comment", "")
    rating = int(chosen) if isinstance(chosen, str) and chosen.isdigit() and len(chosen) < 3 \
        else link.rating
    rated = await asyncio.to_thread(
        rate_from_page, link.ticket_id, link.customer_id, link.resolution, rating,
        comment if isinstance(comment, str) else "", desk.runtime)
    for outbox_id in rated.outbox_ids:
        desk.dispatch_outgoing(outbox_id)
    return see_other(f"{PREFIX}{token}?done={rated.outcome}")


def add_csat_routes(app: web.Application) -> None:
    app.router.add_get(PREFIX + "{token}", confirm_page)
    app.router.add_post(PREFIX + "{token}", record)
