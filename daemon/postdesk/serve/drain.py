"""A graceful stop of the SMTP/LMTP listeners: no transaction in flight is cut off.

Once the listeners stop accepting, each open connection is looked at until
it is between transactions (no MAIL FROM open): then it gets `421 4.3.2`
and is closed; a client in the middle of one (sending DATA) finishes it and
gets its answer first: 250 after the commit, as always. A transaction still
open after `timeout` is cut off with 421; its mail was never acknowledged, so
the sending MTA delivers it again later: nothing is lost either way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref

from aiosmtpd.smtp import SMTP

log = logging.getLogger(__name__)

SHUTTING_DOWN = b"421 4.3.2 Service shutting down, please try again later\r\n"
POLL_S = 0.05


class Connections:
    """The SMTP/LMTP sessions of the listeners (pass `track` to start_listener)."""

    def __init__(self) -> None:
        self._open: weakref.WeakSet[SMTP] = weakref.WeakSet()

    def track(self, protocol: SMTP) -> SMTP:
        self._open.add(protocol)
        return protocol

    def live(self) -> list[SMTP]:
        return [p for p in self._open if p.transport is not None and not p.transport.is_closing()]

    async def drain(self, timeout: float) -> int:
        """Close every session once its transaction is over; return how many were cut off."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        cut = 0
        while True:
            expired = loop.time() >= deadline
            busy = 0
            for protocol in self.live():
                if _in_transaction(protocol) and not expired:
                    busy += 1
                    continue
                cut += _in_transaction(protocol)
                _close(protocol)
            if not busy:
                if cut:
                    log.warning("stop: %d SMTP transactions cut off after %.0f s (their "
                                "senders retry)", cut, timeout)
                return cut
            await asyncio.sleep(POLL_S)


def _in_transaction(protocol: SMTP) -> bool:
    envelope = getattr(protocol, "envelope", None)
    return envelope is not None and envelope.mail_from is not None


def _close(protocol: SMTP) -> None:
    transport = protocol.transport
    if transport is None or transport.is_closing():
        return
    with contextlib.suppress(Exception):
        transport.write(SHUTTING_DOWN)  # type: ignore[attr-defined]
    transport.close()
