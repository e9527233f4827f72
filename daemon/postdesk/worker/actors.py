"""Thin dramatiq actors: they take an id, call the domain, and pass ids on.

Actors are declared against an explicit broker (never dramatiq's global one
at import time), so the broker can be chosen from the config first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import dramatiq

from postdesk.worker.pool import InboundRunner, ThreadRunner


@dataclass(frozen=True)
class Dispatcher:
    """Puts ids on the queue; the only way work reaches the actors."""

    process_inbound: dramatiq.Actor
    send_outbox: dramatiq.Actor
    #: called, in the worker's thread, after each unit of work this process's worker
    #: committed (the chat sender looks for new posts at once instead of at its next poll)
    after_work: list[Callable[[], None]] = field(default_factory=list)

    def inbound(self, inbound_id: int) -> None:
        self.process_inbound.send(inbound_id)

    def outgoing(self, outbox_id: int) -> None:
        self.send_outbox.send(outbox_id)


def declare_actors(broker: dramatiq.Broker, queue_name: str = "postdesk",
                   runner: InboundRunner | None = None) -> Dispatcher:
    inbound_runner = runner or ThreadRunner()
    send_outbox_actor: dramatiq.Actor
    after_work: list[Callable[[], None]] = []

    def worked() -> None:
        for listener in after_work:
            listener()

    def process_inbound(inbound_id: int) -> None:
        outbox_ids = inbound_runner.run(inbound_id)
        worked()
        for outbox_id in outbox_ids:
            send_outbox_actor.send(outbox_id)

    def send_outbox(outbox_id: int) -> None:
        inbound_runner.send(outbox_id)
        worked()

    def declare(fn: Callable[[int], None]) -> dramatiq.Actor:
        return dramatiq.actor(actor_name=fn.__name__, broker=broker, queue_name=queue_name,
                              max_retries=5, min_backoff=200, max_backoff=30_000)(fn)

    inbound_actor = declare(process_inbound)
    send_outbox_actor = declare(send_outbox)
    return Dispatcher(process_inbound=inbound_actor, send_outbox=send_outbox_actor,
                      after_work=after_work)
