"""The intake lets go of a large mail once it is stored: its writer thread holds no batch
while it waits for the next mail (it held the last batch's bytes, up to 250 MB, until
another mail came, so the daemon could not give that memory back)."""

from __future__ import annotations

import _sqlite3
import asyncio
import ctypes
import gc
import tracemalloc

import pytest

from mailbuild import wait_for
from postdesk.store.db import database
from postdesk.store.inbound import Arrival, InboundWriter
from postdesk.store.models import Inbound

MB = 1024 * 1024


def test_a_stored_mail_is_not_held_by_the_idle_writer(migrated: str) -> None:
    stored: list[int] = []
    writer = InboundWriter(on_stored=stored.append)
    writer.start()
    tracemalloc.start()
    raw = b"Subject: logs\r\n\r\n" + b"x" * (20 * MB)

    async def store(mail: bytes) -> int:
        return await writer.store(Arrival(raw=mail, mail_from="c@customer.example",
                                          rcpt_to=("support@example.com",), source="smtp"))

    try:
        inbound_id = asyncio.run(store(raw))
        del raw
        gc.collect()
        # the writer answers before it has told the queue: give it time to be idle again
        wait_for(lambda: tracemalloc.get_traced_memory()[0] < 5 * MB, timeout=10)
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        writer.stop()
    assert stored == [inbound_id]
    with database.connection_context():
        assert len(bytes(Inbound.get_by_id(inbound_id).raw)) == 20 * MB + 17
    assert held < 5 * MB


def _sqlite_memory_used() -> int:
    """Bytes SQLite itself has allocated in this process (its page caches, statements)."""
    used = ctypes.CDLL(_sqlite3.__file__).sqlite3_memory_used
    used.restype = ctypes.c_int64
    return int(used())


def test_sqlite_keeps_no_copy_of_a_stored_large_mail(migrated: str) -> None:
    """SQLite kept the last large mail's bytes (bound to its cached INSERT statement) and
    the pages it wrote (its page cache) in the daemon after the mail was stored."""
    if not migrated.startswith("sqlite"):
        pytest.skip("about SQLite's own memory")
    writer = InboundWriter(on_stored=lambda _: None)
    writer.start()

    async def store(mail: bytes) -> int:
        return await writer.store(Arrival(raw=mail, mail_from="c@customer.example",
                                          rcpt_to=("support@example.com",), source="smtp"))

    try:
        before = _sqlite_memory_used()
        asyncio.run(store(b"Subject: logs\r\n\r\n" + b"x" * (20 * MB)))
        asyncio.run(store(b"Subject: more logs\r\n\r\n" + b"y" * (20 * MB)))
        wait_for(lambda: _sqlite_memory_used() - before < 4 * MB, timeout=10)
        held = _sqlite_memory_used() - before
    finally:
        writer.stop()
    assert held < 4 * MB, f"SQLite still holds {held / MB:.0f} MB"
