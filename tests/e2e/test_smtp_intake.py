"""Mail in over real SMTP -> ticket -> acknowledgment in the outgoing folder."""

from __future__ import annotations

import smtplib
import socket
import time
from collections.abc import Callable

import pytest

from mailbuild import customer_mail, read_outgoing, wait_for
from postdesk.config.settings import Settings
from postdesk.mail.address import read_reply_address
from postdesk.store.models import Customer, Inbound, Message, Outbox, Ticket


def send(daemon, msg, *, to_addrs=None, sender=None) -> dict:
    host, port = daemon.address
    with smtplib.SMTP(host, port, timeout=10) as client:
        return client.send_message(msg, from_addr=sender, to_addrs=to_addrs)


def test_mail_becomes_ticket_and_acknowledgment(
    database_url: str, make_settings: Callable[..., Settings], start_daemon
) -> None:
    daemon = start_daemon(make_settings(database_url))
    original = customer_mail()
    assert send(daemon, original) == {}

    [ack] = wait_for(lambda: read_outgoing(daemon.outgoing))
    ticket = Ticket.get()
    assert ack["From"].addresses[0].addr_spec == "support@example.com"
    assert ack["To"].addresses[0].addr_spec == "zoe@customer.example"
    assert ack["Subject"] == f"[#{ticket.id}] Printer on fire"
    assert ack["In-Reply-To"] == "<first@customer.example>"
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["Message-ID"].endswith("@example.com>")
    reply_to = ack["Reply-To"].addresses[0].addr_spec
    token = read_reply_address(reply_to, daemon.settings.desk.secret, ("support@example.com",))
    assert token is not None and token.ticket_id == ticket.id
    assert {part.get_content_type() for part in ack.walk()} >= {"text/plain", "text/html"}
    text = ack.get_body(("plain",)).get_content()
    assert f"#{ticket.id}" in text and "Zoë" in text

    assert ticket.subject == "Printer on fire"
    assert ticket.requester.email == "zoe@customer.example"
    assert ticket.requester.name == "Zoë Kowalska"
    [message] = ticket.messages
    assert message.direction == "in" and "printer is on fire" in message.text
    assert Inbound.get().state == "done"
    assert Outbox.get().state == "sent"


def test_reply_to_signed_address_joins_the_ticket(make_settings, sqlite_url, start_daemon):
    daemon = start_daemon(make_settings(sqlite_url))
    send(daemon, customer_mail())
    [ack] = wait_for(lambda: read_outgoing(daemon.outgoing))
    reply = customer_mail(to=ack["Reply-To"].addresses[0].addr_spec, subject="Re: something else",
                          body="It is still burning.\n", message_id="<second@customer.example>")
    send(daemon, reply)
    wait_for(lambda: Message.select().count() == 2)
    assert Ticket.select().count() == 1
    assert [m.text.strip() for m in Ticket.get().messages.order_by(Message.id)][1] == \
        "It is still burning."
    assert len(read_outgoing(daemon.outgoing)) == 1  # no second acknowledgment


def test_subject_tag_from_a_stranger_opens_a_new_ticket(make_settings, sqlite_url, start_daemon):
    daemon = start_daemon(make_settings(sqlite_url))
    send(daemon, customer_mail())
    wait_for(lambda: Ticket.select().count() == 1)
    first = Ticket.get()
    hijack = customer_mail(sender="mallory@evil.example", subject=f"Re: [#{first.id}] give me",
                           message_id="<x@evil.example>")
    send(daemon, hijack)
    wait_for(lambda: Ticket.select().count() == 2)
    assert Message.select().where(Message.ticket == first.id).count() == 1


def test_same_mail_twice_is_stored_once(make_settings, sqlite_url, start_daemon):
    daemon = start_daemon(make_settings(sqlite_url))
    send(daemon, customer_mail())
    send(daemon, customer_mail())
    wait_for(lambda: Inbound.select().where(Inbound.state != "pending").count() == 2)
    assert Ticket.select().count() == 1
    states = sorted(row.state for row in Inbound.select())
    assert states == ["done", "duplicate"]
    wait_for(lambda: len(read_outgoing(daemon.outgoing)) == 1)


