"""The dramatiq broker chosen by `[broker] url`, and the dispatcher that feeds it ids.

`embedded` is dramatiq's StubBroker with an in-process worker inside
`postdesk serve`: nothing to install, and safe because the database, not the
queue, is the source of truth (the sweeper re-dispatches what a crash lost).
`redis://` and `amqp://` select the production brokers for `postdesk worker`.

The embedded broker keeps only the middleware Postdesk's actors use: Retries
(a unit of work that raised is retried with backoff) and TimeLimit (one that
hangs is interrupted). Age limits, callbacks, pipelines and shutdown
notifications are never asked for, and each middleware is a few calls per
message in the daemon's own busy process.
"""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import Retries, TimeLimit

from postdesk.errors import ConfigError


def make_broker(url: str) -> dramatiq.Broker:
    if url == "embedded":
        return StubBroker(middleware=[TimeLimit(), Retries()])
    if url.startswith("redis://"):
        from dramatiq.brokers.redis import RedisBroker

        return RedisBroker(url=url)
    if url.startswith("amqp://"):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        return RabbitmqBroker(url=url)
    raise ConfigError(f"[broker] url: unsupported broker {url!r}")


def start_embedded_worker(broker: dramatiq.Broker, threads: int) -> dramatiq.Worker:
    """Consume in this process (the embedded default)."""
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=100)
    worker.start()
    return worker
