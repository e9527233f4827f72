"""Mail sent together: one synced claim, one relay connection, one folder sync for several
mails, each with its own outcome. Real aiosmtpd relays on 127.0.0.1, real databases."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from conftest import free_port, smtp_server
from mailbuild import customer_mail, wait_for
from postdesk.channels.email import sender as outbox
from postdesk.channels.email.transports import (
    Envelope,
    MaildirTransport,
    NotAttempted,
    Outgoing,
    PermanentFailure,
    SmtpTransport,
)
from postdesk.config.runtime import Runtime
from postdesk.errors import TemporaryFailure
from postdesk.store.db import utcnow
from postdesk.store.models import Event, Outbox


class Relay:
    """Counts connections; refuses RCPT for addresses starting with 'refuse', takes its time
    over each DATA when `delay` is set."""

    def __init__(self) -> None:
        self.sessions: set[int] = set()
        self.received: list[tuple[str, bytes]] = []
        self.delay = 0.0

    async def handle_RCPT(self, server, session, envelope, address, options) -> str:
        if address.startswith("refuse"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        self.sessions.add(id(session))
        await asyncio.sleep(self.delay)
        self.received.append((envelope.rcpt_tos[0], envelope.content))
        return "250 OK"


@pytest.fixture
def relay() -> Iterator[tuple[Relay, int]]:
    handler = Relay()
    with smtp_server(handler) as port:
        yield handler, port


def mail(to: str, n: int) -> Outgoing:
    raw = (f"From: support@example.com\r\nTo: {to}\r\nSubject: batch {n}\r\n"
           f"Message-ID: <batch-{n}@example.com>\r\n\r\nHello {n}\r\n").encode()
    return Outgoing(raw, Envelope("support@example.com", (to,)), f"<batch-{n}@example.com>")


def test_a_relay_takes_a_batch_over_one_connection_and_a_refusal_fails_alone(relay) -> None:
    handler, port = relay
    transport = SmtpTransport(f"smtp://127.0.0.1:{port}", starttls="off", timeout=10)
    results = transport.send_many([mail("ann@customer.example", 1),
                                   mail("refuse@customer.example", 2),
                                   mail("bob@customer.example", 3)])
    assert results[0] == results[2] == f"smtp://127.0.0.1:{port}"
    assert isinstance(results[1], PermanentFailure) and "550" in str(results[1])
    assert [to for to, _ in handler.received] == ["ann@customer.example", "bob@customer.example"]
    assert len(handler.sessions) == 1


def test_a_relay_that_is_down_defers_every_mail_of_the_batch() -> None:
    transport = SmtpTransport(f"smtp://127.0.0.1:{free_port()}", starttls="off", timeout=5)
    results = transport.send_many([mail("ann@customer.example", 1), mail("bob@x.example", 2)])
    assert all(isinstance(result, TemporaryFailure) for result in results)
    assert not any(isinstance(result, NotAttempted) for result in results)  # both were tried


def test_mails_not_begun_by_the_deadline_are_not_offered(relay) -> None:
    handler, port = relay
    transport = SmtpTransport(f"smtp://127.0.0.1:{port}", starttls="off", timeout=10)
    results = transport.send_many([mail("ann@customer.example", 1)], deadline=0.0)
    assert isinstance(results[0], NotAttempted)
    assert handler.received == []


def test_the_maildir_gets_every_mail_of_a_batch_whole(tmp_path: Path) -> None:
    folder = tmp_path / "outgoing"
    results = MaildirTransport(folder).send_many([mail(f"c{n}@x.example", n) for n in range(5)])
    files = sorted(folder.glob("*.eml"))
    assert sorted(results) == [str(path) for path in files] and len(files) == 5
    assert list((folder / ".tmp").iterdir()) == []  # no temporary left
    assert {path.read_bytes().split(b"Subject: ")[1].split(b"\r\n")[0] for path in files} == {
        f"batch {n}".encode() for n in range(5)}


def test_a_folder_that_cannot_be_written_defers_each_mail(tmp_path: Path) -> None:
    blocked = tmp_path / "outgoing"
    blocked.write_text("a file where the folder should be")
    with pytest.raises(OSError):  # the folder itself cannot be made: nothing counts as sent
        MaildirTransport(blocked).send_many([mail("a@x.example", 1)])


# --- through the outbox: claims, marks and events -------------------------------------


def queued(count: int, recipient: Callable[[int], str]) -> list[int]:
    now = utcnow()
    return [Outbox.create(ticket=None, kind="acknowledgment", recipient=recipient(n),
                          message_id=f"<outbox-batch-{n}@example.com>",
                          headers={"from_address": "support@example.com"},
                          raw=mail(recipient(n), 100 + n).raw, next_attempt_at=now,
                          created_at=now).id for n in range(count)]


@pytest.fixture
def relay_desk(migrated: str, make_settings: Callable[..., Any],
               relay: tuple[Relay, int]) -> Runtime:
    _, port = relay
    return Runtime(make_settings(migrated, outgoing_transport=f"smtp://127.0.0.1:{port}",
                                 outgoing_starttls="off"))


def test_the_outbox_sends_a_batch_and_records_each_outcome(relay, relay_desk) -> None:
    handler, _ = relay
    ids = queued(4, lambda n: "refuse@x.example" if n == 2 else f"c{n}@customer.example")
    states = outbox.send_many(ids, relay_desk)
    assert states == {ids[0]: "sent", ids[1]: "sent", ids[2]: "failed", ids[3]: "sent"}
    rows = {row.id: row for row in Outbox.select()}
    assert [rows[i].state for i in ids] == ["sent", "sent", "failed", "sent"]
    assert "550" in rows[ids[2]].last_error and rows[ids[2]].attempts == 1
    assert len(handler.sessions) == 1 and len(handler.received) == 3
    assert outbox.send_many(ids, relay_desk) == dict.fromkeys(ids, "skipped")  # once only
    assert len(handler.received) == 3


def test_what_a_slow_relay_leaves_unsent_goes_back_without_an_attempt(relay, relay_desk) -> None:
    handler, _ = relay
    handler.delay = 0.8
    settings = relay_desk.settings  # a 1 s lease (shorter than the config allows): deadline 0.5 s
    short_lease = Runtime(replace(settings, outgoing=replace(settings.outgoing, send_lease=1)))
    ids = queued(3, lambda n: f"c{n}@customer.example")
    states = outbox.send_many(ids, short_lease)
    assert states == {ids[0]: "sent", ids[1]: "pending", ids[2]: "pending"}
    rows = {row.id: row for row in Outbox.select()}
    assert [(rows[i].state, rows[i].attempts, rows[i].lease_until) for i in ids[1:]] == [
        ("pending", 0, None), ("pending", 0, None)]
    assert rows[ids[1]].next_attempt_at <= utcnow()  # due again at once
    handler.delay = 0.0
    assert outbox.send_many(ids[1:], relay_desk) == {ids[1]: "sent", ids[2]: "sent"}
    assert sorted(to for to, _ in handler.received) == [f"c{n}@customer.example"
                                                       for n in range(3)]


# --- the daemon: a burst's acknowledgments go together ---------------------------------


def test_a_burst_is_acknowledged_over_fewer_connections_than_mails(
        relay, make_settings, sqlite_url, start_daemon) -> None:
    handler, port = relay
    daemon = start_daemon(make_settings(sqlite_url, outgoing_transport=f"smtp://127.0.0.1:{port}",
                                        outgoing_starttls="off", broker_worker_processes=1))
    host, smtp_port = daemon.address
    count = 40
    with smtplib.SMTP(host, smtp_port, timeout=10) as client:
        for n in range(count):
            client.send_message(customer_mail(subject=f"Burst {n}",
                                              sender=f"c{n}@customer.example",
                                              message_id=f"<burst-{n}@customer.example>"))
    assert wait_for(lambda: Outbox.select().where(Outbox.state == "sent").count() == count,
                    timeout=60)
    assert sorted(to for to, _ in handler.received) == sorted(
        f"c{n}@customer.example" for n in range(count))
    assert len(handler.sessions) < count
    assert Event.select().where(Event.kind == "mail.sent").count() == count
