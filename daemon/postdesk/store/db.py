"""Database connection by URL: SQLite (WAL) by default, PostgreSQL for production.

`database` is one of the two process globals Postdesk keeps (the other is the
dramatiq broker): a peewee proxy that `connect(url)` initialises. Every unit
of work runs in `database.atomic()`; threads get their own connection.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import peewee
from peewee import DatabaseProxy

from postdesk.errors import ConfigError
from postdesk.store.peewee_internals import check_peewee, open_connection_contexts


class _Pin(threading.local):
    """Per thread: the database the proxy means in this thread, whatever it points at
    (a class default, so that reading it unpinned raises nothing: 5 times cheaper)."""

    database: peewee.Database | None = None


_pinned = _Pin()


class _DeskDatabaseProxy(DatabaseProxy):
    """peewee's proxy opens transactions itself; ours lets the database decide how. A
    thread may pin the proxy to one database (`pinned`): in that thread it means that
    database even when the process points the proxy at another meanwhile."""

    @property
    def obj(self) -> Any:
        held = _pinned.database
        return held if held is not None else self.__dict__.get("_shared")

    @obj.setter
    def obj(self, value: Any) -> None:
        self.__dict__["_shared"] = value

    def atomic(self, *args: Any, **kwargs: Any) -> Any:
        return self.obj.atomic(*args, **kwargs)


database = _DeskDatabaseProxy()


@contextmanager
def pinned(db: peewee.Database) -> Iterator[peewee.Database]:
    """Within this block and thread, `database` means `db`: work scheduled for one
    database (a timer's) never follows the proxy to another half-way through."""
    before = _pinned.database
    _pinned.database = db
    try:
        yield db
    finally:
        _pinned.database = before

#: a database the proxy may point at (what `pinned` takes), named here so that callers
#: outside the store need not import the driver
Database = peewee.Database

# What callers outside the store catch, so that they need not import the driver's layer:
#: any error the database reported;
DatabaseError = peewee.DatabaseError
#: a unique constraint refused the row (someone stored it a moment ago);
IntegrityError = peewee.IntegrityError
#: the errors after which the connection is not to be trusted (the server went away).
CONNECTION_FAILURES: tuple[type[Exception], ...] = (peewee.OperationalError,
                                                    peewee.InterfaceError)

#: SQLite waits this long for a lock held by another thread or process.
SQLITE_BUSY_TIMEOUT_S = 30


class _Serialized:
    """Hold the desk's write lock for the length of a transaction."""

    def __init__(self, database: SerializedSqliteDatabase, inner: Any, durable: bool) -> None:
        self.database, self.inner, self.durable = database, inner, durable

    def __enter__(self) -> Any:
        self.database.acquire_writer()
        try:
            return self.inner.__enter__()
        except BaseException:
            self.database.release_writer()
            raise

    def __exit__(self, *exc: Any) -> Any:
        outermost = self.database._depth == 1
        try:
            result = self.inner.__exit__(*exc)
        finally:
            self.database.release_writer()
        if self.durable and outermost and exc[0] is None:
            self.database.sync_log()  # after the lock: other writers need not wait for it
        return result


class SerializedSqliteDatabase(peewee.SqliteDatabase):
    """SQLite with writers queued on a lock instead of SQLite's busy handler.

    SQLite allows one writer; a writer that collides waits in the busy handler,
    which sleeps in steps of up to 100 ms while the lock may long be free. Here
    writers of one process queue on a thread lock, and processes (worker
    processes, a CLI command beside the daemon) on an flock of `<db>.lock`, so
    every commit starts the moment the previous one ends.
    """

    def __init__(self, database: str, *args: Any, sync_every_commit: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self.sync_every_commit = sync_every_commit
        self._write_lock = threading.RLock()
        self._depth = 0
        self._lock_path = None if database == ":memory:" else f"{database}.lock"
        self._lock_fd: int | None = None
        self._directory_synced = False

    def atomic(self, *args: Any, **kwargs: Any) -> Any:
        return _Serialized(self, super().atomic(*args, **kwargs), durable=False)

    def durable_atomic(self) -> Any:
        """A transaction synced to disk when it ends: for commits that make a promise."""
        return _Serialized(self, super().atomic(), durable=True)

    def acquire_writer(self) -> None:
        self._write_lock.acquire()
        self._depth += 1
        if self._depth > 1:
            return
        if self._lock_path is not None:
            if self._lock_fd is None:
                self._lock_fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)

    def release_writer(self) -> None:
        self._depth -= 1
        if self._depth == 0 and self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
        self._write_lock.release()

    def sync_log(self) -> None:
        """Make every transaction committed so far durable: fsync the write-ahead log.

        With `synchronous = normal` a commit writes its WAL frames without syncing
        them; SQLite syncs the WAL before each checkpoint and the database file after
        it, so once the WAL is synced after a commit, that commit survives a power
        cut whether or not a checkpoint ran in between. Syncing here, after the write
        lock is released, lets the next writer go on while the disk flushes, and the
        syncs of several processes overlap instead of queueing behind the lock."""
        if self.sync_every_commit or self._lock_path is None:
            return  # synchronous = full synced the commit already; or a memory database
        name = self.database
        # no WAL file: the last checkpoint put everything in the database file
        _fsync(f"{name}-wal") or _fsync(name)
        if not self._directory_synced:  # the WAL file's own entry, once per process
            _fsync(os.path.dirname(os.path.abspath(name)))
            self._directory_synced = True


def _fsync(path: str) -> bool:
    """fsync a file or folder by name; False when it does not exist."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return True


def open_database(url: str, *, synchronous: str = "normal",
                  connect_timeout: int | None = None) -> peewee.Database:
    """Build (but do not connect) the peewee database for a URL.

    SQLite `synchronous`: "normal" syncs to disk the commits that make a promise to
    the outside world (a mail accepted with 250, a mail about to be sent: see
    `durable_atomic`); the others are synced with the next such commit, so a power
    cut can only undo work that is then done again. "full" syncs every commit.
    `connect_timeout` (seconds, PostgreSQL) bounds the wait for an unreachable server.
    """
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return SerializedSqliteDatabase(
            path,
            timeout=SQLITE_BUSY_TIMEOUT_S,
            sync_every_commit=synchronous == "full",
            pragmas={
                "journal_mode": "wal",
                "synchronous": synchronous,
                "foreign_keys": 1,
                "busy_timeout": SQLITE_BUSY_TIMEOUT_S * 1000,
                "cache_size": -16000,
            },
            check_same_thread=False,
        )
    if url.startswith(("postgresql://", "postgres://")):
        if getattr(peewee, "psycopg", None) is None:  # see postdesk.store.driver
            raise ConfigError(f"[database] url {url!r}: psycopg is not available in this "
                              "process (not installed, or peewee was imported for an "
                              "SQLite desk: postdesk.store.driver)")
        parts = urlsplit(url)
        params: dict[str, Any] = {}
        if parts.hostname:
            params["host"] = parts.hostname
        if parts.port:
            params["port"] = parts.port
        if parts.username:
            params["user"] = unquote(parts.username)
        if parts.password:
            params["password"] = unquote(parts.password)
        if connect_timeout is not None:
            params["connect_timeout"] = connect_timeout
        name = unquote(parts.path.lstrip("/")) or "postdesk"
        return peewee.PostgresqlDatabase(name, **params)
    raise ConfigError(f"[database] url: unsupported database URL {url!r}")


def connect(url: str, *, synchronous: str = "normal",
            connect_timeout: int | None = None) -> peewee.Database:
    """Point the global proxy at the database for `url` and return it; first, once per
    process, make sure the installed peewee has what the pre-built SQL relies on
    (PeeweeMismatch otherwise: see `postdesk.store.peewee_internals`)."""
    check_peewee()
    db = open_database(url, synchronous=synchronous, connect_timeout=connect_timeout)
    database.initialize(db)
    return db


def durable_atomic() -> Any:
    """A transaction whose commit is on disk when it returns (PostgreSQL: always)."""
    target = database.obj
    if isinstance(target, SerializedSqliteDatabase):
        return target.durable_atomic()
    return database.atomic()


@contextmanager
def reconnect_after_failure() -> Iterator[None]:
    """A connection the server dropped stays 'open' in peewee: close it when a unit of
    work fails on it, so the retry (the queue's or the sweeper's) connects afresh."""
    try:
        yield
    except CONNECTION_FAILURES:
        forget_connection()
        raise


def release_memory() -> None:
    """Let go of what this thread's SQLite connection keeps after large mail: a copy of
    the last value bound to each cached statement (the attachment a worker stored last,
    up to the size of a mail) and the pages it read and wrote (its page cache, 16 MB).
    The connection is closed and the next unit of work connects afresh; inside a
    transaction or a `connection_context()` (whose end closes it) only the page cache is
    emptied. PostgreSQL's client keeps nothing of the kind."""
    target = database.obj
    if not isinstance(target, peewee.SqliteDatabase) or target.is_closed():
        return
    # peewee has no public way to tell whether the thread is inside a connection context
    if target.in_transaction() or open_connection_contexts(target):
        with suppress(Exception):
            target.execute_sql("PRAGMA shrink_memory")
        return
    forget_connection()


def is_connection_failure(error: object) -> bool:
    """An error after which the connection is not to be trusted."""
    return isinstance(error, CONNECTION_FAILURES)


def forget_connection() -> None:
    """Close this thread's connection, quietly: the next unit of work opens a new one."""
    with suppress(Exception):
        database.close()


def is_postgres() -> bool:
    return isinstance(database.obj, peewee.PostgresqlDatabase)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (the only clock read in the I/O layer)."""
    return datetime.now(UTC)
