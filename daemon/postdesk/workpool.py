"""Where the worker's CPU-heavy units of work run: in the calling thread, or in processes.

Turning a mail into ticket data (MIME parsing, classification, the ORM) and
rendering and sending a notification are pure Python and hold the interpreter
lock; threads of one process take turns on one core. `[broker] worker_processes
= N` gives the embedded desk N processes that do this work while the daemon's
own process keeps intake and dispatch. The queue stays in-process; only ids
travel to a process and back, and the database stays the source of truth: a
process that dies mid-mail rolls its transaction back and the id is retried.

The processes are forked from a fork server that has imported Postdesk and
loaded the language-detection model once (`postdesk.worker_preload`): they
start in milliseconds and share the model's memory. The fork server itself is
a fresh process without the daemon's threads, so forking it is safe.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import forkserver
from multiprocessing.context import BaseContext
from typing import Any, Protocol

from postdesk import db, logs, processing, runtime
from postdesk.config import Settings
from postdesk.errors import TemporaryFailure
from postdesk.notify import outbox

log = logging.getLogger(__name__)

#: Exit status of a worker process whose parent died (EX_SOFTWARE would alarm).
EX_ORPHANED = 75


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


#: How often a worker process looks whether the process that started it is still there.
ORPHAN_CHECK_INTERVAL = 1.0


def _child_start(settings: Settings, level: int, owner: int) -> None:
    _exit_when_orphaned(owner)
    logs.configure_desk(settings)
    logging.getLogger().setLevel(level)
    db.connect(settings.database_url, synchronous=settings.database.synchronous)
    runtime.install(runtime.Runtime(settings))


def _exit_when_orphaned(owner: int) -> None:
    """End this worker process once `owner`, the process whose pool it serves, is gone.

    Its parent is the fork server, which outlives a daemon killed with SIGKILL
    (every forked worker holds the server's "alive" pipe open), so neither
    would ever notice: the pool would wait on its queue forever, holding
    database connections. Leaving mid-mail is safe: the transaction rolls
    back and the row stays pending for the sweeper. With the workers gone,
    the fork server sees its pipe close and ends too."""
    def watch() -> None:
        while _exists(owner):
            time.sleep(ORPHAN_CHECK_INTERVAL)
        os._exit(EX_ORPHANED)

    threading.Thread(target=watch, name="orphan-watch", daemon=True).start()


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # there, under another user: not ours, but alive
        return True
    return True


def _child_run(inbound_id: int) -> tuple[int, ...]:
    with logs.log_context(inbound=inbound_id, ticket=None), db.reconnect_after_failure():
        outcome = processing.process_inbound(inbound_id, runtime.current())
        if outcome.state != "skipped":
            logs.bind(ticket=outcome.ticket_id)
            log.info("inbound processed", extra={"state": outcome.state,
                                                 "reason": outcome.reason[:200]})
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
    with logs.log_context(outbox=outbox_id, ticket=None), db.reconnect_after_failure():
        state = outbox.send_outbox(outbox_id, runtime.current())
        if state != "skipped":
            log.info("outbox handled", extra={"state": state})
        return state


def _child_ready() -> bool:
    return True


PRELOAD_MODULE = "postdesk.worker_preload"
#: Comma-separated languages the desk writes in, for the fork server (see PRELOAD_MODULE).
LANGUAGES_VARIABLE = "_POSTDESK_WORKER_LANGUAGES"


def uses_processes(settings: Settings) -> bool:
    return settings.broker.url == "embedded" and settings.broker.worker_processes > 0


def start_fork_server(settings: Settings) -> BaseContext:
    """The fork-server context, its server preloading Postdesk and the desk's language model.

    Starting it does not wait for its imports: call this early, and the fork
    server works on them while the daemon migrates the database. Once per
    daemon process; a replaced pool forks from the same server.
    """
    context = multiprocessing.get_context("forkserver")
    languages = runtime.Runtime(settings).languages
    os.environ[LANGUAGES_VARIABLE] = ",".join(languages)  # read by the fork server only
    context.set_forkserver_preload([PRELOAD_MODULE])
    forkserver.ensure_running()
    return context


class ProcessRunner:
    """Process in a pool of forked processes; a broken pool is replaced, not fatal."""

    def __init__(self, settings: Settings, processes: int,
                 context: BaseContext | None = None) -> None:
        self.settings = settings
        self.processes = processes
        self._lock = threading.Lock()
        self._context = context or start_fork_server(settings)
        self._pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        pool = ProcessPoolExecutor(
            max_workers=self.processes,
            mp_context=self._context,
            initializer=_child_start,
            initargs=(self.settings, logging.getLogger().level, os.getpid()),
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


def make_runner(settings: Settings, context: BaseContext | None = None) -> InboundRunner:
    if uses_processes(settings):
        return ProcessRunner(settings, settings.broker.worker_processes, context)
    return ThreadRunner()
