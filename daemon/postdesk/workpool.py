"""Where the worker's CPU-heavy units of work run: in the calling thread, or in processes.

Turning a mail into ticket data (MIME parsing, classification, the ORM) and
rendering and sending a notification are pure Python and hold the interpreter
lock; threads of one process take turns on one core. `[broker] worker_processes
= N` gives the embedded desk N processes that do this work while the daemon's
own process keeps intake and dispatch. The queue stays in-process; only ids
travel to a process and back, and the database stays the source of truth: a
process that dies mid-mail rolls its transaction back and the id is retried.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from postdesk import db, processing, runtime
from postdesk.config import Settings
from postdesk.errors import TemporaryFailure
from postdesk.notify import outbox

log = logging.getLogger(__name__)


class InboundRunner(Protocol):
    def run(self, inbound_id: int) -> tuple[int, ...]:
        """Process one inbound mail and send what it decided; return the outbox ids still
        to be sent (the queue's job)."""
        ...

    def send(self, outbox_id: int) -> str:
        """Send one outbox row; return its new state."""
        ...

    def close(self) -> None: ...


class ThreadRunner:
    """Work in the calling thread (the default)."""

    def run(self, inbound_id: int) -> tuple[int, ...]:
        return _child_run(inbound_id)

    def send(self, outbox_id: int) -> str:
        return _child_send(outbox_id)

    def close(self) -> None:
        pass


def _child_start(settings: Settings, level: int) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    db.connect(settings.database_url, synchronous=settings.database.synchronous)
    runtime.install(runtime.Runtime(settings))


def _child_run(inbound_id: int) -> tuple[int, ...]:
    with db.reconnect_after_failure():
        outcome = processing.process_inbound(inbound_id, runtime.current())
    return _send_now(outcome.outbox_ids)


def _send_now(outbox_ids: tuple[int, ...]) -> tuple[int, ...]:
    """Send the mails a unit of work decided right after its commit, here: the same work
    the queue would hand to a worker a moment later, without the trip through it. What
    cannot be sent now (the database went away) is returned for the queue to retry;
    mail that a transport defers is already rescheduled on its row for the sweeper."""
    left = []
    for outbox_id in outbox_ids:
        try:
            _child_send(outbox_id)
        except Exception as exc:
            log.warning("outbox %s goes back to the queue: %s", outbox_id, exc)
            left.append(outbox_id)
    return tuple(left)


def _child_send(outbox_id: int) -> str:
    with db.reconnect_after_failure():
        return outbox.send_outbox(outbox_id, runtime.current())


def _child_ready() -> bool:
    return True


class ProcessRunner:
    """Process in a pool of spawned processes; a broken pool is replaced, not fatal."""

    def __init__(self, settings: Settings, processes: int) -> None:
        self.settings = settings
        self.processes = processes
        self._lock = threading.Lock()
        self._pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        pool = ProcessPoolExecutor(
            max_workers=self.processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_child_start,
            initargs=(self.settings, logging.getLogger().level),
        )
        for ready in [pool.submit(_child_ready) for _ in range(self.processes)]:
            ready.result(timeout=120)  # fail at start, not on the first mail
        return pool

    def run(self, inbound_id: int) -> tuple[int, ...]:
        return self._call(_child_run, inbound_id)

    def send(self, outbox_id: int) -> str:
        return self._call(_child_send, outbox_id)

    def _call(self, work: Callable[[int], Any], row_id: int) -> Any:
        pool = self._pool
        try:
            return pool.submit(work, row_id).result()
        except BrokenProcessPool as exc:
            with self._lock:
                if self._pool is pool:
                    log.error("a worker process died; starting a new pool")
                    self._pool = self._start()
            raise TemporaryFailure(f"worker process died while handling {work.__name__}"
                                   f"({row_id})") from exc

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def make_runner(settings: Settings) -> InboundRunner:
    if settings.broker.url == "embedded" and settings.broker.worker_processes > 0:
        return ProcessRunner(settings, settings.broker.worker_processes)
    return ThreadRunner()
