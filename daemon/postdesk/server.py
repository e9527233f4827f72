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
from dataclasses import dataclass
from typing import Any

from postdesk import db, migrations, runtime, scheduler
from postdesk.config import Settings
from postdesk.intake.imap import start_supervisors
from postdesk.intake.smtp import start_listener
from postdesk.intake.store import InboundWriter
from postdesk.queue import make_broker, start_embedded_worker
from postdesk.tasks import Dispatcher, declare_actors
from postdesk.workpool import InboundRunner, make_runner

log = logging.getLogger("postdesk")

SWEEP_INTERVAL_S = 5.0
DRAIN_TIMEOUT_MS = 10_000


@dataclass
class ServeOptions:
    worker: bool = True  # consume in this process (always true for the embedded broker)


def prepare(settings: Settings) -> None:
    """Database, schema and runtime: what every Postdesk process needs first."""
    database = db.connect(settings.database_url, synchronous=settings.database.synchronous)
    with database.connection_context():
        migrations.migrate(database)
    runtime.install(runtime.Runtime(settings))


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
        self._writer: InboundWriter | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._imap: list[asyncio.Task[None]] = []
        self.dispatcher: Dispatcher | None = None
        self._runner: InboundRunner | None = None

    @property
    def embedded(self) -> bool:
        return self.settings.broker.url == "embedded"

    async def start(self) -> None:
        settings = self.settings
        await asyncio.to_thread(prepare, settings)
        self._runner = await asyncio.to_thread(make_runner, settings)
        self.dispatcher = dispatcher = dispatcher_for(settings, self._runner)
        broker = dispatcher.process_inbound.broker
        if self.options.worker or self.embedded:
            self._worker = start_embedded_worker(broker, settings.broker.worker_threads)
        await asyncio.to_thread(_sweep_once, dispatcher, self.embedded)
        self._writer = InboundWriter(on_stored=dispatcher.inbound)
        self._writer.start()
        self.servers.append(await start_listener(settings, self._writer.store))
        if settings.lmtp.listen:
            self.servers.append(await start_listener(settings, self._writer.store, lmtp=True))
        self._imap = start_supervisors(settings, dispatcher.inbound)
        self._sweeper = asyncio.create_task(_sweep_forever(dispatcher))
        log.info(
            "postdesk ready: smtp %s%s%s for %s; database %s; queue %s; outgoing %s",
            settings.smtp.listen,
            f", lmtp {settings.lmtp.listen}" if settings.lmtp.listen else "",
            "".join(f", imap {source.name}" for source in settings.imap),
            ", ".join(settings.desk.addresses),
            _redact(settings.database_url),
            "embedded" if self.embedded else _redact(settings.broker.url),
            _redact(settings.outgoing_transport),
        )

    async def stop(self) -> None:
        log.info("postdesk stopping")
        for task in self._imap:
            task.cancel()
        for task in self._imap:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        for server in self.servers:
            server.close()
        for server in self.servers:
            await server.wait_closed()
        if self._writer is not None:
            await asyncio.to_thread(self._writer.stop)
        if self._worker is not None and self.dispatcher is not None:
            await asyncio.to_thread(_drain, self._worker, self.dispatcher.process_inbound.broker,
                                    self.settings.broker.queue)
        if self._runner is not None:
            await asyncio.to_thread(self._runner.close)
        log.info("postdesk stopped")


async def serve(settings: Settings, options: ServeOptions | None = None) -> None:
    """Run until SIGTERM or SIGINT."""
    daemon = Daemon(settings, options)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await daemon.start()
    try:
        await stop.wait()
    finally:
        await daemon.stop()


def _drain(worker: object, broker: object, queue_name: str) -> None:
    """Let the embedded worker finish what is queued (bounded), then stop it."""
    join = getattr(broker, "join", None)
    if join is not None:
        with contextlib.suppress(Exception):
            join(queue_name, timeout=DRAIN_TIMEOUT_MS)
    worker.stop()  # type: ignore[attr-defined]


async def _sweep_forever(dispatcher: Dispatcher) -> None:
    while True:
        await asyncio.sleep(SWEEP_INTERVAL_S)
        try:
            await asyncio.to_thread(_sweep_once, dispatcher)
        except Exception:
            log.exception("sweeper failed; trying again in %s s", SWEEP_INTERVAL_S)


def _sweep_once(dispatcher: Dispatcher, everything: bool = False) -> None:
    with db.database.connection_context():
        scheduler.sweep(dispatcher, db.utcnow(), everything=everything)


def _redact(url: str) -> str:
    """Hide a password in a URL before it reaches a log."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        credentials, _, host = rest.rpartition("@")
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}" if ":" in credentials else url
    return url
