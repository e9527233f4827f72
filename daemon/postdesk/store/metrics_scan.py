"""Counting rows that changed since the previous scrape, for the metrics.

A histogram of processing times, or a count of SLA events, need not read
the whole table at each scrape: rows get ids in order, so each scan reads
only the rows above `through`, the id below which everything has been
counted, plus a set of the ids above it already counted. `through` moves up
only past rows that are settled: older than `SETTLE` (a transaction that
took an id may still be committing), and, for inbound mail, no longer
waiting to be processed (a mail pending for more than `STUCK` no longer
holds it back; it is not counted if it is processed later).
"""

from __future__ import annotations

import math
import threading
from datetime import datetime, timedelta
from typing import Any

import peewee as pw

from postdesk.store.models import Event, Inbound, Outbox

SETTLE = timedelta(seconds=60)
STUCK = timedelta(hours=1)
#: Notifications are retried with backoff for hours before they fail.
STUCK_OUTBOX = timedelta(days=1)
#: Upper bounds of the processing histogram, in seconds.
LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0,
                   math.inf)
SLA_KINDS = {"sla.warning": "warning", "sla.breached": "breach"}
FINAL_INBOUND = ("done", "ignored", "duplicate", "failed")
FINAL_OUTBOX = ("sent", "failed", "undeliverable", "dropped")


class IncrementalScan:
    """Subclasses say which rows to read, how to count one, and how far rows are settled."""

    #: On the first scan, count the rows already there (False: only what comes after).
    count_existing = False

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._through: int | None = None
        self._seen: set[int] = set()

    def scan(self, now: datetime) -> None:
        with self._lock:
            first = self._through is None
            # read before the rows: a row that turns final meanwhile is then still read
            target = self.settled_through(now)
            if self._through is None:
                self._through = target
                if self.count_existing:
                    self.baseline(target)
            for row_id, *values in self.rows_after(self._through):
                if row_id in self._seen:
                    continue
                self._seen.add(row_id)
                if self.count_existing or not first:
                    self.observe(*values)
            self._through = max(self._through, target)
            self._seen = {row_id for row_id in self._seen if row_id > self._through}

    def baseline(self, through: int) -> None:
        """Count the rows up to `through` (the first scan of a `count_existing` scan)."""
        for _row_id, *values in self.rows_after(0, through):
            self.observe(*values)

    def rows_after(self, row_id: int, through: int | None = None) -> Any:
        """(id, *values) of the rows to count with an id above `row_id` (up to `through`)."""
        raise NotImplementedError

    def observe(self, *values: Any) -> None:
        raise NotImplementedError

    def settled_through(self, now: datetime) -> int:
        raise NotImplementedError


def _range(model: Any, row_id: int, through: int | None) -> Any:
    above = model.id > row_id
    return above if through is None else above & (model.id <= through)


def _settled(model: Any, moment: Any, waiting: tuple[str, ...], now: datetime,
             stuck: timedelta) -> int:
    """The id below which rows are settled: older than SETTLE, none of them still waiting
    (in a `waiting` state) unless for longer than `stuck`.

    Both use an index (`moment`, `state`): the newest row older than SETTLE by its time
    (ids and times go up together, near enough for a margin of a minute), and the
    oldest waiting row."""
    newest_old = (model.select(model.id).where(moment < now - SETTLE)
                  .order_by(moment.desc()).limit(1).scalar())
    settled = int(newest_old or 0)
    if not waiting:
        return settled
    oldest = (model.select(pw.fn.MIN(model.id))
              .where(model.state.in_(waiting) & (moment >= now - stuck)).scalar())
    return min(settled, int(oldest) - 1) if oldest is not None else settled


#: The node of a mail processed before nodes were recorded (schema 15).
UNKNOWN_NODE = "unknown"


