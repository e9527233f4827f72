"""Issue 25 points 2, 4, 5 and issue 23 "Senders", over real SMTP: broken mail from the
internet's worst senders still becomes the right ticket, and nobody answers what cannot be."""

from __future__ import annotations

import smtplib

from mailbuild import read_outgoing, wait_for
from postdesk.store.models import Event, Inbound, Ticket


def send_raw(daemon, raw: bytes, *, sender: str = "zoe@customer.example") -> None:
    host, port = daemon.address
    with smtplib.SMTP(host, port, timeout=10) as client:
        assert client.sendmail(sender, ["support@example.com"], raw) == {}


def mail(head: bytes, body: bytes = b"My printer is on fire.\r\n") -> bytes:
    return (head.replace(b"\n", b"\r\n") + b"\r\nTo: support@example.com\r\n"
            b"Message-ID: <m1@customer.example>\r\n\r\n" + body)


def settled(state: str = "done") -> Inbound:
    return wait_for(lambda: Inbound.get_or_none(Inbound.state == state))


def test_a_from_without_angle_brackets_is_answered_at_its_address(
        make_settings, sqlite_url, start_daemon) -> None:
    daemon = start_daemon(make_settings(sqlite_url))
    send_raw(daemon, mail(b"From: Big Bug bb@bug.com\nSubject: printer"))

    [ack] = wait_for(lambda: read_outgoing(daemon.outgoing))
    ticket = Ticket.get()
    assert (ticket.requester.email, ticket.requester.name) == ("bb@bug.com", "Big Bug")
    assert ack["To"].addresses[0].addr_spec == "bb@bug.com"


def test_an_idn_domain_is_written_in_a_labels(make_settings, sqlite_url, start_daemon) -> None:
    daemon = start_daemon(make_settings(sqlite_url))
    send_raw(daemon, mail('From: "Anna" <anna@bücher.example>\nSubject: printer'.encode()))

    [ack] = wait_for(lambda: read_outgoing(daemon.outgoing))
    assert Ticket.get().requester.email == "anna@xn--bcher-kva.example"
    assert ack["To"].addresses[0].addr_spec == "anna@xn--bcher-kva.example"


def test_no_from_but_reply_to_opens_the_ticket_for_reply_to(
        make_settings, sqlite_url, start_daemon) -> None:
    daemon = start_daemon(make_settings(sqlite_url))
    send_raw(daemon, mail(b'From: "name" <>\nReply-To: Rita <rita@customer.example>\n'
                          b"Subject: printer"))

    settled()
    assert Ticket.get().requester.email == "rita@customer.example"


def test_a_mail_with_no_sender_at_all_is_ticketed_unanswered_and_says_why(
        make_settings, sqlite_url, start_daemon) -> None:
    daemon = start_daemon(make_settings(sqlite_url))
    send_raw(daemon, mail(b"From: foo\nSubject: who am I"), sender="")

    row = settled()
    ticket = Ticket.get()
    assert ticket.subject == "who am I"
    assert ticket.requester.email == "unknown-sender@postdesk.invalid"
    assert "no sender address" in row.reason
    [suppressed] = Event.select().where(Event.kind == "autoreply.suppressed")
    assert "no sender address" in suppressed.data["reason"]
    assert read_outgoing(daemon.outgoing) == []


def test_a_from_without_address_falls_back_to_the_envelope(
        make_settings, sqlite_url, start_daemon) -> None:
    daemon = start_daemon(make_settings(sqlite_url))
    send_raw(daemon, mail(b"From: foo\nSubject: printer"), sender="zoe@customer.example")

    [ack] = wait_for(lambda: read_outgoing(daemon.outgoing))
    assert Ticket.get().requester.email == "zoe@customer.example"
    assert ack["To"].addresses[0].addr_spec == "zoe@customer.example"


def test_a_malformed_header_line_loses_no_header(make_settings, sqlite_url, start_daemon) -> None:
    daemon = start_daemon(make_settings(sqlite_url))
    send_raw(daemon, mail(b"From: zoe@customer.example\nquite Delivered-To: support@example.com\n"
                          b"Subject: printer on fire"))

    settled()
    ticket = Ticket.get()
    assert ticket.subject == "printer on fire"
    assert ticket.requester.email == "zoe@customer.example"
    assert [m.text for m in ticket.messages] == ["My printer is on fire.\n"]


def test_a_broken_charset_and_8bit_subject_keep_text_and_headers(
        make_settings, sqlite_url, start_daemon) -> None:
    daemon = start_daemon(make_settings(sqlite_url))
    send_raw(daemon, mail(b"From: zoe@customer.example\nSubject: caf\xe9 printer\n"
                          b'Content-Type: text/plain; charset="utf\xff8"'))

    settled()
    ticket = Ticket.get()
    assert ticket.subject == "café printer"
    assert [m.text for m in ticket.messages] == ["My printer is on fire.\n"]


def test_a_bounce_with_a_nul_charset_opens_no_ticket(
        make_settings, sqlite_url, start_daemon) -> None:
    daemon = start_daemon(make_settings(sqlite_url))
    bounce = (b"From: MAILER-DAEMON@mx.customer.example\r\nTo: support@example.com\r\n"
              b"Subject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n"
              b"Content-Type: multipart/report; report-type=delivery-status; boundary=XX\r\n\r\n"
              b"--XX\r\nContent-Type: text/plain; charset=\x00\r\n\r\n"
              b"Your mail to bob@customer.example could not be delivered\r\n"
              b"--XX\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n"
              b"\r\nFinal-Recipient: rfc822; bob@customer.example\r\nAction: failed\r\n"
              b"Status: 5.1.1\r\n\r\n--XX--\r\n")
    send_raw(daemon, bounce, sender="")

    wait_for(lambda: Inbound.get_or_none(Inbound.state != "pending"))
    assert Ticket.select().count() == 0
    assert read_outgoing(daemon.outgoing) == []
