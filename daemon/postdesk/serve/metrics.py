"""Prometheus metrics of the desk (`[metrics] listen`, off by default), read at scrape time.

Mail is processed in spawned worker processes and, scaled out, by workers on
other machines; counters kept in the memory of `postdesk serve` would miss
all of that. So the figures come from the database when Prometheus scrapes:
they are right for every process and every node, survive restarts, and any
serve node may be scraped (all report the whole desk; scrape one, or
aggregate with `max`). The few facts only this process knows are labelled as
such: whether it holds the scheduler lease, and its IMAP connections.

Cost per scrape: counts of the waiting rows (indexed state columns) and the
rows that changed since the previous scrape (see `postdesk.store.metrics_scan`);
the first scrape after a start also counts the final states once (GROUP BY)
and reads the SLA events once. `bench/metrics_scrape.py` measures it.

Families (all prefixed `postdesk_`):
  inbound_total{state}                 processed mails by outcome (done, ignored, duplicate, failed)
  inbound_pending                      mails waiting to be processed
  inbound_oldest_pending_seconds       how long the oldest of them has waited (incoming lag)
  inbound_last_processed_timestamp_seconds  when the desk last finished a mail
  workers_alive                        workers with a live heartbeat (postdesk status: workers)
  processing_seconds{node}             histogram of received -> processed, since this node started
                                       scraping, per node that processed the mail ([metrics] node)
  outbox_total{state}                  notifications sent / failed
  outbox_backlog                       notifications waiting to be sent (pending + sending)
  outbox_oldest_due_seconds            how long the oldest unsent notification has waited
                                       (since it was created, or its hold ended)
  outbox_deferred                      notifications the relay deferred, waiting for a retry
  relay_last_error_timestamp_seconds   when the relay last refused or deferred a notification
  relay_last_error_info{error}         1, with what it said then (its first 200 characters)
  broker_queue_depth{queue}            queue messages waiting in the broker (the queue and its
                                       delay queue `<queue>.DQ`; embedded, Redis or RabbitMQ)
  broker_up                            0 when the broker could not be asked
  sla_events_total{kind,clock}         SLA warnings and breaches raised
  imap_last_uid{source}, imap_last_change_timestamp_seconds{source}
  imap_connected{source}               this node's IMAP session (1 connected, 0 not)
  smtp_refused_total{listener,reason}  mails this node's SMTP/LMTP listeners refused (unknown
                                       recipient, too big, bare LF, too many recipients)
  scheduler_leader                     1 when this node holds the scheduler lease
  database_up                          0 when the database could not be read
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from postdesk.channels.email import refusals
from postdesk.channels.email.imap import health as source_health
from postdesk.config.settings import Settings
from postdesk.serve.health import oldest_outbox_wait, seconds_since
from postdesk.store import db, desk_status, worker_beats
from postdesk.store.metrics_scan import LatencyScan, SlaEventScan, inbound_outcomes, outbox_outcomes

log = logging.getLogger(__name__)


class DeskCollector(Collector):
    """Builds every family from the database on each scrape."""

    def __init__(self, settings: Settings, is_leader: Callable[[], bool],
                 queue_depths: Callable[[], dict[str, int]] | None = None) -> None:
        self.settings = settings
        self.is_leader = is_leader
        self.queue_depths = queue_depths
        self._broker_failing = False
        self.latency = LatencyScan()
        self.sla = SlaEventScan()
        self.inbound = inbound_outcomes()
        self.outbox = outbox_outcomes()

    def collect(self) -> Iterator[Metric]:
        yield from self._imap_connections()
        yield _refusals()
        yield from self._broker()
        try:
            with db.database.connection_context():
                families = list(self._from_database())
        except db.DatabaseError as exc:
            log.warning("metrics: cannot read the database: %s", exc)
            # a node that cannot reach the database runs no scans, whatever its lease says
            yield _gauge("scheduler_leader", "1 when this node holds the scheduler lease", 0)
            yield _gauge("database_up", "0 when the database could not be read", 0)
            return
        yield _gauge("scheduler_leader", "1 when this node holds the scheduler lease",
                     1 if self.is_leader() else 0)
        yield _gauge("database_up", "0 when the database could not be read", 1)
        yield from families

    def _from_database(self) -> Iterator[Metric]:
        now = db.utcnow()
        yield _counter("inbound", "Inbound mails by outcome", self.inbound.update(now))
        yield _gauge("inbound_pending", "Inbound mails waiting to be processed",
                     desk_status.pending_inbound_count())
        yield _gauge("inbound_oldest_pending_seconds",
                     "How long the oldest unprocessed mail has waited (incoming lag)",
                     seconds_since(desk_status.oldest_pending_inbound(), now))
        last = desk_status.last_processed_inbound()
        if last is not None:
            yield _gauge("inbound_last_processed_timestamp_seconds",
                         "When the desk last finished a mail",
                         (now - timedelta(seconds=seconds_since(last, now))).timestamp())
        yield _gauge("workers_alive", "Workers whose heartbeat has not expired",
                     worker_beats.alive_workers(now))
        latency = HistogramMetricFamily(
            "postdesk_processing_seconds", "Time from receipt (250) to processed, per mail, "
            "by the node that processed it", labels=["node"])
        for node, (buckets, total) in self.latency.update(now).items():
            latency.add_metric([node], [(_le(bound), count) for bound, count in buckets],
                               sum_value=total)
        yield latency
        yield _counter("outbox", "Notifications by outcome", self.outbox.update(now))
        yield _gauge("outbox_backlog", "Notifications waiting to be sent",
                     desk_status.waiting_outbox_count())
        yield _gauge("outbox_oldest_due_seconds", "Wait of the oldest unsent notification",
                     seconds_since(oldest_outbox_wait(now), now))
        yield _gauge("outbox_deferred", "Notifications deferred, waiting for a retry",
                     desk_status.deferred_outbox_count())
        yield from _relay_error()
        sla = CounterMetricFamily("postdesk_sla_events", "SLA warnings and breaches raised",
                                  labels=["kind", "clock"])
        for (kind, clock), count in sorted(self.sla.update(now).items()):
            sla.add_metric([kind, clock], count)
        yield sla
        yield from self._imap_states()

    def _broker(self) -> Iterator[Metric]:
        if self.queue_depths is None:
            return
        try:
            depths = self.queue_depths()
        except Exception as exc:  # whatever the broker's client raises when it is away
            if not self._broker_failing:
                log.warning("metrics: cannot ask the broker for its queue depth: %s", exc)
            self._broker_failing = True
            yield _gauge("broker_up", "0 when the broker could not be asked", 0)
            return
        self._broker_failing = False
        yield _gauge("broker_up", "0 when the broker could not be asked", 1)
        depth = GaugeMetricFamily("postdesk_broker_queue_depth",
                                  "Queue messages waiting in the broker", labels=["queue"])
        for queue, count in depths.items():
            depth.add_metric([queue], count)
        yield depth

    def _imap_states(self) -> Iterator[Metric]:
        last_uid = GaugeMetricFamily("postdesk_imap_last_uid", "Last IMAP UID committed",
                                     labels=["source"])
        changed = GaugeMetricFamily("postdesk_imap_last_change_timestamp_seconds",
                                    "When the IMAP state last advanced", labels=["source"])
        names = {source.name for source in self.settings.imap}
        for row in desk_status.imap_states(names):
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


def _relay_error() -> Iterator[Metric]:
    """The relay's last refusal or deferral: when (a gauge) and what it said (an info)."""
    newest = desk_status.newest_relay_error()
    if newest is None:
        return
    at, error = newest
    yield _gauge("relay_last_error_timestamp_seconds",
                 "When the relay last refused or deferred a notification", at.timestamp())
    info = InfoMetricFamily("postdesk_relay_last_error", "What the relay said then")
    info.add_metric([], {"error": " ".join(error.split())[:200]})
    yield info


