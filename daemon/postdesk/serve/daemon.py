"""The daemon: one asyncio loop with the listeners, the sweeper and (embedded) the worker.

Start-up order matters for "nothing is lost": the schema is migrated, the
broker and actors exist, the worker runs and forgotten work is
re-dispatched before the first listener accepts a connection. On SIGTERM or
SIGINT the listeners stop accepting, mails being received finish, the writer
commits what it holds, and the worker drains.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any

from postdesk import logs, memory_release
from postdesk.channels.email.smtp import start_listener
from postdesk.config import runtime
from postdesk.config.settings import Settings
from postdesk.serve import sdlisten, sdnotify
from postdesk.serve.drain import Connections
from postdesk.serve.repeated_failure import RepeatedFailure
from postdesk.sla.tracking import catch_up as sla_catch_up
from postdesk.sla.tracking import scan as sla_scan
from postdesk.store import db, migrations
from postdesk.store.inbound import InboundWriter
from postdesk.store.lease import SCHEDULER, LeaseKeeper, default_holder_id, delete_lease
from postdesk.tickets import locale_guess
from postdesk.worker import schedule_scan, scheduler
from postdesk.worker.actors import Dispatcher, declare_actors
from postdesk.worker.broker import make_broker, start_embedded_worker
from postdesk.worker.heartbeat import WorkerHeartbeat
from postdesk.worker.pool import (
    InboundRunner,
    in_flight,
    make_runner,
    start_fork_server,
    uses_processes,
)
from postdesk.worker.queue_depth import queue_depths

log = logging.getLogger("postdesk")

SWEEP_INTERVAL_S = 5.0
#: The live files are looked at no more often than this, whatever `[rules] reload_interval`.
MIN_RELOAD_INTERVAL_S = 0.5
#: The sweeper leaves SLA marks younger than this to the workers' own catch-up.
SLA_MARK_GRACE = timedelta(seconds=2)
SLA_SCAN_INTERVAL_S = 60.0
LEADER_LEASE = timedelta(seconds=30)
DRAIN_TIMEOUT_MS = 10_000
#: How long a stop waits for SMTP transactions in flight (TimeoutStopSec must be longer).
SMTP_DRAIN_TIMEOUT_S = 60.0


@dataclass
class ServeOptions:
    worker: bool = True  # consume in this process (always true for the embedded broker)
    #: listening sockets from systemd by name ("smtp", "lmtp"), see postdesk.serve.sdlisten
    sockets: dict[str, socket.socket] = field(default_factory=dict)


def prepare(settings: Settings) -> None:
    """Database, schema and runtime: what every Postdesk process needs first. The live
    files are loaded, logged one line each and recorded before any mail is taken."""
    database = db.connect(settings.database_url, synchronous=settings.database.synchronous)
    with database.connection_context():
        migrations.migrate(database)
        runtime.install(runtime.Runtime(settings)).live.check(everything=True)


def check_live_files(everything: bool = False) -> None:
    """The poll of the live files (`postdesk.config.live_files`), in its own connection."""
    with db.database.connection_context():
        runtime.current().live.check(everything=everything)


def dispatcher_for(settings: Settings, runner: InboundRunner | None = None) -> Dispatcher:
    """The broker named by the settings, with Postdesk's actors declared on it."""
    return declare_actors(make_broker(settings.broker.url), settings.broker.queue, runner)


