"""Database connection by URL: SQLite (WAL) by default, PostgreSQL for production.

`database` is one of the two process globals Postdesk keeps (the other is the
dramatiq broker): a peewee proxy that `connect(url)` initialises. Every unit
of work runs in `database.atomic()`; threads get their own connection.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import peewee
from peewee import DatabaseProxy

from postdesk.errors import ConfigError

database = DatabaseProxy()

#: SQLite waits this long for a lock held by another thread or process.
SQLITE_BUSY_TIMEOUT_S = 30


def open_database(url: str, *, synchronous: str = "full") -> peewee.Database:
    """Build (but do not connect) the peewee database for a URL."""
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return peewee.SqliteDatabase(
            path,
            timeout=SQLITE_BUSY_TIMEOUT_S,
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
        name = unquote(parts.path.lstrip("/")) or "postdesk"
        return peewee.PostgresqlDatabase(name, **params)
    raise ConfigError(f"[database] url: unsupported database URL {url!r}")


def connect(url: str, *, synchronous: str = "full") -> peewee.Database:
    """Point the global proxy at the database for `url` and return it."""
    db = open_database(url, synchronous=synchronous)
    database.initialize(db)
    return db


def is_postgres() -> bool:
    return isinstance(database.obj, peewee.PostgresqlDatabase)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (the only clock read in the I/O layer)."""
    return datetime.now(UTC)
