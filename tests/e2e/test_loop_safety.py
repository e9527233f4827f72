"""Loop, bounce and auto-reply safety over real SMTP (issue 4)."""

from __future__ import annotations

import smtplib
import threading
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from aiosmtpd.controller import Controller

from conftest import free_port
from mailbuild import customer_mail, processed, read_outgoing, wait_for
from mailbuild import send_mail as send
from postdesk.store.models import Customer, Event, Inbound, Message, Outbox, Ticket


@pytest.mark.parametrize("header", [
    ("Auto-Submitted", "auto-replied"),
    ("X-Autoreply", "yes"),
    ("Precedence", "bulk"),
    ("List-Id", "<news.example.org>"),
])
def test_automatic_or_bulk_mail_gets_no_acknowledgment(header, make_settings, sqlite_url,
                                                        start_daemon):
    daemon = start_daemon(make_settings(sqlite_url))
    send(daemon, customer_mail(headers=dict([header])))
    wait_for(processed(1))
    assert read_outgoing(daemon.outgoing) == []
    row = Inbound.get()
    assert header[0] in row.reason
    if header[0] in ("Auto-Submitted", "X-Autoreply"):
        assert row.state == "ignored" and Ticket.select().count() == 0
    else:  # bulk mail may be a real request: a ticket, but no automatic answer
        assert Ticket.select().count() == 1
        assert Event.get(Event.kind == "autoreply.suppressed").data["reason"] == row.reason


def test_empty_return_path_gets_no_acknowledgment(make_settings, sqlite_url, start_daemon):
    daemon = start_daemon(make_settings(sqlite_url))
    send(daemon, customer_mail(), sender="")
    wait_for(processed(1))
    assert Ticket.select().count() == 1
    assert read_outgoing(daemon.outgoing) == []


def test_our_own_mail_coming_back_is_ignored(make_settings, sqlite_url, start_daemon):
    daemon = start_daemon(make_settings(sqlite_url))
    send(daemon, customer_mail())
    wait_for(lambda: read_outgoing(daemon.outgoing))
    [raw] = [path.read_bytes() for path in daemon.outgoing.glob("*.eml")]
    host, port = daemon.address
    with smtplib.SMTP(host, port, timeout=10) as client:  # e.g. a forwarding loop
        client.sendmail("support@example.com", ["support@example.com"], raw)
    wait_for(processed(2))
    looped = Inbound.select().order_by(Inbound.id.desc()).get()
    assert looped.state == "ignored" and "loop" in looped.reason.lower()
    assert Ticket.select().count() == 1 and len(read_outgoing(daemon.outgoing)) == 1


def dsn_for(ack: EmailMessage, failed: str, status: str = "5.1.1") -> bytes:
    """A Postfix-style RFC 3464 delivery status notification for one of our mails."""
    text = f"""From: Mail Delivery System <MAILER-DAEMON@mx.customer.example>
To: support@example.com
Subject: Undelivered Mail Returned to Sender
Message-ID: {make_msgid(domain="mx.customer.example")}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BOUNDARY"

--BOUNDARY
Content-Type: text/plain

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

--BOUNDARY
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.customer.example

Final-Recipient: rfc822; {failed}
Action: failed
Status: {status}
Diagnostic-Code: smtp; 550 {status} <{failed}>: Recipient address rejected: User unknown

--BOUNDARY
Content-Type: text/rfc822-headers

Message-ID: {ack["Message-ID"]}
From: support@example.com
To: {failed}
Subject: {ack["Subject"]}

--BOUNDARY--
"""
    return text.replace("\n", "\r\n").encode()


