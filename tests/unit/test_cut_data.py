"""A session cut off in the middle of a mail's data keeps none of it: the lines read so
far go at once, not at some later full garbage collection (they used to stay in a
reference cycle of the session's task, its CancelledError and the DATA step's frame)."""

from __future__ import annotations

import asyncio
import gc
import socket
import threading
import tracemalloc
from collections.abc import Iterator

import pytest

from postdesk.channels.email.smtp import DeskSMTP

SENT = 2_000_000  # bytes of data before the sender goes silent


class _Handler:
    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        return "250 OK"


def _half_a_mail(port: int, said: list[bytes]) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
        reader = raw.makefile("rb")
        reader.readline()
        raw.sendall(b"EHLO client.example\r\n")
        while reader.readline()[3:4] != b" ":
            pass
        for command in (b"MAIL FROM:<a@customer.example>\r\n",
                        b"RCPT TO:<support@example.com>\r\n", b"DATA\r\n"):
            raw.sendall(command)
            reader.readline()
        raw.sendall(b"a line of a large attachment, base64 or so\r\n" * (SENT // 44))
        said.append(reader.readline())  # silent now, until the server gives up


@pytest.fixture
def no_automatic_collection() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def _held_after_cut() -> tuple[int, bytes]:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: DeskSMTP(_Handler(), timeout=1, data_size_limit=50_000_000,
                         decode_data=False, loop=loop), "127.0.0.1", 0)
    said: list[bytes] = []
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        client = threading.Thread(target=_half_a_mail,
                                  args=(server.sockets[0].getsockname()[1], said))
        client.start()
        while client.is_alive():
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # the session's task has ended
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
        server.close()
    return held, said[0]


def test_the_lines_of_a_cut_mail_are_released_at_once(no_automatic_collection: None) -> None:
    held, said = asyncio.run(_held_after_cut())
    assert said.startswith(b"421 4.4.2 ")  # cut off as idle
    assert held < SENT / 10, f"{held} bytes still held of the {SENT} sent"
