"""Scratch databases and queues on the shared PostgreSQL and Redis servers.

Tests (through pytest's `pythonpath = tests`) and bench scripts (which put
tests/ on sys.path) make their own PostgreSQL database and their own Redis
queue with these, and remove them afterwards, so concurrent runs never meet.
Production code never imports this.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager


def unique_name(prefix: str) -> str:
    """A name no other run on this machine uses: prefix, our pid and a random part."""
    return f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"


def database_url(server: str, name: str) -> str:
    """The URL of database `name` on the server whose maintenance database URL is `server`."""
    return f"{server.rsplit('/', 1)[0]}/{name}"


def create_database(server: str, name: str) -> str:
    """CREATE DATABASE `name` through the maintenance database `server`; returns its URL."""
    import psycopg

    with psycopg.connect(server, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return database_url(server, name)


def drop_database(server: str, name: str) -> None:
    """Disconnect everyone from database `name` and drop it (no error when it is gone)."""
    import psycopg

    with psycopg.connect(server, autocommit=True, connect_timeout=5) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = %s", (name,))
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


@contextmanager
def scratch_database(server: str, prefix: str) -> Iterator[str]:
    """A fresh database's URL for the duration of the block; dropped afterwards."""
    name = unique_name(prefix)
    url = create_database(server, name)
    try:
        yield url
    finally:
        drop_database(server, name)


def purge_redis_queue(url: str, queue: str) -> int:
    """Delete dramatiq's Redis keys of `queue` (messages, delay/dead queues, acks); how many."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=5)
    try:
        keys = [key for key in client.scan_iter(match="dramatiq:*", count=1000)
                if queue.encode() in key]
        return int(client.delete(*keys)) if keys else 0
    finally:
        client.close()