class Daemon:
    """The running desk: start() brings everything up, stop() takes it down cleanly."""

    def __init__(self, settings: Settings, options: ServeOptions | None = None) -> None:
        self.settings = settings
        self.options = options or ServeOptions()
        self.servers: list[asyncio.base_events.Server] = []
        self._worker: Any = None
        self._heartbeat: WorkerHeartbeat | None = None
        self._writer: InboundWriter | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._sla: asyncio.Task[None] | None = None
        self._live: asyncio.Task[None] | None = None
        self._hangup = asyncio.Event()  # SIGHUP: look at the live files now
        # one node at a time runs the sweeper and the scans
        self.leader = LeaseKeeper(SCHEDULER, default_holder_id(), LEADER_LEASE)
        self._imap: list[asyncio.Task[None]] = []
        self._model: asyncio.Task[None] | None = None  # the language model, loading
        self.dispatcher: Dispatcher | None = None
        self._runner: InboundRunner | None = None
        self._metrics: Any = None  # the Prometheus endpoint's HTTP server
        self._web: Any = None  # the ticket page's aiohttp runner
        self.chat: Any = None  # postdesk.serve.chat.DeskChat, with [slack] [teams] [matrix]
        self.connections = Connections()

    @property
    def embedded(self) -> bool:
        return self.settings.broker.url == "embedded"

    async def start(self) -> None:
        settings = self.settings
        # The worker processes' fork server imports and loads while we migrate.
        context = start_fork_server(settings) if uses_processes(settings) else None
        await asyncio.to_thread(prepare, settings)
        self._runner = await asyncio.to_thread(make_runner, settings, context)
        self.dispatcher = dispatcher = dispatcher_for(settings, self._runner)
        broker = dispatcher.process_inbound.broker
        if self.options.worker or self.embedded:
            processes = settings.broker.worker_processes if uses_processes(settings) else 0
            self._worker = start_embedded_worker(
                broker, in_flight(settings.broker.worker_threads, processes))
            self._heartbeat = WorkerHeartbeat().start()
            if context is None:  # worker threads: the first mail need not load the model
                self._model = asyncio.create_task(asyncio.to_thread(
                    locale_guess.load_model, runtime.current().languages))
        await asyncio.to_thread(self._sweep_once, dispatcher, self.embedded)
        self._writer = InboundWriter(on_stored=dispatcher.inbound)
        self._writer.start()
        sockets = self.options.sockets
        self.servers.append(await start_listener(settings, self._writer.store,
                                                 sock=sockets.get("smtp"),
                                                 track=self.connections.track))
        if settings.lmtp.listen or "lmtp" in sockets:
            self.servers.append(await start_listener(settings, self._writer.store, lmtp=True,
                                                     sock=sockets.get("lmtp"),
                                                     track=self.connections.track))
        if settings.imap:  # aioimaplib and the IMAP intake only for a desk that reads IMAP
            from postdesk.channels.email.imap.intake import start_supervisors

            self._imap = start_supervisors(settings, dispatcher.inbound)
        self._sweeper = asyncio.create_task(self._sweep_forever(dispatcher))
        self._sla = asyncio.create_task(self._sla_forever(dispatcher))
        self._live = asyncio.create_task(self._live_forever())
        if settings.metrics.listen:
            from postdesk.serve.metrics import start_endpoint

            self._metrics = await asyncio.to_thread(
                start_endpoint, settings, lambda: self.leader.holds(db.utcnow()),
                partial(queue_depths, broker, settings.broker.queue))
        if settings.web.listen:
            self._web = await self._start_web(dispatcher)
        if settings.chat_platforms:
            from postdesk.serve.chat import DeskChat

            self.chat = DeskChat(settings, dispatcher.inbound)
            await self.chat.start()
            dispatcher.after_work.append(self.chat.wake_sender)
        lmtp = self.listening("lmtp")
        log.info(
            "postdesk ready: smtp %s%s%s for %s; database %s; queue %s; outgoing %s",
            self.listening("smtp"), f", lmtp {lmtp}" if lmtp else "",
            "".join(f", imap {source.name}" for source in settings.imap),
            ", ".join(settings.desk.addresses),
            logs.redact(settings.database_url),
            "embedded" if self.embedded else logs.redact(settings.broker.url),
            logs.redact(settings.outgoing_transport),
        )

    async def _start_web(self, dispatcher: Dispatcher) -> Any:
        """The customer's ticket page; replies from it go the way of SMTP mail."""
        from postdesk.channels.web.app import WebDesk, start_server
        from postdesk.config.validate import parse_listen

        assert self._writer is not None
        host, port = parse_listen(self.settings.web.listen)
        runner = await start_server(WebDesk(runtime.current(), self._writer.store,
                                            dispatcher.outgoing), host, port)
        log.info("ticket page on %s (links start with %s)", self.settings.web.listen,
                 self.settings.web.public_base())
        return runner

    def listening(self, name: str) -> str:
        """Where the smtp or lmtp listener accepts mail, for humans."""
        if name in self.options.sockets:
            return sdlisten.describe(self.options.sockets[name])
        return self.settings.smtp.listen if name == "smtp" else self.settings.lmtp.listen

    def _release_leadership(self) -> None:
        with contextlib.suppress(Exception), db.database.connection_context():
            self.leader.stop()

    async def _sweep_forever(self, dispatcher: Dispatcher) -> None:
        failures = RepeatedFailure(log, "sweeper", SWEEP_INTERVAL_S)
        while True:
            await asyncio.sleep(SWEEP_INTERVAL_S)
            try:
                await asyncio.to_thread(self._sweep_once, dispatcher)
            except Exception as exc:
                failures.failed(exc)
            else:
                failures.succeeded()

    def _sweep_once(self, dispatcher: Dispatcher, everything: bool = False) -> None:
        """Re-dispatch forgotten work, on the node that holds the scheduler lease.

        At the start of an embedded desk (one node by nature: its queue lives in this
        process) the lease of a crashed predecessor is taken over at once."""
        with db.database.connection_context():
            now = db.utcnow()
            if everything and self.embedded:
                delete_lease(SCHEDULER)
            was_leader = self.leader.holds(now)
            if not self.leader.try_acquire(now):
                if was_leader:
                    log.warning("this node no longer holds the scheduler lease")
                return
            if not was_leader:
                log.info("this node is now the scheduler leader (%s)", self.leader.holder_id)
            scheduler.sweep(dispatcher, now, everything=everything,
                            redispatch_after=timedelta(
                                seconds=self.settings.broker.redispatch_after),
                            claims_stale=everything and self.embedded)
            # SLA clocks a crash or the end of a burst left to recompute (workers take
            # the fresh marks themselves)
            sla_catch_up.catch_up_all(runtime.current(), older_than=None if everything
                                      else now - SLA_MARK_GRACE)

    def hangup(self) -> None:
        """SIGHUP: reopen the log file and look at every live file now."""
        logs.reopen()
        log.info("SIGHUP: log file reopened; checking rules/ for changes")
        self._hangup.set()

    async def _live_forever(self) -> None:
        """Look at the live files every `[rules] reload_interval` seconds and at once on
        SIGHUP (then reporting every file); worker processes look on their own as they
        use them."""
        interval = max(float(self.settings.rules.reload_interval), MIN_RELOAD_INTERVAL_S)
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._hangup.wait(), interval)
            everything = self._hangup.is_set()
            self._hangup.clear()
            try:
                await asyncio.to_thread(check_live_files, everything)
            except Exception:
                log.exception("checking rules/ failed; trying again in %s s", interval)

    async def _sla_forever(self, dispatcher: Dispatcher) -> None:
        """SLA warnings and breaches: a scan of the clocks that are due, every minute."""
        while True:
            await asyncio.sleep(SLA_SCAN_INTERVAL_S)
            try:
                await asyncio.to_thread(self._sla_once, dispatcher)
            except Exception:
                log.exception("SLA scan failed; trying again in %s s", SLA_SCAN_INTERVAL_S)

    def _sla_once(self, dispatcher: Dispatcher) -> None:
        """The minute's scans on the leader: SLA thresholds, then the schedule rules."""
        with db.database.connection_context():
            if not self.leader.try_acquire(db.utcnow()):
                return
        with db.database.connection_context():
            sla_catch_up.catch_up_all(runtime.current())  # no stale next_at for the scan
        sla_scan.run_once(runtime.current(), dispatcher.outgoing)
        schedule_scan.run_once(runtime.current(), dispatcher.outgoing)

    async def stop(self) -> None:
        log.info("postdesk stopping")
        for task in self._imap:
            task.cancel()
        for task in self._imap:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for task in [t for t in (self._sweeper, self._sla, self._live) if t is not None]:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._model is not None:  # a thread: it ends when the model is loaded
            with contextlib.suppress(Exception):
                await self._model
        if self.chat is not None:  # events not yet acked are sent again by the platform
            await self.chat.stop()
        for server in self.servers:
            server.close()
        if self._web is not None:  # replies being posted are stored before the writer stops
            await self._web.cleanup()
        await self.connections.drain(SMTP_DRAIN_TIMEOUT_S)  # transactions in flight finish
        for server in self.servers:
            await server.wait_closed()
        if self._metrics is not None:
            await asyncio.to_thread(self._metrics.shutdown)
            self._metrics.server_close()
        if self._writer is not None:
            await asyncio.to_thread(self._writer.stop)
        if self._worker is not None and self.dispatcher is not None:
            await asyncio.to_thread(_drain, self._worker, self.dispatcher.process_inbound.broker,
                                    self.settings.broker.queue)
        if self._heartbeat is not None:
            await asyncio.to_thread(self._heartbeat.stop)
        if self._runner is not None:
            await asyncio.to_thread(self._runner.close)
        await asyncio.to_thread(self._release_leadership)
        log.info("postdesk stopped")


