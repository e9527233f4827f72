"""Run a queue: its tickets as the JSON of `postdesk queue NAME --json`, and its count.

    [{"id", "subject", "status", "public_status", "priority", "requester", "assignee",
      "team", "request_type", "sla": {clock: {"state", "due", "remaining_s"}}}]

`requester` is `{email, name, language, bouncing}` as in `postdesk tickets --json`;
`sla` holds each clock live at `now` (`postdesk.sla_live`). One indexed query
for the page of tickets, one for their SLA rows; the count is one COUNT(*)
with the same WHERE clause.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import peewee

from postdesk.models import Customer, Ticket
from postdesk.sla.policy import SlaConfig
from postdesk.sla_store import TicketSla
from postdesk.ticket_queues.model import Queue
from postdesk.ticket_queues.sql import compile_queue, order_by
from postdesk.tickets.statuses import DEFAULT_BOOK, StatusBook
from postdesk.views import live_sla, person


def queue_tickets(queue: Queue, now: datetime, *, sla: SlaConfig | None = None,
                  statuses: StatusBook = DEFAULT_BOOK, limit: int | None = None,
                  extra: bool = False) -> list[dict[str, Any]]:
    """The queue's tickets in its order, at most `limit` (default: the queue's limit).
    `extra` adds what the terminal and digest views may show (`tags`, `created_at`,
    `updated_at`); `--json` prints exactly the documented keys."""
    compiled = compile_queue(queue, now)
    query = (Ticket.select(Ticket, Customer)
             .join(Customer, on=(Ticket.requester == Customer.id))
             .join_from(Ticket, TicketSla, peewee.JOIN.LEFT_OUTER,
                        on=(TicketSla.ticket == Ticket.id))
             .where(compiled.where)
             .order_by(*order_by(queue))
             .limit(limit or queue.limit))
    tickets = list(query)
    clocks = live_sla([t.id for t in tickets], sla, now)
    return [
        {
            "id": ticket.id,
            "subject": ticket.subject,
            "status": ticket.status,
            "public_status": statuses.public_name(ticket.status),
            "priority": ticket.priority,
            "requester": person(ticket.requester),
            "assignee": ticket.assignee,
            "team": ticket.team,
            "request_type": ticket.request_type,
            "sla": {name: clock.as_json() for name, clock in clocks.get(ticket.id, {}).items()},
            **(_extra(ticket) if extra else {}),
        }
        for ticket in tickets
    ]


def _extra(ticket: Ticket) -> dict[str, Any]:
    return {"tags": list(ticket.tags or ()), "created_at": ticket.created_at.isoformat(),
            "updated_at": ticket.updated_at.isoformat()}


def queue_count(queue: Queue, now: datetime) -> int:
    """How many tickets the queue holds now (not limited)."""
    compiled = compile_queue(queue, now)
    query = Ticket.select(peewee.fn.COUNT(Ticket.id))
    if compiled.needs_customer:
        query = query.join(Customer, on=(Ticket.requester == Customer.id))
    if compiled.needs_sla:
        query = query.join_from(Ticket, TicketSla, peewee.JOIN.LEFT_OUTER,
                                on=(TicketSla.ticket == Ticket.id))
    return int(query.where(compiled.where).scalar() or 0)
