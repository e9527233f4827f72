"""Queue digests: a queue (or the list of queues) mailed to one agent, in their language.

The mail (`queue_digest` templates) lists each ticket with its live SLA and the
agent's own signed reply address for that ticket, so replying to a line is
replying to the ticket: the text reaches the customer and commands at the top
(`#assign me`) apply, exactly as for a notification. The digest itself comes
from the support address and answers to the agent's own signed desk address
(`desk_address_of`: a reply address for no ticket), where `#queue NAME` asks
for another one: the plain support address cannot tell the agent from a
forger without DKIM, and would open a customer ticket instead. A digest sent
because an agent wrote to the plain address without proof says so first
(`refused`).

Context (JSON-safe, stored in the outbox row): ``digest{name, title, count,
shown, problem}`` (no name: the list of queues), ``tickets[{id, subject,
requester{name, email}, status, public_status, priority, assignee, sla_state,
sla[{clock, state, remaining_s, due_at}], reply_address, reply_subject}]``,
``queues[{name, title, count}]``, ``agent``, ``desk``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from postdesk.config.live_sla import sla_config
from postdesk.config.runtime import Runtime
from postdesk.mail.address import reply_address
from postdesk.mail.classify import LOOP_HEADER
from postdesk.mail.compose import new_message_id
from postdesk.sla.tracking.live import worst
from postdesk.ticket_queues.model import Queue
from postdesk.ticket_queues.query import queue_count, queue_tickets
from postdesk.tickets.agents import agent_role
from postdesk.tickets.service import MailToSend
from postdesk.tickets.teams import Agent

DIGEST_TEMPLATE = "queue_digest"


#: The ticket number of an agent's desk address: replies to it answer no ticket.
DESK_TICKET = 0


def desk_address_of(agent: Agent, support_address: str, secret: str) -> str:
    """The agent's own signed address for mail about the desk (`#queue NAME`, `#queues`)."""
    return reply_address(support_address, DESK_TICKET, agent_role(agent.email), secret)


def digest_mail(runtime: Runtime, agent: Agent, queue: Queue | None, now: datetime, *,
                message_id: str | None = None, problem: str | None = None,
                desk_address: str | None = None, refused: bool = False) -> MailToSend:
    """The digest of `queue` (None: every queue with its count) for `agent` at `now`.
    `problem` is a queue name the agent asked for that does not exist; `refused`: the
    agent's mail to the plain support address could not be verified and did nothing."""
    settings = runtime.settings
    address = desk_address or settings.desk.addresses[0]
    own = desk_address_of(agent, address, settings.desk.secret)
    language = agent.language or settings.desk.default_language
    default = settings.desk.default_language
    context: dict[str, Any] = {
        "desk": {"name": settings.desk.name, "address": address},
        "agent": {"name": agent.name, "email": agent.email},
        "digest": {"name": None, "title": "", "count": 0, "shown": 0, "problem": problem,
                   "reply_address": own, "refused": refused},
        "tickets": [], "queues": [],
    }
    if queue is None:
        context["queues"] = [{"name": q.name, "title": q.title(language, default),
                              "count": queue_count(q, now)} for q in runtime.queues.queues]
    else:
        rows = queue_tickets(queue, now, sla=sla_config(runtime), statuses=runtime.statuses)
        count = len(rows) if len(rows) < queue.limit else queue_count(queue, now)
        context["digest"].update(name=queue.name, title=queue.title(language, default),
                                 count=count, shown=len(rows))
        role = agent_role(agent.email)
        context["tickets"] = [_line(row, reply_address(address, row["id"], role,
                                                       settings.desk.secret),
                                    _agent_name(runtime, row["assignee"]))
                              for row in rows]
    return MailToSend(
        kind=DIGEST_TEMPLATE, recipient=agent.email,
        message_id=message_id or new_message_id(settings.desk.domain),
        language=language, timezone=agent.timezone or settings.desk.timezone,
        context=context,
        headers={"from_name": settings.desk.name, "from_address": address,
                 "reply_to": own, "in_reply_to": None, "references": [],
                 "auto_submitted": "auto-generated",
                 LOOP_HEADER: runtime.identity.loop_value, "attachments": []},
        automatic=True)


def _agent_name(runtime: Runtime, email: str | None) -> str | None:
    """How the digest names an assignee: their name in teams.yaml, else the address."""
    if not email:
        return None
    agent = runtime.teams.agent(email)
    return agent.name if agent is not None and agent.name else email


def _line(row: dict[str, Any], address: str, assignee_name: str | None = None
          ) -> dict[str, Any]:
    clocks = row["sla"]
    return {
        "id": row["id"], "subject": row["subject"],
        "requester": {"name": row["requester"]["name"], "email": row["requester"]["email"]},
        "status": row["status"], "public_status": row["public_status"],
        "priority": row["priority"], "assignee": row["assignee"],
        "assignee_name": assignee_name or row["assignee"],
        "sla_state": worst(c["state"] for c in clocks.values()),
        "sla": [{"clock": name, "state": c["state"], "remaining_s": c["remaining_s"],
                 "due_at": c["due"]} for name, c in clocks.items() if c["state"] != "met"],
        "reply_address": address,
        "reply_subject": f"Re: [#{row['id']}] {row['subject']}".strip(),
    }
