"""A queue run in SQL: the ticket numbers of its first page, in its order, and its count.

`postdesk.store.queue_sql` turns the queue's conditions and sort into a WHERE
clause and an ORDER BY; here they become the statements that read a page (narrow
rows: ticket numbers only; the tickets are read after, by number) and the
COUNT(*) with the same WHERE clause.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import peewee

from postdesk.store.db import is_postgres
from postdesk.store.models import Customer, Ticket
from postdesk.store.queue_sql import Compiled, compile_queue, order_by
from postdesk.store.sla_store import TicketSla
from postdesk.ticket_queues.model import Queue


def page_ids(queue: Queue, now: datetime, limit: int) -> list[int]:
    """The ticket numbers of the queue's first page, in its order (narrow rows only)."""
    found: list[int] = []
    for query in page_queries(queue, now, limit):
        found += _ids(query)[:limit - len(found)]
        if len(found) == limit:
            break
    return found


def page_queries(queue: Queue, now: datetime, limit: int) -> list[Any]:
    """The queries that read a page, run in turn until it is full.

    Sorted by SLA due time first (and not selected by SLA state), the page is read
    along the `due_at` index and stops after `limit` matches instead of sorting every
    ticket of the queue: first
    the tickets with a due time (SQLite is made to start from ticket_sla by a CROSS
    JOIN, its way of fixing the join order), then those without one."""
    compiled = compile_queue(queue, now)
    if not queue.sort or queue.sort[0] != ("sla_due", False) or compiled.sla_required:
        # (an SLA state picks a few tickets by the SLA indexes: sorting them is cheap)
        with_sla = compiled.needs_sla or any(key == "sla_due" for key, _ in queue.sort)
        return [_narrow(compiled, compiled.sla_join if with_sla else None)
                .where(compiled.where).order_by(*order_by(queue)).limit(limit)]
    later = replace(queue, sort=queue.sort[1:])
    same = TicketSla.ticket == Ticket.id
    driven = (TicketSla.select(TicketSla.ticket.alias("id"))
              .join(Ticket, peewee.JOIN.INNER, on=same) if is_postgres() else
              TicketSla.select(TicketSla.ticket.alias("id")).join(Ticket, peewee.JOIN.CROSS))
    if compiled.needs_customer:
        driven = driven.switch(Ticket).join(Customer, on=(Ticket.requester == Customer.id))
    first = (driven.where(compiled.where & TicketSla.due_at.is_null(False) & same)
             .order_by(TicketSla.due_at, *order_by(later)).limit(limit))
    rest = (_narrow(compiled, peewee.JOIN.LEFT_OUTER)
            .where(compiled.where & TicketSla.due_at.is_null())
            .order_by(*order_by(later)).limit(limit))
    return [first, rest]


def _narrow(compiled: Compiled, sla_join: Any | None) -> Any:
    """Ticket numbers, joined only to what the conditions need (None: no SLA row)."""
    query = Ticket.select(Ticket.id)
    if compiled.needs_customer:
        query = query.join(Customer, on=(Ticket.requester == Customer.id))
    if sla_join is not None:
        query = query.join_from(Ticket, TicketSla, sla_join,
                                on=(TicketSla.ticket == Ticket.id))
    return query


def _ids(query: Any) -> list[int]:
    return [int(row[0]) for row in query.tuples()]


def queue_count(queue: Queue, now: datetime) -> int:
    """How many tickets the queue holds now (not limited)."""
    compiled = compile_queue(queue, now)
    query = Ticket.select(peewee.fn.COUNT(Ticket.id))
    if compiled.needs_customer:
        query = query.join(Customer, on=(Ticket.requester == Customer.id))
    if compiled.needs_sla:
        query = query.join_from(Ticket, TicketSla, compiled.sla_join,
                                on=(TicketSla.ticket == Ticket.id))
    return int(query.where(compiled.where).scalar() or 0)


def ticket_in_queue(queue: Queue, ticket_id: int, now: datetime) -> bool:
    """Whether the queue's conditions hold for one ticket now (a chat triage channel's
    `if:`, for a new ticket)."""
    compiled = compile_queue(queue, now)
    query = _narrow(compiled, compiled.sla_join if compiled.needs_sla else None)
    return bool(query.where(compiled.where & (Ticket.id == ticket_id)).exists())
