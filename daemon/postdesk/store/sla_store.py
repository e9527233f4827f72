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

Deleting a ticket deletes its row. The table comes from migration 6.
"""

from __future__ import annotations

import peewee as pw

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
