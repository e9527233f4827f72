"""Where each ticket's SLA clocks are kept: one `ticket_sla` row per ticket.

The row is a cache of what `postdesk.sla.compute_clocks` derives from the
ticket's history (`postdesk.sla.tracking.track`), plus the two things the
history does not hold:

* `fired`: the keys of the warnings and breaches already raised
  (`resolution#1:75%`), so each fires once whatever the number of scans;
* `next_at`: the earliest warning or breach moment not yet fired. It is
  indexed, and the scheduler's scan reads only rows with `next_at <= now`
  (`postdesk.sla.tracking.scan`), never every ticket. NULL: nothing ahead (every
  clock met or paused).

`checked_until` is the moment of the last scan that handled the row,
`clocks` the JSON of `postdesk sla simulate` per clock (as of `updated_at`),
plus `counting` (the clock runs on) and `warn_at` (its first warning moment).

For queues (migration 7), three indexed columns summarise the clocks so that
a queue filters and sorts in SQL (`postdesk.sla.tracking.live` says what they mean at
any later moment):

* `state`: the worst clock state as of `updated_at`, one of breached,
  warning, ok (running), paused, met (worst first);
* `due_at`: the earliest due time of the clocks still counting (a breached
  one's is past); NULL when none counts (all met or paused);
* `warn_at`: the earliest first-warning moment of the running clocks.

Deleting a ticket deletes its row. The table comes from migration 6. The
statements on it are below; what the columns hold is worked out by
`postdesk.sla.tracking.track`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

import peewee as pw

from postdesk.store import fastsql
from postdesk.store.models import BaseModel, JSONField, Ticket, UTCDateTimeField


class TicketSla(BaseModel):
    """The SLA state of one ticket (see the module docstring)."""

    id = pw.AutoField()
    ticket = pw.ForeignKeyField(Ticket, unique=True, on_delete="CASCADE")
    ticket_id: int
    policy = pw.CharField(max_length=200)
    clocks = JSONField(default=dict)  # name -> clock_json(...) + cycle, target_s
    fired = JSONField(default=list)  # crossing keys already raised, sorted
    next_at = UTCDateTimeField(null=True, index=True)
    checked_until = UTCDateTimeField(null=True)
    state = pw.CharField(max_length=16, null=True, index=True)  # worst, as of updated_at
    due_at = UTCDateTimeField(null=True, index=True)  # earliest due of counting clocks
    warn_at = UTCDateTimeField(null=True, index=True)  # earliest warning of running clocks
    updated_at = UTCDateTimeField()

    class Meta:
        table_name = "ticket_sla"


def row_of(ticket_id: int) -> TicketSla | None:
    """The ticket's row as stored (None: it has none yet), for displays."""
    return TicketSla.get_or_none(TicketSla.ticket == ticket_id)


def locked_row(ticket_id: int) -> TicketSla | None:
    """The ticket's row, locked until the transaction ends (PostgreSQL; SQLite has
    one writer at a time anyway); None when it has none yet."""
    return fastsql.get_by(TicketSla, TicketSla.ticket, ticket_id, lock=True)


def locked_rows(ticket_ids: Sequence[int]) -> dict[int, TicketSla]:
    """`locked_row` of several tickets with one statement, by ticket id."""
    return {row.ticket_id: row for row in
            fastsql.rows_by(TicketSla, TicketSla.ticket, ticket_ids, lock=True)}


def create_row(ticket_id: int, now: datetime, values: Mapping[str, Any]) -> TicketSla | None:
    """A new row for the ticket with these column values; None when the ticket has one
    already (another worker created it a moment ago: nothing is written)."""
    return fastsql.create_if_absent(TicketSla, ticket=ticket_id, updated_at=now, **values)


def update_row(row: TicketSla, now: datetime, values: Mapping[str, Any]) -> None:
    """Store these column values on the ticket's row, as of `now`."""
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_at = now
    row.save()


def due_rows(now: datetime, limit: int, after: tuple[datetime, int] | None = None
             ) -> list[tuple[int, int, datetime]]:
    """(row id, ticket id, next_at) of the rows due at `now`, by next_at then id, after a
    keyset position (next_at, row id): the one query of an SLA scan, served by the
    `next_at` index."""
    query = (TicketSla.select(TicketSla.id, TicketSla.ticket, TicketSla.next_at)
             .where(TicketSla.next_at <= now))
    if after is not None:
        moment, row_id = after
        query = query.where((TicketSla.next_at > moment)
                            | ((TicketSla.next_at == moment) & (TicketSla.id > row_id)))
    rows = cast(Iterable[tuple[Any, Any, Any]],
                query.order_by(TicketSla.next_at, TicketSla.id).limit(limit).tuples())
    return [(int(row_id), int(ticket_id), next_at) for row_id, ticket_id, next_at in rows]
