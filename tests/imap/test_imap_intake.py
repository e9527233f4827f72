"""IMAP intake against a real Dovecot: each mail in the mailbox becomes exactly one inbound row.

The mailbox is driven by the stdlib imaplib client, as a user's mail program
(or the provider's MX) would fill it; the desk is a real daemon.
"""

from __future__ import annotations

import imaplib
import re
import sqlite3
import threading
from collections.abc import Callable

import pytest

from conftest import RunningDaemon
from imap.conftest import NO_IDLE
from imap.dovecot import Dovecot
from mailbuild import customer_mail, wait_for
from postdesk.config.settings import Settings
from postdesk.store import db
from postdesk.store.models import ImapState, Inbound, Ticket

StartDaemon = Callable[[Settings], RunningDaemon]


def append(server: Dovecot, number: int, folder: str = "INBOX") -> bytes:
    raw = customer_mail(subject=f"IMAP question {number}", message_id=f"<imap-{number}@c.example>",
                        body=f"Mail number {number}.\n").as_bytes()
    client = server.client()
    try:
        status, _ = client.append(folder, None, None, raw)
        assert status == "OK"
    finally:
        client.logout()
    return raw


def flags(server: Dovecot, folder: str = "INBOX") -> dict[int, str]:
    """UID -> FLAGS of every mail in the folder, as a mail program sees them."""
    client = server.client()
    try:
        status, _ = client.select(f'"{folder}"')
        assert status == "OK", folder
        _, data = client.uid("fetch", "1:*", "(UID FLAGS)")
    finally:
        client.logout()
    found = {}
    for item in data:
        if isinstance(item, bytes) and (match := re.search(rb"UID (\d+) FLAGS \(([^)]*)\)",
                                                           item)):
            names = match.group(2).decode().split()
            found[int(match.group(1))] = " ".join(n for n in names if n != "\\Recent")
    return found


def inbound_rows() -> list[Inbound]:
    with db.database.connection_context():
        return list(Inbound.select().order_by(Inbound.id))


def tickets() -> list[Ticket]:
    with db.database.connection_context():
        return list(Ticket.select().order_by(Ticket.id))


def test_idle_mail_becomes_one_ticket_then_seen_and_restart_takes_nothing_again(
        dovecot: Dovecot, imap_settings: Callable[..., Settings], database_url: str,
        start_daemon: StartDaemon) -> None:
    settings = imap_settings(dovecot, database_url)  # poll_interval 600: only IDLE is fast
    daemon = RunningDaemon(settings).start()
    wait_for(lambda: dovecot.session_pids(), timeout=10)
    raw = append(dovecot, 1)
    rows = wait_for(inbound_rows, timeout=10)
    assert [(row.source, row.raw, row.rcpt_to) for row in rows] == [
        ("imap:support", raw, ["support@example.com"])]
    wait_for(lambda: [row.state for row in inbound_rows()] == ["done"], timeout=15)
    assert [ticket.subject for ticket in tickets()] == ["IMAP question 1"]
    wait_for(lambda: flags(dovecot) == {1: "\\Seen"}, timeout=10)

    daemon.stop()
    start_daemon(settings)
    append(dovecot, 2)
    wait_for(lambda: len(inbound_rows()) == 2, timeout=10)
    wait_for(lambda: flags(dovecot) == {1: "\\Seen", 2: "\\Seen"}, timeout=10)
    assert [row.raw.count(b"IMAP question 1") for row in inbound_rows()] == [1, 0]
    wait_for(lambda: [ticket.subject for ticket in tickets()]
             == ["IMAP question 1", "IMAP question 2"], timeout=15)


@pytest.mark.parametrize("after", ["seen", "move:Done"])
def test_mail_is_flagged_or_moved_only_after_its_row_is_committed(
        dovecot: Dovecot, imap_settings: Callable[..., Settings], sqlite_url: str,
        start_daemon: StartDaemon, after: str) -> None:
    client = dovecot.client()
    client.create("Done")
    client.logout()
    settings = imap_settings(dovecot, sqlite_url, after=after)
    start_daemon(settings)
    wait_for(lambda: dovecot.session_pids(), timeout=10)
    threading.Event().wait(1)  # the desk has selected the folder and is idling
    path = sqlite_url.removeprefix("sqlite:///")
    blocker = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    blocker.execute("BEGIN EXCLUSIVE")  # the desk's commit now waits for us
    try:
        append(dovecot, 1)
        threading.Event().wait(3)  # plenty of time to fetch and try to commit
        assert flags(dovecot) == {1: ""}, f"{after!r} acted before the commit"
        assert flags(dovecot, "Done") == {}
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    wait_for(lambda: len(inbound_rows()) == 1, timeout=15)
    if after == "seen":
        wait_for(lambda: flags(dovecot) == {1: "\\Seen"}, timeout=10)
    else:
        wait_for(lambda: flags(dovecot) == {} and len(flags(dovecot, "Done")) == 1, timeout=10)


