"""Where the worker's CPU-heavy units of work run: in the calling thread, or in processes.

Turning a mail into ticket data (MIME parsing, classification, the ORM) and
rendering and sending a notification are pure Python and hold the interpreter
lock; threads of one process take turns on one core. `[broker] worker_processes
= N` gives the embedded desk N processes that do this work while the daemon's
own process keeps intake and dispatch. The queue stays in-process; only ids
travel to a process and back, and the database stays the source of truth: a
process that dies mid-mail rolls its transaction back and the id is retried.

The processes are forked from a fork server that has imported Postdesk and
loaded the language-detection model once (`postdesk.worker.preload`): they
start in milliseconds and share the model's memory. The fork server itself is
a fresh process without the daemon's threads, so forking it is safe.

Memory a large mail leaves in a process is not all given back (the
allocator's fragments, caches): once a process has read more than
`[broker] recycle_megabytes` of mail, the pool is replaced by freshly forked
processes after the work handed to it (`ProcessRunner._recycle`). The old
processes finish what they hold and exit; nothing is lost.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import forkserver
from multiprocessing.context import BaseContext
from typing import Any, Protocol

from postdesk import logs, memory_release
from postdesk.channels.email import sender
from postdesk.config import runtime
from postdesk.config.settings import Settings
from postdesk.errors import TemporaryFailure
from postdesk.store import db, driver, inbound_results
from postdesk.waiting import take_waiting
from postdesk.worker import fork_env, memory
from postdesk.worker.process import Outcome, process_many

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
    _install_runtime(settings)


def _install_runtime(settings: Settings) -> None:
    """The desk's runtime with its live files loaded now, not inside the first mail's
    transaction. The fork server's, prepared for these very settings, is shared rather
    than built again (`postdesk.worker.preload`) while every live file still loads from
    disk; otherwise a runtime of its own, where broken files run on the desk's last good
    version from the database (the parent logs and records them)."""
    inherited = runtime.installed()
    if inherited is not None and inherited.settings == settings:
        inherited.live.request_reload()  # changed since the fork server read them?
        inherited.live.warm()
        if all(live.state.error is None for live in inherited.live):
            return
    runtime.install(runtime.Runtime(settings)).live.warm()


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
    # in the daemon's own threads (and the worker threads of `postdesk worker`): other
    # threads may still hold a large mail, so memory is given back once mail stops coming
    (result,) = _process_in_runs([inbound_id], memory_release.give_back_soon)
    if isinstance(result, Exception):
        raise result
    return _send_now(result.outbox_ids)


#: Bytes of mail this worker process has read since it was forked.
_read_bytes = 0


@dataclass(frozen=True)
class BatchDone:
    """What a worker process says after a batch: per mail, the outbox ids the queue must
    still send or the error that stopped it (for the queue to retry that mail); and the
    bytes of mail the process has read so far."""

    results: list[tuple[int, ...] | BaseException]
    read_bytes: int


def _child_run_batch(inbound_ids: list[int]) -> BatchDone:
    """Process several mails together, then send what they decided together (one synced
    claim, one transport call). The mails are read in runs of at most
    `[broker] batch_megabytes` (`postdesk.worker.memory`)."""
    outcomes = _process_in_runs(inbound_ids, memory_release.give_back)
    decided = [i for outcome in outcomes if isinstance(outcome, Outcome)
               for i in outcome.outbox_ids]
    left = set(_send_now(tuple(decided)))
    return BatchDone([_portable(outcome) if isinstance(outcome, Exception)
                      else tuple(i for i in outcome.outbox_ids if i in left)
                      for outcome in outcomes], _read_bytes)


def _process_in_runs(inbound_ids: list[int], give_back: Callable[[], None]
                     ) -> list[Outcome | Exception]:
    """Process the mails in runs of at most `[broker] batch_megabytes`, and call
    `give_back` after a run of large mail: in a worker process, and in the daemon's own
    worker threads (`worker_processes = 0`), which did not before."""
    global _read_bytes
    outcomes: list[Outcome | Exception] = []
    for run, size in _runs_by_size(inbound_ids):
        outcomes.extend(_process_many(run))
        _read_bytes += size
        if size >= memory_release.GIVE_BACK_AFTER:
            db.release_memory()  # SQLite's copy of the last attachment stored, its pages
            give_back()
    return outcomes


def _runs_by_size(inbound_ids: list[int]) -> list[tuple[list[int], int]]:
    """The batch in runs of at most `[broker] batch_megabytes`, each with its bytes."""
    limit = runtime.current().settings.broker.batch_megabytes * 1024 * 1024
    try:
        with db.reconnect_after_failure():
            sizes = inbound_results.sizes(inbound_ids)
    except Exception:  # the database is away: one run, and process_many says so per mail
        return [(inbound_ids, 0)]
    return [(run, sum(sizes.get(i, 0) for i in run))
            for run in memory.split_by_size(inbound_ids, sizes, limit)]


def _portable(exc: Exception) -> Exception:
    """The error as it can cross to the parent process (some exceptions do not pickle)."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def _process_many(inbound_ids: list[int]) -> list[Outcome | Exception]:
    with db.reconnect_after_failure():
        outcomes = process_many(inbound_ids, runtime.current())
    if any(db.is_connection_failure(outcome) for outcome in outcomes):
        db.forget_connection()  # the retries connect afresh
    for inbound_id, outcome in zip(inbound_ids, outcomes, strict=True):
        if isinstance(outcome, Outcome) and outcome.state != "skipped":
            with logs.log_context(inbound=inbound_id, ticket=outcome.ticket_id):
                log.info("inbound processed", extra={"state": outcome.state,
                                                     "step": outcome.step,
                                                     "reason": outcome.reason[:200]})
    return outcomes


