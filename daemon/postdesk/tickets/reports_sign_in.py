"""An agent's sign-in link to the web's `/reports`, mailed to their agent address.

Asked on the `/reports/sign-in` form by whoever knows an address: the page says
the same for every address, and the link goes only to an address that is an
agent of rules/teams.yaml, only through the automatic-mail brake. The link
works for `LINK_S` seconds and opens a session (`postdesk.mail.agent_token`).
Returns the outbox id to dispatch, or None when nothing was sent.
"""

from __future__ import annotations

import logging
from datetime import datetime

from postdesk.config.runtime import Runtime
from postdesk.mail.agent_token import LINK, AgentToken, make_agent_token
from postdesk.notify.ratelimit import automatic_mail_held_back
from postdesk.store.db import database
from postdesk.tickets import service
from postdesk.tickets.page_links import desk_mail

log = logging.getLogger(__name__)

TEMPLATE = "reports_sign_in"
#: how long a mailed sign-in link works
LINK_S = 3600
#: where the link leads (the web edge serves it)
SESSION_PATH = "/reports/session/"


def sign_in_url(runtime: Runtime, email: str, now: datetime) -> str:
    settings = runtime.settings
    token = make_agent_token(settings.desk.secret,
                             AgentToken(email, int(now.timestamp()) + LINK_S), LINK)
    return f"{settings.web.public_base()}{SESSION_PATH}{token}"


def send_sign_in_link(email: str, runtime: Runtime, now: datetime) -> int | None:
    """Queue the sign-in mail for `email` if it is an agent's address."""
    settings = runtime.settings
    agent = runtime.teams.agent(email)
    if agent is None or not settings.web.listen:
        return None
    with database.connection_context(), database.atomic():
        held = automatic_mail_held_back(agent.email, now, settings.limits)
        if held is not None:
            log.info("a sign-in link to the reports not sent: %s", held)
            return None
        context = {"desk": {"name": settings.desk.name, "address": settings.desk.addresses[0]},
                   "agent": {"name": agent.name, "email": agent.email},
                   "sign_in": {"url": sign_in_url(runtime, agent.email, now),
                               "minutes": LINK_S // 60},
                   "reply_marker": False}
        mail = desk_mail(TEMPLATE, agent.email, agent.language, agent.timezone, context,
                         runtime, auto_submitted="auto-generated")
        return int(service.queue_mail(None, mail, now=now).id)
