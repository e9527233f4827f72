"""A TCP proxy on 127.0.0.1 that can be told to drop everything without closing anything.

`blackhole()` is a NAT or firewall that forgot the connections: bytes in either
direction are read and thrown away, no FIN and no RST is sent, and a
connection opened meanwhile is accepted but hears nothing. Connections that
were cut off stay cut off (their bytes are gone); after `resume()` new
connections work again.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass


@dataclass
class _Link:
    cut: bool
    closed: bool = False
    closed_by_client: bool = False


class BlackHoleProxy:
    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self.forwarding = True
        self.links: list[_Link] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None

    def start(self) -> BlackHoleProxy:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, "127.0.0.1", 0), self._loop).result(10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def blackhole(self) -> None:
        self.forwarding = False
        for link in self.links:
            link.cut = True

    def resume(self) -> None:
        self.forwarding = True

    def open_links(self) -> list[_Link]:
        return [link for link in self.links if not link.closed]

    def stop(self) -> None:
        async def close() -> None:
            assert self._server is not None
            self._server.close()
        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def _serve(self, client_in: asyncio.StreamReader,
                     client_out: asyncio.StreamWriter) -> None:
        link = _Link(cut=not self.forwarding)
        self.links.append(link)
        server_in, server_out = await asyncio.open_connection("127.0.0.1", self.target_port)
        upstream = asyncio.ensure_future(self._pump(client_in, server_out, link))
        downstream = asyncio.ensure_future(self._pump(server_in, client_out, link))
        done, _ = await asyncio.wait({upstream, downstream},
                                     return_when=asyncio.FIRST_COMPLETED)
        link.closed_by_client = upstream in done
        link.closed = True
        for writer in (server_out, client_out):
            writer.close()
        for task in (upstream, downstream):
            task.cancel()

    @staticmethod
    async def _pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter,
                    link: _Link) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await source.read(65536):
                if not link.cut:
                    sink.write(data)
                    await sink.drain()
