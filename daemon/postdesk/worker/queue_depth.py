"""How many queue messages wait in the broker, for the metrics (`broker_queue_depth`).

Each broker is asked in its own way, for the desk's queue and its delay queue
(retries waiting for their backoff): the embedded broker counts its in-process
queues; Redis holds the waiting message ids in a list per queue (dramatiq's
`<namespace>:<queue>`); RabbitMQ says how many messages are ready in a passive
declare. Messages a worker has taken and not yet acknowledged are not counted.
The database, not the queue, is the source of truth: a deep queue says the
workers are behind, an empty one with mail waiting (`inbound_pending`) that
the sweeper has yet to re-dispatch.
"""

from __future__ import annotations

from dramatiq import Broker
from dramatiq.common import dq_name


def queue_depths(broker: Broker, queue: str) -> dict[str, int]:
    """{queue name: messages waiting} for `queue` and its delay queue. Raises what the
    broker's client raises when the broker cannot be reached."""
    names = (queue, dq_name(queue))
    kind = type(broker).__name__
    if kind == "RedisBroker":
        client = broker.client  # type: ignore[attr-defined]
        namespace = broker.namespace  # type: ignore[attr-defined]
        pipe = client.pipeline()
        for name in names:
            pipe.llen(f"{namespace}:{name}")
        return {name: int(count) for name, count in zip(names, pipe.execute(), strict=True)}
    if kind == "RabbitmqBroker":
        main, delayed, _dead = broker.get_queue_message_counts(queue)  # type: ignore[attr-defined]
        return {names[0]: int(main), names[1]: int(delayed)}
    queues = getattr(broker, "queues", {})  # the embedded StubBroker: in-process queues
    return {name: queues[name].qsize() if name in queues else 0 for name in names}
