"""Threads that keep a database connection open for many short reads (the ticket page).

Opening an SQLite connection (its pragmas) costs more than the page's three reads,
so the page's reads run on a few threads of their own, each keeping its
connection between requests. A database error closes the thread's connection,
so the next read connects again (a PostgreSQL restart, a dropped connection).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import peewee

from postdesk.store.db import database

T = TypeVar("T")


def _read(function: Callable[..., T], *args: Any) -> T:
    if database.is_closed():
        database.connect()
    try:
        return function(*args)
    except peewee.DatabaseError:
        database.close()
        raise


class ReadPool:
    def __init__(self, threads: int = 4, name: str = "postdesk-reads") -> None:
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix=name)

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """`function(*args)` on one of the pool's threads, in its open connection."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, _read, function, *args)

    def close(self) -> None:
        """Let the reads in progress finish; the threads' connections go with them."""
        self._executor.shutdown(wait=True)
