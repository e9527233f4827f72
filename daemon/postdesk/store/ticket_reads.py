"""Tickets read by id for the work that follows them: SLA tracking and the scans.

Only reads: every change to a ticket goes through `postdesk.tickets.service`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from postdesk.store import fastsql
from postdesk.store.models import Ticket


def ticket_by_id(ticket_id: int) -> Ticket | None:
    """The ticket, or None when there is no such ticket (any more)."""
    return Ticket.get_or_none(Ticket.id == ticket_id)


def tickets_by_ids(ticket_ids: Sequence[int]) -> list[Ticket]:
    """The tickets with these ids, in the order of `ticket_ids` (one pre-built statement;
    ids without a ticket left out)."""
    found = {t.id: t for t in fastsql.rows_by(Ticket, Ticket.id, ticket_ids)}
    return [found[i] for i in ticket_ids if i in found]


def ticket_ids_not_in(statuses: Collection[str], after_id: int, limit: int) -> list[int]:
    """Ids above `after_id` of tickets whose status is none of `statuses`, in id order
    (a batch of a scan that walks every open ticket)."""
    return [t.id for t in Ticket.select(Ticket.id)
            .where((Ticket.id > after_id) & Ticket.status.not_in(list(statuses)))
            .order_by(Ticket.id).limit(limit)]
