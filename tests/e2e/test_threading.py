"""Follow-ups find their ticket; history is stripped; closed tickets reopen or link (issue 3)."""

from __future__ import annotations

import smtplib
from datetime import timedelta

from mailbuild import customer_mail, processed, read_outgoing, wait_for
from mailbuild import send_mail as send
from postdesk.store.db import database, utcnow
from postdesk.store.models import Inbound, Link, Message, Ticket
from postdesk.tickets import service


def open_first_ticket(daemon) -> Ticket:
    send(daemon, customer_mail(cc="Bob <bob@customer.example>"))
    wait_for(lambda: read_outgoing(daemon.outgoing))
    return Ticket.get()


QUOTED_REPLY = """Still broken, see the photo.

On Sun, 22 Nov 2026 at 12:04, Example Support <support@example.com> wrote:
> Hello Zoë Kowalska,
> we have received your request.
"""


def test_participant_reply_by_subject_tag_joins_with_new_text_only(make_settings, sqlite_url,
                                                                    start_daemon):
    daemon = start_daemon(make_settings(sqlite_url))
    ticket = open_first_ticket(daemon)
    reply = customer_mail(sender="Bob <bob@customer.example>",
                          subject=f"AW: [#{ticket.id}] Printer on fire", body=QUOTED_REPLY,
                          message_id="<bob-1@customer.example>")
    send(daemon, reply)
    wait_for(processed(2))
    assert Ticket.select().count() == 1
    stored = Message.get(Message.message_id == "bob-1@customer.example")
    assert stored.ticket_id == ticket.id
    assert stored.text == "Still broken, see the photo."
    assert "we have received your request" in stored.body  # the full body is kept
    assert len(read_outgoing(daemon.outgoing)) == 1  # follow-ups are not acknowledged


def test_reply_to_our_message_id_joins_even_from_a_new_address(make_settings, sqlite_url,
                                                                start_daemon):
    daemon = start_daemon(make_settings(sqlite_url))
    open_first_ticket(daemon)
    [ack] = read_outgoing(daemon.outgoing)
    reply = customer_mail(sender="zoe.kowalska@home.example", subject="Re: anything",
                          message_id="<home-1@home.example>",
                          headers={"In-Reply-To": ack["Message-ID"],
                                   "References": ack["Message-ID"]})
    send(daemon, reply)
    wait_for(processed(2))
    assert Ticket.select().count() == 1
    assert Message.select().where(Message.ticket == Ticket.get()).count() == 2


def test_follow_up_reopens_a_recently_resolved_ticket(make_settings, sqlite_url, start_daemon):
    daemon = start_daemon(make_settings(sqlite_url))
    ticket = open_first_ticket(daemon)
    with database.atomic():
        service.set_status(ticket, "resolved", actor="agent@example.com", now=utcnow())
    send(daemon, customer_mail(subject=f"Re: [#{ticket.id}] Printer on fire",
                               body="It broke again.\n", message_id="<again@customer.example>"))
    wait_for(processed(2))
    assert Ticket.select().count() == 1
    assert Ticket.get_by_id(ticket.id).status == "in_progress"


def test_follow_up_after_the_reopen_window_opens_a_linked_ticket(make_settings, sqlite_url,
                                                                  start_daemon):
    daemon = start_daemon(make_settings(sqlite_url, tickets_reopen_days=7))
    ticket = open_first_ticket(daemon)
    with database.atomic():
        service.set_status(ticket, "closed", actor="agent@example.com", now=utcnow())
        Ticket.update(updated_at=utcnow() - timedelta(days=8)).where(
            Ticket.id == ticket.id).execute()
    send(daemon, customer_mail(subject=f"Re: [#{ticket.id}] Printer on fire",
                               body="It broke again.\n", message_id="<later@customer.example>"))
    wait_for(processed(2))
    assert Ticket.get_by_id(ticket.id).status == "closed"
    newer = Ticket.select().where(Ticket.id != ticket.id).get()
    link = Link.get()
    assert (link.ticket_id, link.other_id, link.kind) == (newer.id, ticket.id, "follow_up_of")
    wait_for(lambda: len(read_outgoing(daemon.outgoing)) == 2)  # the new ticket is acknowledged


def test_identical_bytes_without_message_id_are_stored_once(make_settings, sqlite_url,
                                                             start_daemon):
    daemon = start_daemon(make_settings(sqlite_url))
    raw = customer_mail(message_id=None).as_bytes()
    host, port = daemon.address
    with smtplib.SMTP(host, port, timeout=10) as client:
        client.sendmail("zoe@customer.example", ["support@example.com"], raw)
    wait_for(processed(1))
    with smtplib.SMTP(host, port, timeout=10) as client:
        client.sendmail("zoe@customer.example", ["support@example.com"], raw)
    wait_for(processed(2))
    assert Ticket.select().count() == 1
    assert sorted(r.state for r in Inbound.select()) == ["done", "duplicate"]