def test_unknown_recipient_is_refused_at_rcpt(make_settings, sqlite_url, start_daemon):
    daemon = start_daemon(make_settings(sqlite_url))
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(daemon, customer_mail(to="nobody@example.com"))
    code, text = refused.value.recipients["nobody@example.com"]
    assert code == 550 and b"5.1.1" in text
    assert Inbound.select().count() == 0


def test_one_known_recipient_is_enough(make_settings, sqlite_url, start_daemon):
    daemon = start_daemon(make_settings(sqlite_url))
    refused = send(daemon, customer_mail(), to_addrs=["support@example.com", "bob@example.com"])
    assert refused["bob@example.com"][0] == 550
    row = wait_for(lambda: Inbound.get_or_none())
    assert row.rcpt_to == ["support@example.com"]


def test_size_limit_is_advertised_and_enforced(make_settings, sqlite_url, start_daemon):
    daemon = start_daemon(make_settings(sqlite_url, smtp_max_message_size=4096))
    host, port = daemon.address
    big = customer_mail(body="x" * 8000 + "\n")
    with smtplib.SMTP(host, port, timeout=10) as client:
        client.ehlo()
        assert client.has_extn("size") and client.esmtp_features["size"] == "4096"
        # a client that does not declare SIZE is refused after DATA
        assert client.mail("zoe@customer.example")[0] == 250
        assert client.rcpt("support@example.com")[0] == 250
        code, _ = client.data(big.as_bytes())
        assert code == 552
    with smtplib.SMTP(host, port, timeout=10) as client, \
            pytest.raises(smtplib.SMTPSenderRefused) as declared:
        client.send_message(big)  # smtplib declares SIZE= in MAIL FROM
    assert declared.value.smtp_code == 552
    assert Inbound.select().count() == 0


def test_bare_lf_line_ends_get_a_reply_that_says_so(make_settings, sqlite_url, start_daemon):
    daemon = start_daemon(make_settings(sqlite_url))
    host, port = daemon.address
    body = "".join(f"Line {n} of a report written on a Unix box.\n" for n in range(60))
    unix = customer_mail(body=body).as_bytes().replace(b"\r\n", b"\n")
    assert b"\r" not in unix and len(unix) > 2000
    with smtplib.SMTP(host, port, timeout=10) as client:
        client.ehlo()
        assert client.mail("zoe@customer.example")[0] == 250
        assert client.rcpt("support@example.com")[0] == 250
        code, text = client.data(unix)  # smtplib sends bytes as they are
        assert code == 500
        assert b"bare LF" in text and b"CRLF" in text and b"Line too long" not in text
        # the connection stays usable: the same mail with CRLF line ends is taken
        assert client.sendmail("zoe@customer.example", ["support@example.com"],
                               unix.replace(b"\n", b"\r\n")) == {}
    wait_for(lambda: Inbound.select().where(Inbound.state == "done").count() == 1)
    assert "Line 59 of a report" in Message.get().text


def test_recipient_limit(make_settings, sqlite_url, start_daemon):
    daemon = start_daemon(make_settings(sqlite_url, smtp_max_recipients=2))
    rcpts = ["support@example.com", "support+a@example.com", "support+b@example.com"]
    refused = send(daemon, customer_mail(), to_addrs=rcpts)
    assert refused == {"support+b@example.com": (452, b"4.5.3 Too many recipients")}


def test_lmtp_answers_once_per_recipient(make_settings, sqlite_url, start_daemon):
    from conftest import free_port

    port = free_port()
    daemon = start_daemon(make_settings(sqlite_url, lmtp_listen=f"127.0.0.1:{port}"))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        reader = sock.makefile("rb")

        def command(line: bytes) -> list[bytes]:
            if line:
                sock.sendall(line + b"\r\n")
            replies = []
            while True:
                reply = reader.readline()
                replies.append(reply.rstrip())
                if reply[3:4] != b"-":
                    return replies

        assert command(b"")[0].startswith(b"220")
        assert command(b"LHLO mta.example")[-1].startswith(b"250")
        assert command(b"MAIL FROM:<zoe@customer.example>")[0].startswith(b"250")
        assert command(b"RCPT TO:<support@example.com>")[0].startswith(b"250")
        assert command(b"RCPT TO:<ghost@example.com>")[0].startswith(b"550")
        assert command(b"RCPT TO:<support+x@example.com>")[0].startswith(b"250")
        assert command(b"DATA")[0].startswith(b"354")
        sock.sendall(customer_mail().as_bytes() + b".\r\n")
        first, second = reader.readline(), reader.readline()
        assert first.startswith(b"250") and second.startswith(b"250")
        command(b"QUIT")
    wait_for(lambda: Ticket.select().count() == 1)
    assert Inbound.select().count() == 1
    assert daemon  # the listener stayed up for the whole exchange