def _send_now(outbox_ids: tuple[int, ...]) -> tuple[int, ...]:
    """Send the mails a unit of work decided right after its commit, here: the same work
    the queue would hand to a worker a moment later, without the trip through it. What
    cannot be sent now (the database went away) is returned for the queue to retry;
    mail that a transport defers is already rescheduled on its row for the sweeper."""
    if not outbox_ids:
        return ()
    try:
        with db.reconnect_after_failure():
            sender.send_many(outbox_ids, runtime.current())
    except Exception as exc:
        log.warning("outbox %s go back to the queue: %s",
                    ", ".join(map(str, outbox_ids)), exc)
        return outbox_ids
    return ()


def _child_send(outbox_id: int) -> str:
    with logs.log_context(outbox=outbox_id, ticket=None), db.reconnect_after_failure():
        return sender.send_outbox(outbox_id, runtime.current())


def _child_ready() -> bool:
    return True


PRELOAD_MODULE = "postdesk.worker.preload"


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
    # read by the fork server only (postdesk.worker.fork_env)
    os.environ[fork_env.LANGUAGES_VARIABLE] = ",".join(languages)
    os.environ[fork_env.KB_VARIABLE] = str(settings.path(settings.paths.kb))
    os.environ[fork_env.CONFIG_VARIABLE] = str(settings.source or "")
    os.environ[fork_env.SQLITE_ONLY_VARIABLE] = "1" if driver.server_drivers_absent() else ""
    context.set_forkserver_preload([PRELOAD_MODULE])
    forkserver.ensure_running()
    return context


#: Most mails a worker process takes at once. Under load the mails that arrive while a
#: process works wait for it and go together (on SQLite one transaction, one synced
#: claim, one folder sync for their acknowledgments); alone, a mail goes at once. 32
#: rather than 16 gave more mails/s end to end (bench/README.md, "Figures behind choices").
BATCH_LIMIT = 32


def in_flight(threads: int, processes: int) -> int:
    """Queue messages to handle at once: `threads`, and with worker processes enough
    to fill every process's batch."""
    return max(threads, processes * BATCH_LIMIT) if processes else threads