def test_bounce_marks_the_address_and_becomes_an_internal_note(make_settings, sqlite_url,
                                                                 start_daemon):
    daemon = start_daemon(make_settings(sqlite_url))
    send(daemon, customer_mail())
    [ack] = wait_for(lambda: read_outgoing(daemon.outgoing))
    host, port = daemon.address
    with smtplib.SMTP(host, port, timeout=10) as client:
        client.sendmail("", ["support@example.com"], dsn_for(ack, "zoe@customer.example"))
    wait_for(processed(2))
    assert Ticket.select().count() == 1
    ticket = Ticket.get()
    note = Message.get(Message.visibility == "internal")
    assert note.ticket_id == ticket.id and "zoe@customer.example" in note.text
    assert "5.1.1" in note.text
    assert Customer.get(Customer.email == "zoe@customer.example").bouncing
    assert Event.get(Event.kind == "mail.bounced").data["recipients"][0]["hard"] is True
    assert ticket.status == "new"
    assert len(read_outgoing(daemon.outgoing)) == 1  # nobody was notified

    from postdesk.tickets.views import ticket_detail, ticket_summaries

    assert ticket_detail(ticket.id)["requester"]["bouncing"] is True
    assert ticket_summaries()[0]["requester"]["bouncing"] is True


def test_out_of_office_reply_changes_nothing(make_settings, sqlite_url, start_daemon):
    daemon = start_daemon(make_settings(sqlite_url))
    send(daemon, customer_mail())
    [ack] = wait_for(lambda: read_outgoing(daemon.outgoing))
    ooo = customer_mail(subject=f"Automatic reply: {ack['Subject']}",
                        body="I am out of the office until Monday.\n",
                        message_id="<ooo@customer.example>",
                        headers={"Auto-Submitted": "auto-replied",
                                 "In-Reply-To": ack["Message-ID"]})
    send(daemon, ooo)
    wait_for(processed(2))
    ticket = Ticket.get()
    assert ticket.status == "new"
    note = Message.get(Message.message_id == "ooo@customer.example")
    assert note.visibility == "internal"
    assert len(read_outgoing(daemon.outgoing)) == 1


class StubbornResponder:
    """A relay that answers every mail it gets with a fresh mail that does not say it is
    automatic and does not refer to what it answers: the worst auto-responder there is."""

    def __init__(self, desk_port: int) -> None:
        self.desk_port = desk_port
        self.received = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.lock:
            self.received += 1
            number = self.received
        threading.Thread(target=self._answer, args=(envelope.rcpt_tos[0], number)).start()
        return "250 OK"

    def _answer(self, address: str, number: int) -> None:
        # (a subject that does not say "automatic" either: "Thanks for your mail" does)
        reply = customer_mail(sender=address, subject=f"About your mail {number}",
                              body="We got your message.\n",
                              message_id=f"<pong-{number}@customer.example>")
        with smtplib.SMTP("127.0.0.1", self.desk_port, timeout=10) as client:
            client.send_message(reply)


def test_ping_pong_with_an_auto_responder_stops_at_the_rate_limit(make_settings, sqlite_url,
                                                                   start_daemon):
    relay_port = free_port()
    settings = make_settings(sqlite_url, outgoing_transport=f"smtp://127.0.0.1:{relay_port}",
                             limits_auto_replies_per_address=5)
    responder = StubbornResponder(int(settings.smtp.listen.rsplit(":", 1)[1]))
    relay = Controller(responder, hostname="127.0.0.1", port=relay_port)
    relay.start()
    try:
        daemon = start_daemon(settings)
        send(daemon, customer_mail())
        # the storm ends by itself: 5 acknowledgments, 5 answers, one ticket held back
        wait_for(lambda: Event.select().where(Event.kind == "autoreply.held_back").count() == 1,
                 timeout=30)
        wait_for(processed(6))
        import time

        time.sleep(1.0)  # would any further mail still go out?
        assert responder.received == 5
        assert Outbox.select().count() == 5
        assert Ticket.select().count() == 6
        held = Event.get(Event.kind == "autoreply.held_back")
        assert "rate limit" in held.data["reason"] and "zoe@customer.example" in held.data["reason"]
    finally:
        relay.stop()