def test_cc_addresses_become_participants(make_settings, sqlite_url, start_daemon):
    daemon = start_daemon(make_settings(sqlite_url))
    send(daemon, customer_mail(cc="Bob <bob@customer.example>, support@example.com"))
    wait_for(lambda: Ticket.select().count() == 1)
    people = {c.email for c in Customer.select()}
    assert people == {"zoe@customer.example", "bob@customer.example"}
    from postdesk.tickets.views import ticket_detail

    detail = ticket_detail(Ticket.get().id)
    assert [p["email"] for p in detail["participants"]] == ["bob@customer.example"]


def test_every_refusal_is_logged_with_client_and_envelope_and_counted(
        make_settings, sqlite_url, start_daemon, caplog):
    """Issue 24: 550, 552 and the bare-LF refusal were logged nowhere."""
    from postdesk.channels.email import refusals
    from postdesk.serve.metrics import DeskCollector

    before = refusals.counts()
    daemon = start_daemon(make_settings(sqlite_url, smtp_max_message_size=4096))
    host, port = daemon.address
    caplog.set_level("WARNING", logger="postdesk.channels.email.refusals")
    with smtplib.SMTP(host, port, timeout=10) as client:
        client.ehlo()
        assert client.mail("zoe@customer.example")[0] == 250
        assert client.rcpt("nobody@example.com")[0] == 550
        assert client.rcpt("support@example.com")[0] == 250
        assert client.data(customer_mail(body="x" * 8000 + "\n").as_bytes())[0] == 552
        unix = customer_mail(body="A line.\n" * 400).as_bytes().replace(b"\r\n", b"\n")
        assert client.mail("zoe@customer.example")[0] == 250
        assert client.rcpt("support@example.com")[0] == 250
        assert client.data(unix)[0] == 500
    records = [r for r in caplog.records if r.name == "postdesk.channels.email.refusals"]
    seen = [(r.getMessage().split(":")[0], r.client.split(":")[0], r.mail_from, r.rcpt_to)
            for r in records]
    assert seen == [
        ("refused mail (unknown recipient)", "127.0.0.1", "zoe@customer.example", ""),
        ("refused mail (too big)", "127.0.0.1", "zoe@customer.example", "support@example.com"),
        ("refused mail (bare LF)", "127.0.0.1", "zoe@customer.example", "support@example.com"),
    ]
    assert "nobody@example.com" in records[0].getMessage()
    after = refusals.counts()
    for reason in ("unknown recipient", "too big", "bare LF"):
        assert after.get(("smtp", reason), 0) == before.get(("smtp", reason), 0) + 1
    families = {f.name: f for f in DeskCollector(daemon.settings, lambda: False).collect()}
    samples = {tuple(s.labels.values()): s.value
               for s in families["postdesk_smtp_refused"].samples}
    assert samples[("smtp", "too big")] == after[("smtp", "too big")]


def _long_line_mail(subject: str, body_line: str) -> bytes:
    """A mail as a careless server writes it: an unfolded header and one long body line."""
    return (f"From: Zoe <zoe@customer.example>\r\nTo: support@example.com\r\n"
            f"Subject: {subject}\r\nMessage-ID: <long@customer.example>\r\n"
            f"Content-Type: text/plain; charset=us-ascii\r\n\r\n"
            f"{body_line}\r\nbye\r\n").encode("ascii")


