"""Worker heartbeats: one `lease` row per running worker, named `worker:<id>`.

`postdesk status` reads them to tell "8 messages queued and a worker on it" from
"8 messages queued and nobody to take them". A worker renews its row every few
seconds; one that dies stops renewing and its row expires; one that stops cleanly
deletes it. Rows of workers dead for a day are removed by the next beat of any
worker, so the table does not grow with every restart.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from postdesk.store.db import database
from postdesk.store.lease import Lease, LeaseKeeper, _naive_utc

PREFIX = "worker:"
FORGET_AFTER = timedelta(days=1)


def beat(keeper: LeaseKeeper, now: datetime) -> None:
    """Renew this worker's row (and drop the rows of workers long dead)."""
    keeper.try_acquire(now)
    with database.atomic():
        (Lease.delete().where(Lease.name.startswith(PREFIX)
                              & (Lease.expires_at < _naive_utc(now - FORGET_AFTER)))
         .execute())


def forget(keeper: LeaseKeeper) -> None:
    """A clean stop: this worker is gone now, not when its row expires."""
    with database.atomic():
        Lease.delete().where(Lease.name == keeper.name).execute()


def alive_workers(now: datetime) -> int:
    """Workers whose heartbeat has not expired at `now`."""
    return int(Lease.select().where(Lease.name.startswith(PREFIX)
                                    & (Lease.expires_at > _naive_utc(now))).count())
