"""Tickets read by id for the work that follows them: SLA tracking, the scans, the CLI.

Only reads: every change to a ticket goes through `postdesk.tickets.service`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

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


def tickets_not_in(statuses: Collection[str], after_id: int, limit: int) -> list[Ticket]:
    """Tickets above `after_id` whose status is none of `statuses`, in id order (a batch
    of a walk over every open ticket)."""
    return list(_not_in(Ticket.select(), statuses, after_id, limit))


def ticket_ids_not_in(statuses: Collection[str], after_id: int, limit: int) -> list[int]:
    """`tickets_not_in`, their ids only."""
    return [t.id for t in _not_in(Ticket.select(Ticket.id), statuses, after_id, limit)]


def _not_in(query: Any, statuses: Collection[str], after_id: int, limit: int) -> Any:
    return (query.where((Ticket.id > after_id) & Ticket.status.not_in(list(statuses)))
            .order_by(Ticket.id).limit(limit))
