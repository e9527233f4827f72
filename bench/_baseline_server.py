"""Baseline SMTP server for bench/ingest.py: the least a durable MTA must do.

Usage: python bench/_baseline_server.py PORT DIR

A bare aiosmtpd server on 127.0.0.1:PORT whose DATA handler writes each message
to its own file under DIR and fsyncs it (in a thread, so connections overlap as
they do in Postdesk's intake) before answering 250. It accepts any recipient.
Prints "baseline ready" once listening; stops on SIGTERM or SIGINT.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import sys
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session


class FsyncHandler:
    """Write the raw message to DIR/<n>.eml, fsync the file, then reply 250."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.counter = itertools.count(1)

    def _write(self, number: int, raw: bytes) -> None:
        path = self.directory / f"{number:08d}.eml"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            view = memoryview(raw)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        number = next(self.counter)
        await asyncio.to_thread(self._write, number, raw)
        return f"250 2.0.0 OK queued as {number}"


async def serve(port: int, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    handler = FsyncHandler(directory)
    # One fsync of the message file per mail (the directory itself is not synced):
    # the durability floor that Postdesk's "250 only after COMMIT" is compared with.
    loop = asyncio.get_running_loop()
    options: dict[str, Any] = {
        "data_size_limit": 26214400,
        "enable_SMTPUTF8": True,
        "decode_data": False,
        "hostname": "baseline.example",
        "ident": "baseline",
        "timeout": 300,
        "loop": loop,
    }
    server = await loop.create_server(lambda: SMTP(handler, **options),
                                      host="127.0.0.1", port=port)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    print(f"baseline ready on 127.0.0.1:{port}, writing to {directory}", flush=True)
    try:
        await stop.wait()
    finally:
        server.close()
        await server.wait_closed()
    print("baseline stopped", flush=True)


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: _baseline_server.py PORT DIR", file=sys.stderr)
        return 2
    asyncio.run(serve(int(argv[1]), Path(argv[2])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