class LatencyScan(IncrementalScan):
    """received -> processed of each inbound mail processed since this scan began, per
    node that processed it (`[metrics] node`)."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: dict[str, list[int]] = {}
        self.totals: dict[str, float] = {}

    def update(self, now: datetime) -> dict[str, tuple[list[tuple[float, int]], float]]:
        """Per node: cumulative (upper bound, count) pairs and the sum of seconds."""
        self.scan(now)
        histograms = {}
        for node, counts in sorted(self.counts.items()):
            cumulative, running = [], 0
            for bound, count in zip(LATENCY_BUCKETS, counts, strict=True):
                running += count
                cumulative.append((bound, running))
            histograms[node] = (cumulative, self.totals[node])
        return histograms

    def rows_after(self, row_id: int, through: int | None = None) -> Any:
        return (Inbound.select(Inbound.id, Inbound.received_at, Inbound.processed_at,
                               Inbound.processed_by)
                .where(_range(Inbound, row_id, through) & Inbound.processed_at.is_null(False))
                .tuples())

    def observe(self, received: datetime, processed: datetime, node: str | None) -> None:
        node = node or UNKNOWN_NODE
        seconds = max(0.0, (processed - received).total_seconds())
        self.totals[node] = self.totals.get(node, 0.0) + seconds
        index = next(i for i, bound in enumerate(LATENCY_BUCKETS) if seconds <= bound)
        self.counts.setdefault(node, [0] * len(LATENCY_BUCKETS))[index] += 1

    def settled_through(self, now: datetime) -> int:
        return _settled(Inbound, Inbound.received_at, ("pending",), now, STUCK)


class SlaEventScan(IncrementalScan):
    """SLA warnings and breaches by clock: all of them (one full read at the first scrape)."""

    count_existing = True

    def __init__(self) -> None:
        super().__init__()
        self.counts: dict[tuple[str, str], int] = {}

    def update(self, now: datetime) -> dict[tuple[str, str], int]:
        self.scan(now)
        return dict(self.counts)

    def rows_after(self, row_id: int, through: int | None = None) -> Any:
        return (Event.select(Event.id, Event.kind, Event.data)
                .where(_range(Event, row_id, through) & Event.kind.in_(tuple(SLA_KINDS)))
                .tuples())

    def observe(self, kind: str, data: Any) -> None:
        clock = str((data or {}).get("clock", "")) if isinstance(data, dict) else ""
        key = (SLA_KINDS[kind], clock)
        self.counts[key] = self.counts.get(key, 0) + 1

    def settled_through(self, now: datetime) -> int:
        return _settled(Event, Event.created_at, (), now, STUCK)


class OutcomeScan(IncrementalScan):
    """Rows that reached a final state, by state: all of them (one GROUP BY at first)."""

    count_existing = True

    def __init__(self, model: Any, moment: Any, final: tuple[str, ...],
                 stuck: timedelta) -> None:
        super().__init__()
        self.model, self.moment, self.final, self.stuck = model, moment, final, stuck
        self.counts: dict[str, int] = dict.fromkeys(final, 0)

    def update(self, now: datetime) -> dict[str, int]:
        self.scan(now)
        return dict(self.counts)

    def baseline(self, through: int) -> None:
        model = self.model
        for state, count in (model.select(model.state, pw.fn.COUNT(model.id))
                             .where(_range(model, 0, through) & model.state.in_(self.final))
                             .group_by(model.state).tuples()):
            self.counts[state] += count

    def rows_after(self, row_id: int, through: int | None = None) -> Any:
        model = self.model
        return (model.select(model.id, model.state)
                .where(_range(model, row_id, through) & model.state.in_(self.final)).tuples())

    def observe(self, state: str) -> None:
        self.counts[state] += 1

    def settled_through(self, now: datetime) -> int:
        waiting = tuple(s for s in ("pending", "sending") if s not in self.final)
        return _settled(self.model, self.moment, waiting, now, self.stuck)


def inbound_outcomes() -> OutcomeScan:
    return OutcomeScan(Inbound, Inbound.received_at, FINAL_INBOUND, STUCK)


def outbox_outcomes() -> OutcomeScan:
    return OutcomeScan(Outbox, Outbox.created_at, FINAL_OUTBOX, STUCK_OUTBOX)
