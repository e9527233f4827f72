"""Tickets whose SLA clocks are to be recomputed: one `sla_pending` row per ticket.

The worker does not recompute a ticket's clocks inside the transaction that
stores a mail (that would be a dozen more statements in the desk's busiest
transaction). It marks the ticket here instead, in that same transaction, so
the mark is exactly as durable as the change itself; the recompute
(`postdesk.sla.tracking.catch_up`) runs a moment later for every marked
ticket at once and removes the marks in its own transaction. A crash in
between leaves the marks, and the sweeper or the next SLA scan catches up.
The table comes from migration 9; the statements on it are below (pre-built
SQL: they run for every changed ticket).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, NamedTuple

import peewee as pw

from postdesk.store import fastsql
from postdesk.store.db import database, is_postgres
from postdesk.store.models import BaseModel, Ticket, UTCDateTimeField


class SlaPending(BaseModel):
    """A ticket changed at `marked_at` and its `ticket_sla` row is not recomputed yet."""

    ticket = pw.ForeignKeyField(Ticket, primary_key=True, on_delete="CASCADE")
    ticket_id: int
    marked_at = UTCDateTimeField()

    class Meta:
        table_name = "sla_pending"


class PendingMark(NamedTuple):
    """A mark as read: its ticket, and `marked_at` as the database holds it (compared as
    it is when the mark is removed)."""

    ticket_id: int
    stored_at: Any


def mark(ticket_id: int, now: datetime) -> None:
    """Mark the ticket, inside the caller's transaction.

    An upsert, not an insert-if-absent: it locks the mark (PostgreSQL) so that a
    catch-up that is reading the ticket's history waits for this commit."""
    p = database.obj.param
    database.execute_sql(
        f'INSERT INTO "sla_pending" ("ticket_id", "marked_at") VALUES ({p}, {p}) '
        f'ON CONFLICT ("ticket_id") DO UPDATE SET "marked_at" = excluded."marked_at"',
        [ticket_id, SlaPending.marked_at.db_value(now)])


def take_marks(older_than: datetime | None, limit: int,
               only: Collection[int] | None = None) -> list[PendingMark]:
    """The oldest marks (marked before `older_than`, of the tickets `only`, when given);
    on PostgreSQL locked for the caller's transaction, and marks another transaction
    holds are skipped."""
    p = database.obj.param
    conditions, params = [], []
    if older_than is not None:
        conditions.append(f'"marked_at" < {p}')
        params.append(SlaPending.marked_at.db_value(older_than))
    if only is not None:
        conditions.append(f'"ticket_id" IN ({fastsql.placeholders(len(only))})')
        params += list(only)
    where = f'WHERE {" AND ".join(conditions)} ' if conditions else ""
    lock = " FOR UPDATE SKIP LOCKED" if is_postgres() else ""
    return [PendingMark(int(ticket_id), marked_at) for ticket_id, marked_at in database.execute_sql(
        f'SELECT "ticket_id", "marked_at" FROM "sla_pending" {where}ORDER BY "marked_at" '
        f'LIMIT {int(limit)}{lock}', params)]


def remove_marks(ticket_ids: Sequence[int]) -> None:
    """Remove the marks of these tickets (in the caller's transaction)."""
    if ticket_ids:
        database.execute_sql(f'DELETE FROM "sla_pending" WHERE "ticket_id" IN '
                             f'({fastsql.placeholders(len(ticket_ids))})', list(ticket_ids))


def remove_unchanged_marks(marks: Sequence[PendingMark]) -> set[int]:
    """Remove the marks that still hold the time they were read with (a ticket marked
    again since keeps its newer mark); the tickets whose marks went."""
    if not marks:
        return set()
    p = database.obj.param
    pairs = ", ".join([f"({p}, {p})"] * len(marks))
    return {int(ticket_id) for (ticket_id,) in database.execute_sql(
        f'DELETE FROM "sla_pending" WHERE ("ticket_id", "marked_at") IN (VALUES {pairs}) '
        f'RETURNING "ticket_id"', [value for mark in marks for value in mark])}