async def serve(settings: Settings, options: ServeOptions | None = None) -> None:
    """Run until SIGTERM or SIGINT; tell systemd (Type=notify) when ready and stopping."""
    options = options or ServeOptions()
    memory_release.map_large_blocks()  # large mails' memory goes back when freed
    if not options.sockets:
        options.sockets = sdlisten.take_sockets()
    daemon = Daemon(settings, options)
    notifier = sdnotify.Notifier.from_environment()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.add_signal_handler(signal.SIGHUP, daemon.hangup)
    await daemon.start()
    notifier.ready(f"accepting mail on {daemon.listening('smtp')}")
    interval = sdnotify.watchdog_interval()
    watchdog = (asyncio.create_task(sdnotify.keep_watchdog_fed(notifier, interval))
                if interval else None)
    try:
        await stop.wait()
    finally:
        notifier.stopping("draining")
        await daemon.stop()
        if watchdog is not None:
            watchdog.cancel()


def _drain(worker: object, broker: object, queue_name: str) -> None:
    """Let the embedded worker finish what is queued (bounded), then stop it."""
    join = getattr(broker, "join", None)
    if join is not None:
        with contextlib.suppress(Exception):
            join(queue_name, timeout=DRAIN_TIMEOUT_MS)
    worker.stop()  # type: ignore[attr-defined]