@pytest.mark.parametrize("after", ["move:Done", "delete"])
def test_move_or_delete_after_commit(dovecot: Dovecot, imap_settings: Callable[..., Settings],
                                     sqlite_url: str, start_daemon: StartDaemon,
                                     after: str) -> None:
    client = dovecot.client()
    client.create("Done")
    client.logout()
    for number in range(3):
        append(dovecot, number)
    start_daemon(imap_settings(dovecot, sqlite_url, after=after))
    wait_for(lambda: len(inbound_rows()) == 3, timeout=15)
    wait_for(lambda: flags(dovecot) == {}, timeout=10)
    if after == "move:Done":
        assert len(flags(dovecot, "Done")) == 3
    assert len(inbound_rows()) == 3


def test_polling_when_the_server_has_no_idle(
        dovecot_factory: Callable[..., Dovecot], imap_settings: Callable[..., Settings],
        sqlite_url: str, start_daemon: StartDaemon) -> None:
    server = dovecot_factory(capabilities=NO_IDLE)
    start_daemon(imap_settings(server, sqlite_url, poll_interval=1))
    wait_for(lambda: server.session_pids(), timeout=10)
    append(server, 1)
    wait_for(lambda: len(inbound_rows()) == 1, timeout=10)
    wait_for(lambda: flags(server) == {1: "\\Seen"}, timeout=10)


def test_uidvalidity_change_rescans_without_duplicates(
        dovecot: Dovecot, imap_settings: Callable[..., Settings], sqlite_url: str,
        start_daemon: StartDaemon) -> None:
    client = dovecot.client()
    client.create("Support")
    client.logout()
    originals = [append(dovecot, number, "Support") for number in range(3)]
    start_daemon(imap_settings(dovecot, sqlite_url, folder="Support"))
    wait_for(lambda: len(inbound_rows()) == 3, timeout=15)
    with db.database.connection_context():
        before = ImapState.get(ImapState.source == "support").uidvalidity

    client = dovecot.client()  # the mailbox is re-created and restored from a backup
    assert client.delete("Support")[0] == "OK"
    assert client.create("Support")[0] == "OK"
    client.logout()
    for raw in originals:
        dovecot.client().append("Support", None, None, raw)
    append(dovecot, 3, "Support")
    dovecot.kick()  # the new UIDVALIDITY is seen when the desk selects the folder again

    wait_for(lambda: len(inbound_rows()) == 4, timeout=20)
    wait_for(lambda: len(flags(dovecot, "Support")) == 4
             and set(flags(dovecot, "Support").values()) == {"\\Seen"}, timeout=10)
    threading.Event().wait(1)
    rows = inbound_rows()
    assert len(rows) == 4 and len({row.sha256 for row in rows}) == 4
    with db.database.connection_context():
        state = ImapState.get(ImapState.source == "support")
    assert state.uidvalidity != before and state.last_uid == 4


def test_reconnects_after_the_connection_is_killed_and_after_a_server_restart(
        dovecot: Dovecot, imap_settings: Callable[..., Settings], sqlite_url: str,
        start_daemon: StartDaemon) -> None:
    start_daemon(imap_settings(dovecot, sqlite_url))
    first = wait_for(lambda: dovecot.session_pids(), timeout=10)
    dovecot.kick()
    wait_for(lambda: dovecot.session_pids() and dovecot.session_pids() != first, timeout=15)
    append(dovecot, 1)
    wait_for(lambda: len(inbound_rows()) == 1, timeout=10)

    dovecot.restart()  # server restart while the desk is idling: BYE, then nobody listens
    wait_for(lambda: dovecot.session_pids(), timeout=20)
    append(dovecot, 2)
    wait_for(lambda: len(inbound_rows()) == 2, timeout=10)
    wait_for(lambda: flags(dovecot) == {1: "\\Seen", 2: "\\Seen"}, timeout=10)


def test_imaplib_sees_what_the_desk_left(dovecot: Dovecot) -> None:
    """The harness itself: a fresh mailbox is empty and APPEND works."""
    assert flags(dovecot) == {}
    append(dovecot, 1)
    assert flags(dovecot) == {1: ""}
    with pytest.raises(imaplib.IMAP4.error):
        imaplib.IMAP4("127.0.0.1", dovecot.port).login("desk", "wrong")
