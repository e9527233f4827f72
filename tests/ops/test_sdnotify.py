"""sd_notify: what systemd's notify socket really receives, on a real datagram socket."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from postdesk.serve.sdnotify import Notifier, keep_watchdog_fed, watchdog_interval


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[tuple[str, socket.socket]]:
    """A notify socket on a file path, as systemd makes one."""
    path = str(tmp_path / "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(5)
    yield path, sock
    sock.close()


def received(sock: socket.socket) -> list[str]:
    return sock.recv(4096).decode().split("\n")


def test_lifecycle_messages_reach_the_socket(listener: tuple[str, socket.socket]) -> None:
    path, sock = listener
    notifier = Notifier.from_environment({"NOTIFY_SOCKET": path})
    assert notifier.enabled
    assert notifier.ready("accepting mail on 127.0.0.1:2525")
    assert received(sock) == ["READY=1", "STATUS=accepting mail on 127.0.0.1:2525"]
    assert notifier.status("12 mails pending\nsecond line")
    assert received(sock) == ["STATUS=12 mails pending second line"]
    assert notifier.watchdog()
    assert received(sock) == ["WATCHDOG=1"]
    assert notifier.reloading()
    reload_lines = received(sock)
    assert reload_lines[0] == "RELOADING=1" and reload_lines[1].startswith("MONOTONIC_USEC=")
    assert notifier.extend_timeout(2.5)
    assert received(sock) == ["EXTEND_TIMEOUT_USEC=2500000"]
    assert notifier.stopping("draining")
    assert received(sock) == ["STOPPING=1", "STATUS=draining"]
    notifier.close()


def test_abstract_socket_name() -> None:
    name = f"postdesk-test-{uuid.uuid4().hex}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(b"\0" + name.encode())
    sock.settimeout(5)
    try:
        notifier = Notifier.from_environment({"NOTIFY_SOCKET": f"@{name}"})
        assert notifier.ready()
        assert received(sock) == ["READY=1"]
    finally:
        sock.close()


def test_unset_socket_is_a_no_op() -> None:
    notifier = Notifier.from_environment({})
    assert not notifier.enabled
    assert not notifier.ready()
    assert not notifier.watchdog()


def test_unreachable_socket_is_logged_not_raised(tmp_path: Path,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    notifier = Notifier.from_environment({"NOTIFY_SOCKET": str(tmp_path / "nobody-listens")})
    assert not notifier.ready()
    assert "cannot notify systemd" in caplog.text


def test_watchdog_interval_is_half_of_watchdog_sec() -> None:
    mine = str(os.getpid())
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": mine}) == 15.0
    assert watchdog_interval({"WATCHDOG_USEC": "30000000"}) == 15.0
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}) is None
    assert watchdog_interval({}) is None


def test_watchdog_task_pings_until_cancelled(listener: tuple[str, socket.socket]) -> None:
    path, sock = listener
    notifier = Notifier(path)

    async def run_briefly() -> None:
        task = asyncio.create_task(keep_watchdog_fed(notifier, 0.01))
        await asyncio.sleep(0.1)
        task.cancel()

    asyncio.run(run_briefly())
    pings = [received(sock) for _ in range(3)]
    assert pings == [["WATCHDOG=1"]] * 3
