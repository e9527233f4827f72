"""What one transaction added, for `postdesk rules test`: the rows after a high-water mark.

`rules test` runs a mail through the worker's chain in a transaction it then
rolls back; before rolling back it reads what the chain wrote with these.
"""

from __future__ import annotations

from dataclasses import dataclass

import peewee as pw

from postdesk.store import fastsql
from postdesk.store.inbound import Arrival, inbound_row
from postdesk.store.models import Event, Inbound, Outbox


@dataclass(frozen=True)
class Marks:
    """The highest event and outbox ids before the trial."""

    event: int
    outbox: int


def marks() -> Marks:
    return Marks(event=Event.select(pw.fn.COALESCE(pw.fn.MAX(Event.id), 0)).scalar(),
                 outbox=Outbox.select(pw.fn.COALESCE(pw.fn.MAX(Outbox.id), 0)).scalar())


def events_after(mark: Marks) -> list[Event]:
    return list(Event.select().where(Event.id > mark.event).order_by(Event.id))


def outbox_after(mark: Marks) -> list[Outbox]:
    return list(Outbox.select().where(Outbox.id > mark.outbox).order_by(Outbox.id))


def trial_inbound(arrival: Arrival) -> Inbound:
    """The mail as a pending inbound row, inside the caller's (rolled back) transaction."""
    return fastsql.create(Inbound, **inbound_row(arrival, dispatched=False))
