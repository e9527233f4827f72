"""Broker queue depth in the metrics, asked of the real brokers (embedded, Redis, RabbitMQ)
and read back from the scraped text, as Prometheus reads it (issue 27)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from conftest import free_port
from mailbuild import wait_for
from ops.cluster import purge_rabbitmq_queue
from ops.test_scale_out import RABBITMQ_URL, REDIS_URL, rabbitmq_available, redis_available
from postdesk.serve.metrics import make_registry
from postdesk.worker.actors import declare_actors
from postdesk.worker.broker import make_broker
from postdesk.worker.queue_depth import queue_depths
from scratch import purge_redis_queue, unique_name


def scraped(registry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = generate_latest(registry).decode()
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


@pytest.fixture(params=["embedded", "redis", "rabbitmq"])
def broker_url(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """A broker URL and a queue name of this test's own (purged afterwards)."""
    queue = unique_name("depth")
    if request.param == "embedded":
        yield "embedded", queue
        return
    url, available, purge = {
        "redis": (REDIS_URL, redis_available, purge_redis_queue),
        "rabbitmq": (RABBITMQ_URL, rabbitmq_available, purge_rabbitmq_queue)}[request.param]
    available()
    try:
        yield url, queue
    finally:
        purge(url, queue)


def test_the_queue_depth_counts_waiting_messages(broker_url: tuple[str, str], make_settings,
                                                 migrated: str) -> None:
    url, queue = broker_url
    broker = make_broker(url)
    try:
        dispatcher = declare_actors(broker, queue)
        registry = make_registry(make_settings(migrated), lambda: False,
                                 partial(queue_depths, broker, queue))
        assert scraped(registry)[("postdesk_broker_queue_depth", (("queue", queue),))] == 0
        for inbound_id in (1, 2, 3):  # nobody consumes: they wait in the broker
            dispatcher.inbound(inbound_id)
        depth = ("postdesk_broker_queue_depth", (("queue", queue),))
        # RabbitMQ counts a published message once it has routed it: a moment later
        metrics = wait_for(lambda: (m := scraped(registry))[depth] == 3 and m, timeout=10)
        assert metrics[("postdesk_broker_queue_depth", (("queue", f"{queue}.DQ"),))] == 0
        assert metrics[("postdesk_broker_up", ())] == 1
    finally:
        broker.close()


def test_an_unreachable_broker_reads_as_down(make_settings, migrated: str) -> None:
    broker = make_broker(f"redis://127.0.0.1:{free_port()}/0")
    depths: Callable[[], dict[str, int]] = partial(queue_depths, broker, "postdesk")
    metrics = scraped(make_registry(make_settings(migrated), lambda: False, depths))
    assert metrics[("postdesk_broker_up", ())] == 0
    assert not any(name == "postdesk_broker_queue_depth" for name, _ in metrics)
    assert metrics[("postdesk_database_up", ())] == 1  # the rest of the desk still reads