def test_lines_over_1000_octets_are_accepted_as_sent(make_settings, sqlite_url, start_daemon):
    """aiosmtpd refused lines over 1,000 octets with a permanent 500, so the sender's
    server bounced the mail; Postfix accepts them, and so do we, up to the size limit."""
    daemon = start_daemon(make_settings(sqlite_url))
    subject = "Printer " + "x" * 4992  # 5,000 characters, one line
    line = "error 42 " * (1_000_000 // 9)  # a 1 MB body line
    raw = _long_line_mail(subject, line)
    with smtplib.SMTP(*daemon.address, timeout=30) as client:
        assert client.sendmail("zoe@customer.example", ["support@example.com"], raw) == {}
    row = wait_for(lambda: Inbound.get_or_none(Inbound.state == "done"), timeout=60)
    assert bytes(row.raw) == raw  # stored as sent
    ticket = Ticket.get()
    assert ticket.subject.startswith("Printer xxx") and len(ticket.subject) > 900
    assert Message.get().text.startswith("error 42 error 42")
    [ack] = wait_for(lambda: read_outgoing(daemon.outgoing), timeout=60)
    written = next(daemon.outgoing.glob("*.eml")).read_bytes()
    assert max(len(line) for line in written.split(b"\r\n")) <= 998  # folded on output
    assert ack["Subject"].startswith(f"[#{ticket.id}] Printer xxx")


def test_a_long_command_line_is_still_refused(make_settings, sqlite_url, start_daemon):
    daemon = start_daemon(make_settings(sqlite_url))
    with smtplib.SMTP(*daemon.address, timeout=10) as client:
        client.ehlo()
        code, _ = client.docmd("NOOP", "x" * 5000)
        assert code == 500
        assert client.noop()[0] == 250


def test_an_idle_connection_is_told_why_it_is_closed(make_settings, sqlite_url, start_daemon):
    daemon = start_daemon(make_settings(sqlite_url, smtp_timeout=1))
    with socket.create_connection(daemon.address, timeout=10) as raw:
        reader = raw.makefile("rb")
        assert reader.readline().startswith(b"220 ")
        said = reader.readline()  # nothing sent: the server speaks last, then closes
        assert said.startswith(b"421 4.4.2 "), said
        assert reader.readline() == b""


def _open_data(address: tuple[str, int]) -> tuple[socket.socket, object]:
    """A raw SMTP session up to the 354 of DATA: (socket, its reader)."""
    raw = socket.create_connection(address, timeout=30)
    reader = raw.makefile("rb")
    assert reader.readline().startswith(b"220 ")
    raw.sendall(b"EHLO client.example\r\n")
    while reader.readline()[3:4] != b" ":
        pass
    for command in (b"MAIL FROM:<zoe@customer.example>\r\n",
                    b"RCPT TO:<support@example.com>\r\n", b"DATA\r\n"):
        raw.sendall(command)
        assert reader.readline()[:1] in (b"2", b"3")
    return raw, reader


def test_a_mail_still_arriving_after_the_timeout_is_accepted(
        make_settings, sqlite_url, start_daemon):
    """A large mail from a slow sender is not cut off while its bytes keep coming: the
    timeout counts silence (ten 25 MB mails at once on a busy desk lost several)."""
    daemon = start_daemon(make_settings(sqlite_url, smtp_timeout=1))
    head = (b"From: Zoe <zoe@customer.example>\r\nTo: support@example.com\r\n"
            b"Subject: Slow logs\r\nMessage-ID: <slow@customer.example>\r\n\r\n")
    raw, reader = _open_data(daemon.address)
    with raw:
        raw.sendall(head)
        for _ in range(16):  # 3.2 s of data, a chunk every 0.2 s
            raw.sendall(b"log line of the printer\r\n" * 2000)
            time.sleep(0.2)
        raw.sendall(b".\r\n")
        answer = reader.readline()
    assert answer.startswith(b"250 "), answer
    [ack] = wait_for(lambda: read_outgoing(daemon.outgoing), timeout=60)
    assert ack["Subject"].endswith("Slow logs")


def test_a_sender_silent_in_the_middle_of_data_is_still_cut_off(
        make_settings, sqlite_url, start_daemon):
    daemon = start_daemon(make_settings(sqlite_url, smtp_timeout=1))
    raw, reader = _open_data(daemon.address)
    with raw:
        raw.sendall(b"Subject: half a mail\r\n\r\nsome text\r\n")
        said = reader.readline()  # then nothing more
        assert said.startswith(b"421 4.4.2 "), said
        assert reader.readline() == b""
    assert Inbound.select().count() == 0
