"""`/reports` for agents: the KPI report (`postdesk report kpi --format html`) behind a
sign-in by a link mailed to an agent address.

    GET  /reports/sign-in           a form asking the address (CSRF, per-IP hourly limit)
    POST /reports/sign-in           the same answer for every address; an agent's gets a
                                    link (postdesk.tickets.reports_sign_in)
    GET  /reports/session/{token}   the link: sets the agent session cookie, -> /reports
    GET  /reports?since=2026-03-01&until=2026-03-31&by=agent
                                    the report (dates in the desk's zone, both included;
                                    by: team, agent, request_type or channel)

The session is a signed cookie (no table): HttpOnly, SameSite=Lax, Secure
behind https, path /reports, `SESSION_S` long; it names the agent address, and
the address must still be an agent of rules/teams.yaml at every request. A
customer's ticket session is another purpose and never opens a report. Signing
in also marks the browser for the satisfaction pages (`agent_marker`), so that
the agent's own click on a survey link does not count.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from postdesk.channels.web import app as page_app
from postdesk.channels.web.agent_marker import agent_of_cookie, mark
from postdesk.channels.web.anonymous_form import answer_address_form, render_form
from postdesk.channels.web.security_headers import CONTENT_SECURITY_POLICY
from postdesk.config.runtime import Runtime
from postdesk.mail.agent_token import (
    LINK,
    SESSION,
    AgentToken,
    make_agent_token,
    read_agent_token,
)
from postdesk.mail.page_token import TokenRefused
from postdesk.report import kpi_html
from postdesk.report.kpi_query import kpi_report
from postdesk.report.kpi_summary import KPI_GROUPINGS
from postdesk.store.db import utcnow
from postdesk.tickets.reports_sign_in import SESSION_PATH, send_sign_in_link

PATH = "/reports"
COOKIE = "postdesk_agent"
SESSION_S = 8 * 3600
_STYLE = re.compile(r"<style>(.*?)</style>", re.S)
NAV_CSS = "/static/report-nav.css"
_NAV_CSS = """
.report-nav{background:#fff;border-bottom:1px solid #e5e7eb;padding:10px 28px;
font-family:system-ui,-apple-system,'Segoe UI',sans-serif;font-size:14px}
.report-nav form{display:flex;flex-wrap:wrap;gap:12px;align-items:center;max-width:1000px;
margin:0 auto}
.report-nav input,.report-nav select,.report-nav button{font:inherit;padding:4px 6px}
@media print{.report-nav{display:none}}
"""


def _agent_of(request: web.Request) -> str | None:
    """The signed-in agent's address, None without a valid session of a current agent."""
    return agent_of_cookie(request, COOKIE, SESSION)


async def show_sign_in(request: web.Request) -> web.StreamResponse:
    return await render_form(request, "reports_sign_in", notice=request.query.get("done", ""))


async def ask_for_sign_in(request: web.Request) -> web.StreamResponse:
    """POST /reports/sign-in: the same answer for every well-formed address."""
    return await answer_address_form(request, "reports_sign_in", send_sign_in_link,
                                     f"{PATH}/sign-in")


async def open_session(request: web.Request) -> web.StreamResponse:
    """GET /reports/session/{token}: the mailed link -> the session cookie -> /reports."""
    desk = request.app[page_app.DESK]
    now = time.time()
    try:
        link = read_agent_token(desk.secret, request.match_info["token"], now=now,
                                purpose=LINK)
    except TokenRefused:
        return page_app.refusal(request, "signin_link")
    if desk.runtime.teams.agent(link.email) is None:
        return page_app.refusal(request, "signin_link")
    response = page_app.see_other(PATH)
    session = AgentToken(link.email, int(now) + SESSION_S)
    response.set_cookie(COOKIE, make_agent_token(desk.secret, session, SESSION), path=PATH,
                        httponly=True, samesite="Lax", secure=desk.secure, max_age=SESSION_S)
    mark(request, response, session)
    return response


