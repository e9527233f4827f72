"""The agent's mark for the satisfaction pages: an agent's own click on a survey link
does not count (issue 22).

The agent session cookie of `/reports` is scoped to that path, so it never
reaches `/csat/`. Widening it would send a credential for the reports along
with every customer page; instead the sign-in sets a second cookie, scoped to
`/csat`, signed for its own purpose (`agent_token.CSAT_MARKER`): it names the
agent and expires with the session, but it is no session: it opens no report
and no ticket. HttpOnly, SameSite=Strict (only the survey page's own form needs
it), Secure behind https.
"""

from __future__ import annotations

import time

from aiohttp import web

from postdesk.channels.web.app import DESK
from postdesk.mail.agent_token import CSAT_MARKER, AgentToken, make_agent_token, read_agent_token
from postdesk.mail.page_token import TokenRefused

COOKIE = "postdesk_agent_csat"
PATH = "/csat"


def mark(request: web.Request, response: web.StreamResponse, session: AgentToken) -> None:
    """Mark the browser that has just opened the agent `session` as an agent's."""
    desk = request.app[DESK]
    response.set_cookie(COOKIE, make_agent_token(desk.secret, session, CSAT_MARKER),
                        path=PATH, httponly=True, samesite="Strict", secure=desk.secure,
                        max_age=max(0, session.expires - int(time.time())))


def marked_agent(request: web.Request) -> str | None:
    """The agent address the browser is marked with; None without a valid mark of a
    current agent."""
    return agent_of_cookie(request, COOKIE, CSAT_MARKER)


def agent_of_cookie(request: web.Request, cookie: str, purpose: str) -> str | None:
    """The address of the agent token in `cookie`, signed for `purpose`; None without a
    valid one of a current agent (of rules/teams.yaml now)."""
    desk = request.app[DESK]
    try:
        token = read_agent_token(desk.secret, request.cookies.get(cookie, ""),
                                 now=time.time(), purpose=purpose)
    except TokenRefused:
        return None
    return token.email if desk.runtime.teams.agent(token.email) is not None else None
