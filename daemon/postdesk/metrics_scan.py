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

from postdesk.models import Event, Inbound

SETTLE = timedelta(seconds=60)
STUCK = timedelta(hours=1)
#: Upper bounds of the processing histogram, in seconds.
LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0,
                   math.inf)
SLA_KINDS = {"sla.warning": "warning", "sla.breached": "breach"}


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
            if self._through is None:
                self._through = 0 if self.count_existing else self.settled_through(now)
            for row_id, *values in self.rows_after(self._through):
                if row_id in self._seen:
                    continue
                self._seen.add(row_id)
                if self.count_existing or not first:
                    self.observe(*values)
            self._through = max(self._through, self.settled_through(now))
            self._seen = {row_id for row_id in self._seen if row_id > self._through}

    def rows_after(self, row_id: int) -> Any:
        raise NotImplementedError

    def observe(self, *values: Any) -> None:
        raise NotImplementedError

    def settled_through(self, now: datetime) -> int:
        raise NotImplementedError


def _max_id_before(model: Any, moment_field: Any, moment: datetime) -> int:
    return int(model.select(pw.fn.MAX(model.id)).where(moment_field < moment).scalar() or 0)


class LatencyScan(IncrementalScan):
    """received -> processed of each inbound mail processed since this scan began."""

    def __init__(self) -> None:
        super().__init__()
        self.counts = [0] * len(LATENCY_BUCKETS)
        self.total = 0.0

    def update(self, now: datetime) -> tuple[list[tuple[float, int]], float]:
        """Cumulative (upper bound, count) pairs and the sum of seconds."""
        self.scan(now)
        cumulative, running = [], 0
        for bound, count in zip(LATENCY_BUCKETS, self.counts, strict=True):
            running += count
            cumulative.append((bound, running))
        return cumulative, self.total

    def rows_after(self, row_id: int) -> Any:
        return (Inbound.select(Inbound.id, Inbound.received_at, Inbound.processed_at)
                .where((Inbound.id > row_id) & Inbound.processed_at.is_null(False)).tuples())

    def observe(self, received: datetime, processed: datetime) -> None:
        seconds = max(0.0, (processed - received).total_seconds())
        self.total += seconds
        index = next(i for i, bound in enumerate(LATENCY_BUCKETS) if seconds <= bound)
        self.counts[index] += 1

    def settled_through(self, now: datetime) -> int:
        settled = _max_id_before(Inbound, Inbound.received_at, now - SETTLE)
        waiting = (Inbound.select(pw.fn.MIN(Inbound.id))
                   .where((Inbound.state == "pending") & (Inbound.received_at >= now - STUCK))
                   .scalar())
        return min(settled, int(waiting) - 1) if waiting is not None else settled


class SlaEventScan(IncrementalScan):
    """SLA warnings and breaches by clock: all of them (one full read at the first scrape)."""

    count_existing = True

    def __init__(self) -> None:
        super().__init__()
        self.counts: dict[tuple[str, str], int] = {}

    def update(self, now: datetime) -> dict[tuple[str, str], int]:
        self.scan(now)
        return dict(self.counts)

    def rows_after(self, row_id: int) -> Any:
        return (Event.select(Event.id, Event.kind, Event.data)
                .where((Event.id > row_id) & Event.kind.in_(tuple(SLA_KINDS))).tuples())

    def observe(self, kind: str, data: Any) -> None:
        clock = str((data or {}).get("clock", "")) if isinstance(data, dict) else ""
        key = (SLA_KINDS[kind], clock)
        self.counts[key] = self.counts.get(key, 0) + 1

    def settled_through(self, now: datetime) -> int:
        return _max_id_before(Event, Event.created_at, now - SETTLE)
