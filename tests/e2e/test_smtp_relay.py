"""Outgoing mail through a real SMTP relay on 127.0.0.1 (a second aiosmtpd server)."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator

import pytest

from conftest import smtp_server
from mailbuild import customer_mail, wait_for
from postdesk.store.models import Event, Outbox


class Relay:
    """Records what it receives; answers each DATA with `reply`."""

    def __init__(self, reply: str = "250 OK") -> None:
        self.reply = reply
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return self.reply


@pytest.fixture
def relay() -> Iterator[tuple[Relay, int]]:
    handler = Relay()
    with smtp_server(handler) as port:
        yield handler, port


def send_customer_mail(daemon) -> None:
    host, port = daemon.address
    with smtplib.SMTP(host, port, timeout=10) as client:
        client.send_message(customer_mail())


def test_acknowledgment_goes_through_the_relay(relay, make_settings, sqlite_url, start_daemon):
    handler, port = relay
    daemon = start_daemon(make_settings(sqlite_url, outgoing_transport=f"smtp://127.0.0.1:{port}"))
    send_customer_mail(daemon)
    wait_for(lambda: handler.received)
    [(mail_from, rcpts, content)] = handler.received
    # VERP (on by default): the return path names the row and the recipient
    assert mail_from.startswith("support+bounce-1-") and mail_from.endswith("@example.com")
    assert rcpts == ["zoe@customer.example"]
    assert b"Subject: [#1] Printer on fire" in content
    assert wait_for(lambda: Outbox.get().state == "sent")


def test_required_starttls_is_never_downgraded(relay, make_settings, sqlite_url, start_daemon):
    handler, port = relay
    daemon = start_daemon(make_settings(sqlite_url, outgoing_transport=f"smtp://127.0.0.1:{port}",
                                        outgoing_starttls="required"))
    send_customer_mail(daemon)
    row = wait_for(lambda: Outbox.get_or_none((Outbox.attempts >= 1) & (Outbox.state == "pending")))
    assert "STARTTLS" in row.last_error
    assert row.next_attempt_at > row.created_at
    assert handler.received == []


def test_permanent_refusal_is_recorded_on_row_and_ticket(relay, make_settings, sqlite_url,
                                                         start_daemon):
    handler, port = relay
    handler.reply = "554 5.7.1 Rejected for policy reasons"
    daemon = start_daemon(make_settings(sqlite_url, outgoing_transport=f"smtp://127.0.0.1:{port}"))
    send_customer_mail(daemon)
    row = wait_for(lambda: Outbox.get_or_none(Outbox.state == "failed"))
    assert "554" in row.last_error and "policy" in row.last_error
    event = Event.get(Event.kind == "mail.failed")
    assert event.ticket_id == row.ticket_id and "554" in event.data["error"]


def test_temporary_refusal_backs_off(relay, make_settings, sqlite_url, start_daemon):
    handler, port = relay
    handler.reply = "451 4.3.0 Try later"
    daemon = start_daemon(make_settings(sqlite_url, outgoing_transport=f"smtp://127.0.0.1:{port}"))
    send_customer_mail(daemon)
    row = wait_for(lambda: Outbox.get_or_none((Outbox.state == "pending") & (Outbox.attempts == 1)))
    assert "451" in row.last_error
    assert (row.next_attempt_at - row.created_at).total_seconds() >= 25
