"""VERP over real SMTP: each recipient's mail leaves under a signed return path of its own,
and a bounce to it is attributed to that recipient and ticket even when it says nothing
a parser can read; a forged return path does nothing (issue 27)."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from conftest import smtp_server
from mailbuild import customer_mail, wait_for
from postdesk.store import outbox_admin
from postdesk.store.db import utcnow
from postdesk.store.models import Customer, Event, Inbound, Message, Outbox


class Relay:
    """Records the envelope and bytes of each mail it takes."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def relay() -> Iterator[tuple[Relay, int]]:
    handler = Relay()
    with smtp_server(handler) as port:
        yield handler, port


def deliver(daemon, mail_from: str, rcpt: str, raw: bytes) -> None:
    host, port = daemon.address
    with smtplib.SMTP(host, port, timeout=10) as client:
        client.sendmail(mail_from, [rcpt], raw)


def free_text_bounce(to: str) -> bytes:
    """A bounce as some servers write it: no DSN part, no address of the recipient, no
    Message-ID of the mail that failed; only the envelope says what it is about."""
    return (f"From: Mail Delivery Subsystem <MAILER-DAEMON@mx.customer.example>\r\n"
            f"To: {to}\r\nSubject: Returned mail\r\n"
            "Message-ID: <bounce-1@mx.customer.example>\r\n\r\n"
            "Sorry, we were unable to deliver your message. The account is closed.\r\n"
            ).encode()


def acknowledged(daemon, handler: Relay) -> tuple[str, Outbox]:
    deliver(daemon, "zoe@customer.example", "support@example.com",
            customer_mail().as_bytes())
    wait_for(lambda: handler.received)
    [(return_path, rcpts, _)] = handler.received
    assert rcpts == ["zoe@customer.example"]
    return return_path, wait_for(lambda: Outbox.get_or_none(Outbox.state == "sent"))


def test_a_free_text_bounce_to_the_return_path_marks_that_recipient_on_that_ticket(
        relay, make_settings, sqlite_url, start_daemon) -> None:
    handler, port = relay
    daemon = start_daemon(make_settings(sqlite_url,
                                        outgoing_transport=f"smtp://127.0.0.1:{port}"))
    return_path, row = acknowledged(daemon, handler)
    assert return_path.startswith(f"support+bounce-{row.id}-")
    assert return_path.endswith("@example.com")

    deliver(daemon, "", return_path, free_text_bounce(return_path))
    bounced = wait_for(lambda: Inbound.get_or_none((Inbound.id == 2)
                                                   & (Inbound.state != "pending")))
    assert bounced.state == "ignored" and bounced.ticket_id == row.ticket_id
    assert Customer.get(Customer.email == "zoe@customer.example").bouncing
    event = Event.get(Event.kind == "mail.bounced")
    assert event.ticket_id == row.ticket_id
    assert event.data["recipients"][0]["email"] == "zoe@customer.example"
    note = Message.get(Message.inbound == 2)
    assert note.visibility == "internal" and "zoe@customer.example" in note.text
    assert len(handler.received) == 1  # nobody is told about a bounce


def test_a_forged_return_path_marks_nobody(relay, make_settings, sqlite_url,
                                           start_daemon) -> None:
    handler, port = relay
    daemon = start_daemon(make_settings(sqlite_url,
                                        outgoing_transport=f"smtp://127.0.0.1:{port}"))
    return_path, _ = acknowledged(daemon, handler)
    local, _, domain = return_path.rpartition("@")
    forged = f"{local[:-4]}{'aaaa' if not local.endswith('aaaa') else 'bbbb'}@{domain}"
    deliver(daemon, "", forged, free_text_bounce(forged))
    wait_for(lambda: Inbound.get_or_none((Inbound.id == 2) & (Inbound.state != "pending")))
    assert not Customer.get(Customer.email == "zoe@customer.example").bouncing
    assert not Event.select().where(Event.kind == "mail.bounced").exists()


def test_verp_off_keeps_the_plain_return_path(relay, make_settings, sqlite_url,
                                              start_daemon) -> None:
    handler, port = relay
    daemon = start_daemon(make_settings(sqlite_url, outgoing_verp="false",
                                        outgoing_transport=f"smtp://127.0.0.1:{port}"))
    return_path, _ = acknowledged(daemon, handler)
    assert return_path == "support@example.com"


class FlakyRelay(Relay):
    """Defers `flaky` once at RCPT (451), then takes it; takes everyone else at once."""

    def __init__(self, flaky: str) -> None:
        super().__init__()
        self.flaky, self.deferred = flaky, False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address == self.flaky and not self.deferred:
            self.deferred = True
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"


TEAMS = """teams:
  - name: support
    agents:
      - {email: agent@example.com, name: "Agent"}
"""


def test_a_retry_after_one_recipient_was_deferred_reaches_only_that_recipient(
        make_settings, sqlite_url, start_daemon) -> None:
    # with VERP each recipient has a transaction of its own; when one is deferred the
    # row is retried, and the customer whose transaction went must not get it twice
    handler = FlakyRelay("bob@customer.example")
    with smtp_server(handler) as port:
        settings = make_settings(sqlite_url, outgoing_transport=f"smtp://127.0.0.1:{port}")
        (Path(settings.path(settings.paths.rules)) / "teams.yaml").write_text(TEAMS)
        daemon = start_daemon(settings)
        deliver(daemon, "zoe@customer.example", "support@example.com",
                customer_mail(cc="Bob <bob@customer.example>").as_bytes())
        notification = wait_for(lambda: next(
            (raw for _, rcpts, raw in handler.received if rcpts == ["agent@example.com"]), None))
        parsed = BytesParser(policy=policy.default).parsebytes(notification)
        reply_to = parsed["Reply-To"].addresses[0].addr_spec
        reply = customer_mail(sender="agent@example.com", to=reply_to,
                              subject="Re: [#1] Printer on fire",
                              body="Please send the serial number.",
                              message_id="<agent-1@example.com>")
        deliver(daemon, "agent@example.com", reply_to, reply.as_bytes())

        def answers_to(address: str) -> list[bytes]:
            return [raw for _, rcpts, raw in handler.received
                    if rcpts == [address] and b"serial number" in raw]

        wait_for(lambda: answers_to("zoe@customer.example"))
        row = wait_for(lambda: Outbox.get_or_none((Outbox.state == "pending")
                                                  & (Outbox.attempts == 1)))
        assert row.headers["delivered_to"] == ["zoe@customer.example"]
        outbox_admin.retry([row.id], utcnow())  # what `postdesk outbox retry ID` does
        wait_for(lambda: answers_to("bob@customer.example"))
        wait_for(lambda: Outbox.get_by_id(row.id).state == "sent")
        assert len(answers_to("zoe@customer.example")) == 1
        assert len(answers_to("bob@customer.example")) == 1
