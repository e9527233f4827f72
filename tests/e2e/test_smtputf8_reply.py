"""A customer whose address is not ASCII gets an answer: with SMTPUTF8 when the relay
offers it; otherwise the ticket says why no mail could be sent, and the desk stays
healthy.

The defect: the acknowledgment to zoë@customer.example failed with a UnicodeEncodeError
traceback in compose, and the failed row made the desk unhealthy.
"""

from __future__ import annotations

import smtplib
from collections.abc import Iterator

import pytest

from conftest import smtp_server
from mailbuild import wait_for
from postdesk.serve import health
from postdesk.store.db import utcnow
from postdesk.store.models import Event, Outbox

CUSTOMER = "zoë@bücher.example"


class Relay:
    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def start_relay(utf8: bool) -> Iterator[tuple[Relay, int]]:
    handler = Relay()
    with smtp_server(handler, enable_SMTPUTF8=utf8) as port:
        yield handler, port


@pytest.fixture
def utf8_relay() -> Iterator[tuple[Relay, int]]:
    yield from start_relay(True)


@pytest.fixture
def ascii_relay() -> Iterator[tuple[Relay, int]]:
    yield from start_relay(False)


def write_in(daemon) -> None:
    host, port = daemon.address
    # as an SMTPUTF8 client writes it (RFC 6532): the address in UTF-8, not encoded-words
    raw = (f"From: Zoë <{CUSTOMER}>\r\nTo: support@example.com\r\nSubject: Printer on fire\r\n"
           "Message-ID: <utf8@customer.example>\r\n\r\nmy printer is on fire\r\n").encode()
    with smtplib.SMTP(host, port, timeout=10) as client:
        client.sendmail(CUSTOMER, ["support@example.com"], raw, mail_options=["SMTPUTF8"])


def test_the_answer_goes_with_smtputf8(utf8_relay, make_settings, sqlite_url,
                                       start_daemon) -> None:
    handler, port = utf8_relay
    daemon = start_daemon(make_settings(sqlite_url, outgoing_transport=f"smtp://127.0.0.1:{port}",
                                        outgoing_starttls="off"))
    write_in(daemon)
    wait_for(lambda: handler.received, timeout=30)
    [(_, rcpts, content)] = handler.received
    assert rcpts == ["zoë@xn--bcher-kva.example"]
    assert "To: zoë@xn--bcher-kva.example".encode() in content
    assert wait_for(lambda: Outbox.get().state == "sent")


def test_without_smtputf8_the_ticket_says_why_and_the_desk_stays_healthy(
        ascii_relay, make_settings, sqlite_url, start_daemon) -> None:
    handler, port = ascii_relay
    settings = make_settings(sqlite_url, outgoing_transport=f"smtp://127.0.0.1:{port}",
                             outgoing_starttls="off")
    daemon = start_daemon(settings)
    write_in(daemon)
    row = wait_for(lambda: Outbox.get_or_none(Outbox.state == "undeliverable"), timeout=30)
    assert "SMTPUTF8" in row.last_error and "zoë@" in row.last_error
    event = Event.get(Event.kind == "mail.failed")
    assert event.ticket_id == row.ticket_id and "SMTPUTF8" in event.data["error"]
    assert handler.received == []
    assert health.check_outbox(settings, utcnow()).ok
