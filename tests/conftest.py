"""Shared fixtures: real desks in tmp folders, real databases, real daemons on free ports.

Database tests run on SQLite always and on PostgreSQL when a server is
reachable (POSTDESK_TEST_PG_SERVER, default the local one); each session gets
its own PostgreSQL database, dropped at the end. Under CI=true a missing
server fails the run instead of skipping.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from postdesk.config.desk_init import init_desk
from postdesk.config.load import apply_environment, load_settings
from postdesk.config.settings import Settings
from postdesk.sla.tracking import catch_up as sla_catch_up
from postdesk.store import db, migrations
from postdesk.store.schema import MODELS
from scratch import scratch_database

PG_SERVER = os.environ.get("POSTDESK_TEST_PG_SERVER", "postgresql://postgres@127.0.0.1:5432/postgres")


def require_service(name: str, reason: str) -> None:
    """Skip locally, fail under CI: integration tests must not pass by not running."""
    if os.environ.get("CI"):
        pytest.fail(f"{name} is required under CI but unavailable: {reason}")
    pytest.skip(f"{name} unavailable: {reason}")


#: the lowest port a test server is given (below it: the machine's own services)
LOWEST_TEST_PORT = 10000
#: how many pytest-xdist workers get a band of ports of their own
PORT_BANDS = 8


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now, for a server a test starts.

    Not one the kernel hands out (`bind(0)`): those come from the ephemeral range, from
    which every client connection of the tests also takes its local port, so one could
    take the port between this answer and the server's bind (seen once in CI: "address
    already in use"). A port below that range instead, in a band of its own per
    pytest-xdist worker, that a trial bind finds free: the band is walked in turn from a
    random place, so that a port handed out is not handed out again before the whole band
    has been (a random pick per call gave one test's two listeners the same port before
    the first had bound it: CI on 5151419, "address already in use")."""
    low = LOWEST_TEST_PORT
    high = _ephemeral_low()
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    width = (high - low) // PORT_BANDS
    start = low + (int(worker) % PORT_BANDS if worker.isdigit() else 0) * width
    with _PORT_WALK_LOCK:
        for _ in range(100):
            step = _PORT_WALK.setdefault(start, random.randrange(width))
            _PORT_WALK[start] = (step + 1) % width
            port = start + step
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


#: Where `free_port` goes on in each band (this process's), and who may move it.
_PORT_WALK: dict[int, int] = {}
_PORT_WALK_LOCK = threading.Lock()


def _ephemeral_low() -> int:
    """The first port of the kernel's ephemeral range (Linux; 32768 where unknown)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range", encoding="ascii") as ranges:
            return max(int(ranges.read().split()[0]), LOWEST_TEST_PORT + PORT_BANDS * 100)
    except (OSError, ValueError, IndexError):
        return 32768


@contextmanager
def smtp_server(handler: Any, **options: Any) -> Iterator[int]:
    """A real aiosmtpd server with `handler` on a free port of 127.0.0.1; its port.
    `options` go to aiosmtpd (tls_context for STARTTLS, enable_SMTPUTF8, ...)."""
    from aiosmtpd.controller import Controller

    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session."""
    explicit = os.environ.get("POSTDESK_TEST_DATABASE_URL")
    if explicit:
        yield explicit
        return
    try:
        import psycopg

        psycopg.connect(PG_SERVER, autocommit=True, connect_timeout=3).close()
    except Exception as exc:
        require_service("PostgreSQL", f"{PG_SERVER}: {exc}")
    with scratch_database(PG_SERVER, "postdesk_test") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'var' / 'postdesk.db'}"
    url: str = request.getfixturevalue("postgres_url")
    database = db.connect(url)
    with database.connection_context():
        # this worker's database: whatever still works in it is left over from an earlier
        # test (a thread its daemon did not wait for), and its writes deadlocked with the
        # drop below (CI on af10041: 'deadlock detected' in this fixture)
        if not os.environ.get("POSTDESK_TEST_DATABASE_URL"):  # not one given to share
            database.execute_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        database.drop_tables(MODELS, safe=True, cascade=True)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'var' / 'postdesk.db'}"


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """A desk made by `postdesk init` in tmp_path, with overrides as env-style keys."""

    def make(database_url: str | None = None, **overrides: Any) -> Settings:
        desk = tmp_path / "desk"
        if not (desk / "postdesk.toml").exists():
            init_desk(desk)
        environ = {"POSTDESK_SMTP_LISTEN": f"127.0.0.1:{free_port()}",
                   # the skeleton's ticket page port is fixed: tests running together
                   # each take a free one
                   "POSTDESK_WEB_LISTEN": f"127.0.0.1:{free_port()}"}
        if database_url:
            environ["POSTDESK_DATABASE_URL"] = database_url
        environ.update({f"POSTDESK_{k.upper()}": str(v) for k, v in overrides.items()})
        return apply_environment(load_settings(desk / "postdesk.toml", environ={}), environ)

    return make


@pytest.fixture
def migrated(database_url: str) -> Iterator[str]:
    """The global database proxy connected to a migrated, empty database."""
    database = db.connect(database_url)
    with database.connection_context():
        migrations.migrate(database)
    yield database_url
    sla_catch_up.finish_trailing()  # none may go on into the next test's database
    database.close()


class RunningDaemon:
    """`postdesk serve` in a thread with its own event loop, on a free port."""

    def __init__(self, settings: Settings) -> None:
        from postdesk.serve.daemon import Daemon

        self.settings = settings
        self.daemon = Daemon(settings)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    @property
    def address(self) -> tuple[str, int]:
        host, _, port = self.settings.smtp.listen.rpartition(":")
        return host, int(port)

    @property
    def outgoing(self) -> Path:
        return Path(self.settings.outgoing_transport.removeprefix("maildir:"))

    def start(self) -> RunningDaemon:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.daemon.start(), self.loop).result(timeout=30)
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.daemon.stop(), self.loop).result(timeout=60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


@pytest.fixture
def start_daemon() -> Iterator[Callable[[Settings], RunningDaemon]]:
    running: list[RunningDaemon] = []

    def start(settings: Settings) -> RunningDaemon:
        daemon = RunningDaemon(settings).start()
        running.append(daemon)
        return daemon

    yield start
    for daemon in running:
        daemon.stop()