def report_query(query: dict[str, str], zone: ZoneInfo
                 ) -> tuple[str, datetime | None, datetime | None] | None:
    """(by, since, until) from `?since=&until=&by=` (days in `zone`, until included), None
    when a value is not one the report takes."""
    by = query.get("by") or "team"
    try:
        since = _day(query.get("since"), zone)
        until = _day(query.get("until"), zone)
    except ValueError:
        return None
    if until is not None:
        until += timedelta(days=1)
    if by not in KPI_GROUPINGS or (since and until and until <= since):
        return None
    return by, since, until


def _day(text: str | None, zone: ZoneInfo) -> datetime | None:
    if not text:
        return None
    day = date.fromisoformat(text.strip())
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def render_report(runtime: Runtime, by: str, since: datetime | None,
                  until: datetime | None, language: str | None = None) -> str:
    """What `postdesk report kpi --format html` prints for the same options; in `language`
    (along its locale chain; the desk's default language when None), its figures written
    as that language writes them."""
    settings = runtime.settings
    zone = ZoneInfo(settings.desk.timezone)
    report = kpi_report(by, since, until, utcnow().astimezone(zone),
                        runtime.statuses.names_of_kind("closed"))
    return kpi_html.to_html(report, desk=settings.desk.name,
                            accent=settings.branding.primary_colour,
                            **kpi_html.written_in(runtime.renderer, language))


def _translator(runtime: Runtime, language: str) -> kpi_html.Gettext:
    return kpi_html.translator(runtime.renderer, language)


def agent_language(runtime: Runtime, email: str) -> str:
    """The agent's language (rules/teams.yaml), the desk's default without one: as the
    desk's mails to the agent are written."""
    return runtime.teams.language_of(email, runtime.settings.desk.default_language)


def report_policy(html: str) -> str:
    """The page's CSP with its own style block allowed by hash (the report is a file too,
    so it keeps its styles inline), and nothing else inline."""
    hashes = "".join(
        " 'sha256-" + base64.b64encode(hashlib.sha256(block.encode()).digest()).decode() + "'"
        for block in _STYLE.findall(html))
    return CONTENT_SECURITY_POLICY.replace("style-src 'self'", f"style-src 'self'{hashes}")


def with_options(html: str, nav: str) -> str:
    """The report with the options bar at the top of its body (and its stylesheet); as it
    is when the report has no plain <body> to put it in."""
    if "<body>" not in html or "</head>" not in html:
        return html
    html = html.replace("</head>", f'<link rel="stylesheet" href="{NAV_CSS}">\n</head>', 1)
    return html.replace("<body>", f"<body>\n{nav}", 1)


async def nav_stylesheet(request: web.Request) -> web.StreamResponse:
    return web.Response(text=_NAV_CSS, content_type="text/css")


async def show_report(request: web.Request) -> web.StreamResponse:
    """GET /reports: the KPI report, for a signed-in agent only."""
    desk = request.app[page_app.DESK]
    agent = _agent_of(request)
    if agent is None:
        return page_app.refusal(request, "signin")
    chosen = report_query(dict(request.query), ZoneInfo(desk.runtime.settings.desk.timezone))
    if chosen is None:
        return page_app.refusal(request, "query")
    language = agent_language(desk.runtime, agent)
    gettext = _translator(desk.runtime, language)
    nav, tag = desk.runtime.renderer.render_page(
        "report_nav", {"since": request.query.get("since", ""),
                       "until": request.query.get("until", ""), "by": chosen[0],
                       "groupings": [(name, kpi_html.grouping_title(name, gettext))
                                     for name in KPI_GROUPINGS]},
        language=language)
    html = await desk.report_reads.run(render_report, desk.runtime, *chosen, language)
    html = with_options(html, nav)
    return web.Response(text=html, content_type="text/html",
                        headers={"Content-Security-Policy": report_policy(html),
                                 "Content-Language": tag})


def add_routes(app: web.Application) -> None:
    app.router.add_get(PATH, show_report)
    app.router.add_get(NAV_CSS, nav_stylesheet)
    app.router.add_get(f"{PATH}/sign-in", show_sign_in)
    app.router.add_post(f"{PATH}/sign-in", ask_for_sign_in)
    app.router.add_get(SESSION_PATH + "{token}", open_session)
