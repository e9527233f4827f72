"""The scheduler's leader lease: one row per lease name in the shared database.

Several `postdesk serve` nodes may share one PostgreSQL database; only the node
holding the `scheduler` lease runs the periodic scans. A node takes or renews
the lease with ONE atomic statement,

    UPDATE lease SET holder = :me, expires_at = :now + ttl, ...
     WHERE name = :name AND (holder = :me OR expires_at < :now)

so of two nodes racing for an expired lease exactly one sees a changed row.
The row is created on first use (INSERT ... ON CONFLICT DO NOTHING, so a
concurrent creation is harmless). The holder renews well before `ttl` runs out
(every ttl/3 is a good rhythm); a node that dies simply stops renewing and
another takes over once `expires_at` has passed. A node that stops cleanly
calls `release()` so the next one need not wait.

`now` comes from each node's clock: keep the nodes NTP-synchronised and the
ttl well above any skew. Two leaders can still overlap briefly (a paused
process that resumes after its lease was taken over), which is why the scans
themselves are idempotent; `LeaseKeeper.holds(now)` lets a leader stop acting
as soon as its own view of the lease has run out.

Operators can see who leads with `SELECT * FROM lease`.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from datetime import UTC, datetime, timedelta

import peewee as pw

from postdesk.store.db import database

#: The lease of the periodic scans (SLA, time rules, sweeper).
SCHEDULER = "scheduler"
#: Written into `expires_at` by `release()`: long past, so anyone may take the lease.
RELEASED = datetime(1970, 1, 1)


def _naive_utc(moment: datetime) -> datetime:
    """Leases are stored as naive UTC, like every other time in the desk's tables."""
    if moment.tzinfo is None:
        raise ValueError("lease times must be timezone-aware (UTC)")
    return moment.astimezone(UTC).replace(tzinfo=None)


class Lease(pw.Model):
    """Who holds the named lease, since when, and until when (naive UTC)."""

    name = pw.CharField(max_length=64, primary_key=True)
    holder = pw.CharField(max_length=255)
    acquired_at = pw.DateTimeField()
    expires_at = pw.DateTimeField()

    class Meta:
        database = database
        table_name = "lease"


def default_holder_id() -> str:
    """host:pid:random, unique per process start (a restarted node is a new holder)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class LeaseKeeper:
    """Takes, renews and releases one named lease for one holder.

    Call `try_acquire(now)` periodically (more often than `ttl`); it answers whether
    this holder leads until `now + ttl`. Needs a connection to `postdesk.store.db.database`
    (e.g. inside `database.connection_context()`).
    """

    def __init__(self, name: str, holder_id: str, ttl: timedelta) -> None:
        if ttl <= timedelta(0):
            raise ValueError("a lease needs a positive ttl")
        self.name = name
        self.holder_id = holder_id
        self.ttl = ttl
        self._held_until: datetime | None = None
        #: set by `stop`; a take or renewal and the stop are one at a time
        self._stopped = False
        self._turn = threading.Lock()

    def try_acquire(self, now: datetime) -> bool:
        """Take the lease if it is free or expired, renew it if we hold it; True if ours.
        False for good once this holder has stopped (`stop`)."""
        with self._turn:
            return False if self._stopped else self._try_acquire(now)

    def _try_acquire(self, now: datetime) -> bool:
        at = _naive_utc(now)
        until = at + self.ttl
        with database.atomic():
            (Lease.insert(name=self.name, holder=self.holder_id, acquired_at=at, expires_at=until)
             .on_conflict_ignore().execute())
            mine = Lease.holder == self.holder_id
            changed = (Lease.update(
                holder=self.holder_id,
                expires_at=until,
                acquired_at=pw.Case(None, [(mine, Lease.acquired_at)], at))
                .where((Lease.name == self.name) & (mine | (Lease.expires_at < at)))
                .execute())
        held = changed == 1
        self._held_until = until.replace(tzinfo=UTC) if held else None
        return bool(held)

    def holds(self, now: datetime) -> bool:
        """Whether our last successful take or renewal still covers `now` (no query)."""
        return self._held_until is not None and now < self._held_until

    def release(self) -> bool:
        """Give the lease up now (clean stop); True if we still held it."""
        self._held_until = None
        with database.atomic():
            changed = (Lease.update(expires_at=RELEASED)
                       .where((Lease.name == self.name) & (Lease.holder == self.holder_id))
                       .execute())
        return bool(changed == 1)

    def stop(self) -> bool:
        """Release the lease for good (a node stopping): a renewal another thread is still
        making either ends before the release or is refused, so a stopped node never holds
        the lease again (a scan left running by a stop renewed it after the release, and
        `postdesk status` said a stopped desk was alive); True if we still held it."""
        with self._turn:
            self._stopped = True
            return self.release()

    def current(self) -> tuple[str, datetime] | None:
        """(holder, expires_at as aware UTC) of the lease row, for status displays."""
        row = Lease.get_or_none(Lease.name == self.name)
        if row is None:
            return None
        return str(row.holder), row.expires_at.replace(tzinfo=UTC)


def lease_row(name: str) -> Lease | None:
    """The named lease's row as stored (None: never taken), for status displays."""
    return Lease.get_or_none(Lease.name == name)


def delete_lease(name: str) -> None:
    """Remove the named lease whoever holds it, so that the next `try_acquire` takes it
    at once: for a node that knows it is alone (an embedded desk at start-up), where
    the holder of the row can only be its own crashed predecessor."""
    with database.atomic():
        Lease.delete().where(Lease.name == name).execute()