def _refusals() -> CounterMetricFamily:
    family = CounterMetricFamily("postdesk_smtp_refused", "Mails this node's listeners refused",
                                 labels=["listener", "reason"])
    for (listener, reason), count in sorted(refusals.counts().items()):
        family.add_metric([listener, reason], count)
    return family


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"postdesk_{name}", documentation, value=value)


def _counter(name: str, documentation: str, by_state: dict[str, int]) -> CounterMetricFamily:
    family = CounterMetricFamily(f"postdesk_{name}", documentation, labels=["state"])
    for state, count in by_state.items():
        family.add_metric([state], count)
    return family


def _le(bound: float) -> str:
    return "+Inf" if bound == float("inf") else repr(float(bound))


def make_registry(settings: Settings, is_leader: Callable[[], bool],
                  queue_depths: Callable[[], dict[str, int]] | None = None) -> CollectorRegistry:
    collector = DeskCollector(settings, is_leader, queue_depths)
    with db.database.connection_context():
        collector.latency.scan(db.utcnow())  # the histogram counts from this moment on
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    ProcessCollector(registry=registry)  # this node's CPU, memory, open files
    return registry


def start_endpoint(settings: Settings, is_leader: Callable[[], bool],
                   queue_depths: Callable[[], dict[str, int]] | None = None) -> Any:
    """Serve GET /metrics on `[metrics] listen` from a thread; returns the server (shutdown())."""
    from prometheus_client import start_http_server

    from postdesk.config.validate import parse_listen

    host, port = parse_listen(settings.metrics.listen, "[metrics] listen")
    server, _thread = start_http_server(port, addr=host,
                                        registry=make_registry(settings, is_leader,
                                                               queue_depths))
    log.info("metrics on http://%s/metrics", settings.metrics.listen)
    return server
