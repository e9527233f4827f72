"""Run a queue: its tickets as the JSON of `postdesk queue NAME --json`, and its count.

    [{"id", "subject", "status", "public_status", "priority", "requester", "assignee",
      "team", "request_type", "sla": {clock: {"state", "due", "remaining_s"}}}]

`requester` is `{email, name, language, bouncing}` as in `postdesk tickets --json`;
`sla` holds each clock live at `now` (`postdesk.sla.tracking.live`). One indexed query
for the page of tickets, one for their SLA rows; the count is one COUNT(*)
with the same WHERE clause (the SQL is `postdesk.store.queue_pages`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from postdesk.sla.policy import SlaConfig
from postdesk.store.models import Ticket
from postdesk.store.queue_pages import page_ids, queue_count
from postdesk.store.ticket_listing import tickets_by_ids
from postdesk.ticket_queues.model import Queue
from postdesk.tickets.statuses import DEFAULT_BOOK, StatusBook
from postdesk.tickets.views import live_sla, person

__all__ = ["queue_count", "queue_tickets"]


def queue_tickets(queue: Queue, now: datetime, *, sla: SlaConfig | None = None,
                  statuses: StatusBook = DEFAULT_BOOK, limit: int | None = None,
                  extra: bool = False) -> list[dict[str, Any]]:
    """The queue's tickets in its order, at most `limit` (default: the queue's limit).
    `extra` adds what the terminal and digest views may show (`tags`, `created_at`,
    `updated_at`); `--json` prints exactly the documented keys."""
    ids = page_ids(queue, now, limit or queue.limit)
    tickets = tickets_by_ids(ids)
    clocks = live_sla(ids, sla, now)
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
