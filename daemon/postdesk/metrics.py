"""Prometheus metrics of the desk (`[metrics] listen`, off by default), read at scrape time.

Mail is processed in spawned worker processes and, scaled out, by workers on
other machines; counters kept in the memory of `postdesk serve` would miss
all of that. So the figures come from the database when Prometheus scrapes:
they are right for every process and every node, survive restarts, and any
serve node may be scraped (all report the whole desk; scrape one, or
aggregate with `max`). The few facts only this process knows are labelled as
such: whether it holds the scheduler lease, and its IMAP connections.

Cost per scrape: two GROUP BY counts over indexed state columns, and only
the rows that changed since the previous scrape for the latency histogram
and the SLA counters (see `postdesk.metrics_scan`).

Families (all prefixed `postdesk_`):
  inbound_total{state}                 processed mails by outcome (done, ignored, duplicate, failed)
  inbound_pending                      mails waiting to be processed
  processing_seconds                   histogram of received -> processed, since this node started
  outbox_total{state}                  notifications sent / failed
  outbox_backlog                       notifications waiting to be sent (pending + sending)
  outbox_oldest_due_seconds            how long the oldest due notification has waited
  sla_events_total{kind,clock}         SLA warnings and breaches raised
  imap_last_uid{source}, imap_last_change_timestamp_seconds{source}
  imap_connected{source}               this node's IMAP session (1 connected, 0 not)
  scheduler_leader                     1 when this node holds the scheduler lease
  database_up                          0 when the database could not be read
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import peewee as pw
from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from postdesk import db, source_health
from postdesk.config import Settings
from postdesk.health import seconds_since
from postdesk.metrics_scan import LatencyScan, SlaEventScan
from postdesk.models import ImapState, Inbound, Outbox

log = logging.getLogger(__name__)

TERMINAL_INBOUND = ("done", "ignored", "duplicate", "failed")


class DeskCollector(Collector):
    """Builds every family from the database on each scrape."""

    def __init__(self, settings: Settings, is_leader: Callable[[], bool]) -> None:
        self.settings = settings
        self.is_leader = is_leader
        self.latency = LatencyScan()
        self.sla = SlaEventScan()

    def collect(self) -> Iterator[Metric]:
        yield _gauge("scheduler_leader", "1 when this node holds the scheduler lease",
                     1 if self.is_leader() else 0)
        yield from self._imap_connections()
        try:
            with db.database.connection_context():
                families = list(self._from_database())
        except pw.DatabaseError as exc:
            log.warning("metrics: cannot read the database: %s", exc)
            yield _gauge("database_up", "0 when the database could not be read", 0)
            return
        yield _gauge("database_up", "0 when the database could not be read", 1)
        yield from families

    def _from_database(self) -> Iterator[Metric]:
        now = db.utcnow()
        inbound = _count_by_state(Inbound)
        processed = CounterMetricFamily("postdesk_inbound", "Inbound mails by outcome",
                                        labels=["state"])
        for state in TERMINAL_INBOUND:
            processed.add_metric([state], inbound.get(state, 0))
        yield processed
        yield _gauge("inbound_pending", "Inbound mails waiting to be processed",
                     inbound.get("pending", 0))
        buckets, total = self.latency.update(now)
        yield HistogramMetricFamily(
            "postdesk_processing_seconds", "Time from receipt (250) to processed, per mail",
            buckets=[(_le(bound), count) for bound, count in buckets], sum_value=total)
        outbox = _count_by_state(Outbox)
        sent = CounterMetricFamily("postdesk_outbox", "Notifications by outcome",
                                   labels=["state"])
        for state in ("sent", "failed"):
            sent.add_metric([state], outbox.get(state, 0))
        yield sent
        yield _gauge("outbox_backlog", "Notifications waiting to be sent",
                     outbox.get("pending", 0) + outbox.get("sending", 0))
        oldest = (Outbox.select(pw.fn.MIN(Outbox.next_attempt_at))
                  .where((Outbox.state == "pending") & (Outbox.next_attempt_at <= now)).scalar())
        yield _gauge("outbox_oldest_due_seconds", "Wait of the oldest due notification",
                     seconds_since(oldest, now))
        sla = CounterMetricFamily("postdesk_sla_events", "SLA warnings and breaches raised",
                                  labels=["kind", "clock"])
        for (kind, clock), count in sorted(self.sla.update(now).items()):
            sla.add_metric([kind, clock], count)
        yield sla
        yield from self._imap_states()

    def _imap_states(self) -> Iterator[Metric]:
        last_uid = GaugeMetricFamily("postdesk_imap_last_uid", "Last IMAP UID committed",
                                     labels=["source"])
        changed = GaugeMetricFamily("postdesk_imap_last_change_timestamp_seconds",
                                    "When the IMAP state last advanced", labels=["source"])
        names = {source.name for source in self.settings.imap}
        for row in ImapState.select().where(ImapState.source.in_(names or [""])):
            last_uid.add_metric([row.source], row.last_uid)
            changed.add_metric([row.source], row.updated_at.timestamp())
        yield last_uid
        yield changed

    def _imap_connections(self) -> Iterator[Metric]:
        connected = GaugeMetricFamily("postdesk_imap_connected",
                                      "This node's IMAP session: 1 connected, 0 not",
                                      labels=["source"])
        states = source_health.snapshot()
        for source in self.settings.imap:
            connected.add_metric([source.name], 1 if states.get(source.name, (False,))[0] else 0)
        yield connected


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"postdesk_{name}", documentation, value=value)


def _count_by_state(model: Any) -> dict[str, int]:
    return {state: count for state, count in
            model.select(model.state, pw.fn.COUNT(model.id)).group_by(model.state).tuples()}


def _le(bound: float) -> str:
    return "+Inf" if bound == float("inf") else repr(float(bound))


def make_registry(settings: Settings, is_leader: Callable[[], bool]) -> CollectorRegistry:
    collector = DeskCollector(settings, is_leader)
    with db.database.connection_context():
        collector.latency.scan(db.utcnow())  # the histogram counts from this moment on
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    ProcessCollector(registry=registry)  # this node's CPU, memory, open files
    return registry


def start_endpoint(settings: Settings, is_leader: Callable[[], bool]) -> Any:
    """Serve GET /metrics on `[metrics] listen` from a thread; returns the server (shutdown())."""
    from prometheus_client import start_http_server

    from postdesk.config import parse_listen

    host, port = parse_listen(settings.metrics.listen, "[metrics] listen")
    server, _thread = start_http_server(port, addr=host,
                                        registry=make_registry(settings, is_leader))
    log.info("metrics on http://%s/metrics", settings.metrics.listen)
    return server