class ProcessRunner:
    """Process in a pool of forked processes; a broken pool is replaced, not fatal.

    Each process has a feeder thread here that hands it the mails waiting at that
    moment, up to BATCH_LIMIT, as one call; the queue's threads wait for their own
    mail's result."""

    def __init__(self, settings: Settings, processes: int,
                 context: BaseContext | None = None) -> None:
        self.settings = settings
        self.processes = processes
        self._lock = threading.Lock()
        self._context = context or start_fork_server(settings)
        self._pool = self._start()
        self._waiting: queue.SimpleQueue[tuple[int, Future[tuple[int, ...]]] | None] = (
            queue.SimpleQueue())
        self._feeders = [threading.Thread(target=self._feed, name=f"worker-feeder-{n}",
                                          daemon=True) for n in range(processes)]
        for feeder in self._feeders:
            feeder.start()

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
        done: Future[tuple[int, ...]] = Future()
        self._waiting.put((inbound_id, done))
        return done.result()

    def send(self, outbox_id: int) -> str:
        return self._call(_child_send, outbox_id)

    def _feed(self) -> None:
        while (first := self._waiting.get()) is not None:
            batch, closing = take_waiting(self._waiting, first, BATCH_LIMIT)
            if closing:  # let the other feeders see it too
                self._waiting.put(None)
            self._hand_over(batch)

    def _hand_over(self, batch: list[tuple[int, Future[tuple[int, ...]]]]) -> None:
        ids = [inbound_id for inbound_id, _ in batch]
        try:
            pool, answer = self._call_on_pool(_child_run_batch, ids)
        except BaseException as exc:
            for _, done in batch:
                done.set_exception(exc)
            return
        for (_, done), result in zip(batch, answer.results, strict=True):
            if isinstance(result, BaseException):
                done.set_exception(result)
            else:
                done.set_result(result)
        if memory.worn_out(answer.read_bytes, self.settings.broker.recycle_megabytes):
            self._recycle(pool, answer.read_bytes)

    def _recycle(self, pool: ProcessPoolExecutor, read_bytes: int) -> None:
        """Replace `pool` by freshly forked processes; the old ones finish the work they
        were handed (another feeder's batch) and exit."""
        with self._lock:
            if self._pool is not pool:
                return  # replaced already
            log.info("worker processes recycled: one read %.0f MB of mail ([broker] "
                     "recycle_megabytes = %d)", read_bytes / 2**20,
                     self.settings.broker.recycle_megabytes)
            self._pool = self._start()
        pool.shutdown(wait=False)

    def _call(self, work: Callable[[Any], Any], argument: Any) -> Any:
        return self._call_on_pool(work, argument)[1]

    def _call_on_pool(self, work: Callable[[Any], Any], argument: Any
                      ) -> tuple[ProcessPoolExecutor, Any]:
        """`work(argument)` in a process of the current pool, and that pool."""
        pool = self._pool
        try:
            try:
                future = pool.submit(work, argument)
            except RuntimeError:  # shut down for new work: recycled a moment ago
                if self._pool is pool:
                    raise
                pool = self._pool
                future = pool.submit(work, argument)
            return pool, future.result()
        except BrokenProcessPool as exc:
            with self._lock:
                if self._pool is pool:
                    log.error("a worker process died; starting a new pool")
                    self._pool = self._start()
            raise TemporaryFailure(f"worker process died while handling {work.__name__}"
                                   f"({argument})") from exc

    def close(self) -> None:
        for _ in self._feeders:
            self._waiting.put(None)
        for feeder in self._feeders:
            feeder.join(timeout=60)
        self._pool.shutdown(wait=True, cancel_futures=True)


def make_runner(settings: Settings, context: BaseContext | None = None) -> InboundRunner:
    if uses_processes(settings):
        return ProcessRunner(settings, settings.broker.worker_processes, context)
    return ThreadRunner()
