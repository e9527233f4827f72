"""Tickets whose SLA clocks are to be recomputed: one `sla_pending` row per ticket.

The worker does not recompute a ticket's clocks inside the transaction that
stores a mail (that would be a dozen more statements in the desk's busiest
transaction). It marks the ticket here instead, in that same transaction, so
the mark is exactly as durable as the change itself; the recompute
(`postdesk.sla.tracking.catch_up`) runs a moment later for every marked
ticket at once and removes the marks in its own transaction. A crash in
between leaves the marks, and the sweeper or the next SLA scan catches up.
The table comes from migration 9.
"""

from __future__ import annotations

import peewee as pw

from postdesk.store.models import BaseModel, Ticket, UTCDateTimeField


class SlaPending(BaseModel):
    """A ticket changed at `marked_at` and its `ticket_sla` row is not recomputed yet."""

    ticket = pw.ForeignKeyField(Ticket, primary_key=True, on_delete="CASCADE")
    ticket_id: int
    marked_at = UTCDateTimeField()

    class Meta:
        table_name = "sla_pending"
