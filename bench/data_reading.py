"""CPU of the SMTP listener's DATA step: data read in blocks against aiosmtpd's lines.

    .venv/bin/python bench/data_reading.py [--small 2000] [--large 4] [--rounds 3]

Serves the desk's `DeskSMTP` and, as the baseline in the same run, the same
protocol class with aiosmtpd's own line-by-line DATA step, in this process's
asyncio loop, with a handler that only says 250; an `smtplib` client in a
thread sends `--small` mails of 2.2 KB over one connection, then `--large`
mails of 25 MB. Reports the CPU of the server's thread per mail (least of
`--rounds` rounds, alternating the two), and the small-object arenas the
large mails made (1 MiB each; what pins the daemon's memory after them).
"""

from __future__ import annotations

import argparse
import asyncio
import smtplib
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from aiosmtpd.smtp import SMTP

from postdesk.channels.email.bare_lf import BareLfReply
from postdesk.channels.email.cut_data import ReleaseCutData
from postdesk.channels.email.envelope_address import QuickEnvelopeAddress
from postdesk.channels.email.idle_timeout import IdleTimeoutReply
from postdesk.channels.email.long_lines import LongDataLines
from postdesk.channels.email.refusals import RefusalLog
from postdesk.channels.email.smtp import DeskSMTP
from pymalloc_arenas import arenas_allocated


class LineDesk(QuickEnvelopeAddress, ReleaseCutData, IdleTimeoutReply, LongDataLines,
               BareLfReply, RefusalLog, SMTP):
    """The listener before: aiosmtpd's DATA step, one line at a time."""


class Accept:
    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        return "250 OK"


def small_mail(number: int) -> bytes:
    body = "".join(f"Line {n} of a customer's question about the printer, number {number}.\r\n"
                   for n in range(30))
    return (f"From: Zoe <zoe@customer.example>\r\nTo: support@example.com\r\n"
            f"Subject: Printer {number}\r\nMessage-ID: <{number}@customer.example>\r\n\r\n"
            f"{body}").encode()


def large_mail() -> bytes:
    line = b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0MTIzNDU2Nzg5YWJjZGVmZ2hp" \
           b"amtsbW5vcHFyc3R1dnd4eXo=\r\n"  # a base64 line of 76 characters
    return b"Subject: logs\r\n\r\n" + line * (25_000_000 // len(line))




async def serve(protocol: type[SMTP], mails: list[bytes]) -> tuple[float, int]:
    """Server-thread CPU seconds for `mails`, and the small-object arenas made meanwhile."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: protocol(Accept(), data_size_limit=26_214_400, decode_data=False,
                         enable_SMTPUTF8=True, timeout=60, loop=loop), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]

    def send() -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=120) as client:
            for raw in mails:
                client.sendmail("zoe@customer.example", ["support@example.com"], raw)

    made = arenas_allocated()
    cpu = time.thread_time()
    client = threading.Thread(target=send)
    client.start()
    while client.is_alive():
        await asyncio.sleep(0.005)
    cpu = time.thread_time() - cpu
    server.close()
    return cpu, arenas_allocated() - made


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=2000)
    parser.add_argument("--large", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    smalls = [small_mail(n) for n in range(args.small)]
    larges = [large_mail()] * args.large
    kinds = (("blocks (DeskSMTP)", DeskSMTP), ("lines (aiosmtpd, before)", LineDesk))
    best: dict[tuple[str, str], float] = {}
    made: dict[str, int] = {}
    for _ in range(args.rounds):
        for label, protocol in kinds:
            for size, mails in (("small", smalls), ("large", larges)):
                cpu, new_arenas = asyncio.run(serve(protocol, mails))
                key = (label, size)
                best[key] = min(best.get(key, cpu), cpu)
                if size == "large":
                    made[label] = new_arenas
    print(f"server-thread CPU per mail, least of {args.rounds} rounds "
          f"(the SMTP client runs in another thread of this process, on the same cores)")
    for label, _ in kinds:
        print(f"  {label:26} {len(smalls[0]) / 1000:.1f} KB: "
              f"{best[(label, 'small')] / len(smalls) * 1e3:.3f} ms   "
              f"{len(larges[0]) / 1e6:.0f} MB: {best[(label, 'large')] / len(larges) * 1e3:.0f} ms"
              f"   small-object arenas made by the large mails: {made[label]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
