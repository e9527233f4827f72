"""Tell systemd how the daemon is doing: the sd_notify protocol, without libsystemd.

With `Type=notify` systemd passes the path of a datagram socket in
`$NOTIFY_SOCKET` (a file path, or an abstract name written with a leading
`@`) and waits for `READY=1` before it counts the service as started (and
before units ordered after it start). `STATUS=...` is the one-line state shown
by `systemctl status postdesk`; `WATCHDOG=1` must arrive at least every
`WatchdogSec=` or systemd kills and restarts the daemon; `STOPPING=1` says a
graceful stop is under way; `RELOADING=1` a SIGHUP reload.

Outside systemd (`$NOTIFY_SOCKET` unset) every call is a no-op, and a failure
to reach the socket is logged, never raised: telling systemd is not worth
taking the desk down for.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Mapping

log = logging.getLogger(__name__)

NOTIFY_SOCKET = "NOTIFY_SOCKET"


def socket_address(value: str | None) -> str | bytes | None:
    """The address to send to, from `$NOTIFY_SOCKET`; None when absent or unusable."""
    if not value:
        return None
    if value.startswith("@"):
        return b"\0" + value[1:].encode()  # Linux abstract namespace
    if value.startswith("/"):
        return value
    log.warning("ignoring $NOTIFY_SOCKET %r: neither a path nor an @abstract name", value)
    return None


class Notifier:
    """One process's line to systemd; `Notifier.from_environment()` is the usual way in."""

    def __init__(self, address: str | bytes | None) -> None:
        self.address = address
        self._sock: socket.socket | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Notifier:
        environ = os.environ if environ is None else environ
        return cls(socket_address(environ.get(NOTIFY_SOCKET)))

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def notify(self, *assignments: str) -> bool:
        """Send `KEY=value` lines in one datagram; True when systemd was told."""
        if self.address is None or not assignments:
            return False
        payload = "\n".join(line.replace("\n", " ") for line in assignments).encode()
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
            self._sock.sendto(payload, self.address)
        except OSError as exc:
            log.warning("cannot notify systemd at %r: %s", self.address, exc)
            return False
        return True

    def ready(self, status: str | None = None) -> bool:
        """Start-up is complete: listeners accept and work is consumed."""
        return self.notify("READY=1", *([f"STATUS={status}"] if status else []))

    def status(self, text: str) -> bool:
        return self.notify(f"STATUS={text}")

    def watchdog(self) -> bool:
        """'Still alive': send at least every half `WatchdogSec=` (see `watchdog_interval`)."""
        return self.notify("WATCHDOG=1")

    def reloading(self) -> bool:
        """A SIGHUP reload begins; follow it with `ready()` when it is done."""
        monotonic_usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        return self.notify("RELOADING=1", f"MONOTONIC_USEC={monotonic_usec}")

    def stopping(self, status: str | None = None) -> bool:
        """A graceful stop begins (in-flight SMTP transactions finish, work is handed back)."""
        return self.notify("STOPPING=1", *([f"STATUS={status}"] if status else []))

    def extend_timeout(self, seconds: float) -> bool:
        """Ask for more time to start or stop (a long migration, a long drain)."""
        return self.notify(f"EXTEND_TIMEOUT_USEC={int(seconds * 1_000_000)}")

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


def watchdog_interval(environ: Mapping[str, str] | None = None) -> float | None:
    """Seconds between WATCHDOG=1 pings (half of `WatchdogSec=`); None when not asked for.

    systemd sets `$WATCHDOG_USEC` and `$WATCHDOG_PID`; a PID other than ours means
    the variables were inherited from a parent and are not meant for us.
    """
    environ = os.environ if environ is None else environ
    usec, pid = environ.get("WATCHDOG_USEC"), environ.get("WATCHDOG_PID")
    if not usec or not usec.isdigit() or int(usec) == 0:
        return None
    if pid and pid.isdigit() and int(pid) != os.getpid():
        return None
    return int(usec) / 2 / 1_000_000


async def keep_watchdog_fed(notifier: Notifier, interval: float) -> None:
    """Ping the watchdog from the event loop until cancelled.

    It runs on the daemon's own loop, so a loop that is stuck (a blocking call,
    a deadlock) stops the pings and systemd restarts the daemon.
    """
    while True:
        notifier.watchdog()
        await asyncio.sleep(interval)
