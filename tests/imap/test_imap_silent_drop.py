"""A connection that dies without a word (no BYE, no RST, packets dropped) is noticed and replaced.

Between the desk and Dovecot sits a proxy that can black-hole the traffic
while keeping every socket open, as a NAT or firewall that forgot the
connection does. aioimaplib would go on reporting the connection as fine.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest

from imap.conftest import NO_IDLE
from imap.dovecot import Dovecot
from imap.proxy import BlackHoleProxy
from imap.test_imap_intake import StartDaemon, append, flags, inbound_rows
from mailbuild import wait_for
from postdesk.config.settings import Settings


@pytest.fixture
def proxy_factory() -> Iterator[Callable[[Dovecot], BlackHoleProxy]]:
    started: list[BlackHoleProxy] = []

    def make(server: Dovecot) -> BlackHoleProxy:
        proxy = BlackHoleProxy(server.port).start()
        started.append(proxy)
        return proxy

    yield make
    for proxy in started:
        proxy.stop()


@pytest.mark.parametrize("mode", ["idle", "polling"])
def test_a_silently_dropped_connection_is_replaced_and_mail_keeps_coming(
        dovecot_factory: Callable[..., Dovecot], proxy_factory: Callable[[Dovecot], BlackHoleProxy],
        imap_settings: Callable[..., Settings], sqlite_url: str, start_daemon: StartDaemon,
        caplog: pytest.LogCaptureFixture, mode: str) -> None:
    caplog.set_level(logging.INFO, logger="postdesk.channels.email.imap.intake")
    server = dovecot_factory(capabilities=NO_IDLE if mode == "polling" else None)
    proxy = proxy_factory(server)
    start_daemon(imap_settings(server, sqlite_url, port=proxy.port, probe_interval=1,
                               timeout=2, poll_interval=1 if mode == "polling" else 600))
    append(server, 1)
    wait_for(lambda: len(inbound_rows()) == 1, timeout=15)
    # the flag follows the commit over the same connection: let it through first
    wait_for(lambda: flags(server).get(1) == "\\Seen", timeout=15)

    caplog.clear()  # what the log says from here on is about the black hole
    proxy.blackhole()  # from now on nothing gets through, and nothing is closed
    dead = proxy.open_links()
    assert dead, "the desk had no connection open"
    append(server, 2)
    wait_for(lambda: "did not answer" in caplog.text, timeout=15)
    reason = next(r.getMessage() for r in caplog.records if "did not answer" in r.getMessage())
    assert f"127.0.0.1:{proxy.port}" in reason and "reconnecting in" in reason, reason
    wait_for(lambda: all(link.closed for link in dead), timeout=5)
    assert all(link.closed_by_client for link in dead), "the desk did not give up on it itself"
    assert len(inbound_rows()) == 1 and flags(server) == {1: "\\Seen", 2: ""}

    proxy.resume()
    wait_for(lambda: len(inbound_rows()) == 2, timeout=30)
    wait_for(lambda: flags(server) == {1: "\\Seen", 2: "\\Seen"}, timeout=10)
    assert len(proxy.links) >= 2 and not proxy.links[-1].cut
    assert [row.raw.count(b"IMAP question 2") for row in inbound_rows()] == [0, 1]
