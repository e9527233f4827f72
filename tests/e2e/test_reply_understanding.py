"""What a customer's reply says reaches the rules and the agents (issue 23): a rule on
`says_solved`, forwarded blocks kept as a part, the whole text an agent can expand."""

from __future__ import annotations

import json
import os
import smtplib
import subprocess
import sys
from pathlib import Path

from mailbuild import customer_mail, mails_to, processed, read_outgoing, send_mail, wait_for
from postdesk.store.models import Event, Message, Ticket

POSTDESK = str(Path(sys.executable).with_name("postdesk"))

SOLVED_RULE = """rules:
  - name: customer-says-solved
    on: message.received
    if:
      author_role: [customer, participant]
      says_solved: true
    then:
      - set_status: resolved
"""

HISTORY = """

On Sun, 22 Nov 2026 at 12:04, Example Support <support@example.com> wrote:
> Has this solved your problem? If it is not solved, tell us.
"""


def _desk(make_settings, sqlite_url, start_daemon, automation: str):
    settings = make_settings(sqlite_url)
    (Path(settings.path(settings.paths.rules)) / "automation.yaml").write_text(automation)
    daemon = start_daemon(settings)
    send_mail(daemon, customer_mail())
    wait_for(processed(1))
    return daemon


def _follow_up(daemon, body: str, number: int) -> None:
    ticket = Ticket.get()
    send_mail(daemon, customer_mail(subject=f"Re: [#{ticket.id}] Printer on fire", body=body,
                                    message_id=f"<follow-{number}@customer.example>"))
    wait_for(processed(number + 1))


def test_a_rule_on_says_solved_resolves_when_the_customer_says_so(make_settings, sqlite_url,
                                                                   start_daemon):
    daemon = _desk(make_settings, sqlite_url, start_daemon, SOLVED_RULE)
    _follow_up(daemon, "It is still not solved, the paper jams again." + HISTORY, 1)
    assert Ticket.get().status != "resolved"  # a negation, and the desk's own question quoted
    _follow_up(daemon, "Działa już, dziękuję!" + HISTORY, 2)
    assert Ticket.get().status == "resolved"
    [change] = Event.select().where(Event.kind == "status.changed")
    assert change.rule == "customer-says-solved"


TEAMS = """teams:
  - name: support
    agents:
      - {email: agent@example.com, name: "Support"}
"""

FORWARD = """Please have a look at the invoice below, the amount is wrong.

Zoë

---------- Forwarded message ---------
From: Shop <shop@shop.example>
Date: Mon, Dec 1, 2026 at 10:00 AM
Subject: Invoice
To: <zoe@customer.example>

Dear customer, your invoice 2026/12/004 is attached.
"""


def _show(settings, sqlite_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTDESK_")}
    env["POSTDESK_DATABASE_URL"] = sqlite_url
    config = Path(settings.path(settings.paths.rules)).parent / "postdesk.toml"
    return subprocess.run([POSTDESK, "--config", str(config), "ticket", "show", *args],
                          capture_output=True, timeout=60, env=env, text=True)


def test_a_forward_shows_the_customers_words_and_keeps_the_forward_as_a_part(
        make_settings, sqlite_url, start_daemon):
    settings = make_settings(sqlite_url)
    (Path(settings.path(settings.paths.rules)) / "teams.yaml").write_text(TEAMS)
    daemon = start_daemon(settings)
    send_mail(daemon, customer_mail(subject="Fwd: Invoice", body=FORWARD))
    [notification] = wait_for(lambda: mails_to(daemon, "agent@example.com"))
    text = notification.get_body(("plain",)).get_content()
    assert "the amount is wrong" in text and "2026/12/004" not in text
    [forwarded] = list(notification.iter_attachments())
    assert forwarded.get_filename() == "forwarded.txt"
    assert "Dear customer, your invoice 2026/12/004" in forwarded.get_content()

    shown = json.loads(_show(settings, sqlite_url, "1", "--json").stdout)
    [message] = shown["messages"]
    assert message["text"].startswith("Please have a look") and "2026/12/004" not in message["text"]
    assert [a["filename"] for a in message["attachments"]] == ["forwarded.txt"]
    assert message["hidden_text"] and "whole_text" not in message
    table = _show(settings, sqlite_url, "1").stdout
    assert "forwarded.txt" in table and "--full shows it" in table
    full = _show(settings, sqlite_url, "1", "--full").stdout
    assert "Dear customer, your invoice 2026/12/004" in full
    assert "Dear customer" in json.loads(
        _show(settings, sqlite_url, "1", "--full", "--json").stdout)["messages"][0]["whole_text"]


def test_quoted_history_is_expandable_and_a_reply_with_nothing_new_is_flagged(
        make_settings, sqlite_url, start_daemon):
    settings = make_settings(sqlite_url)
    (Path(settings.path(settings.paths.rules)) / "teams.yaml").write_text(TEAMS)
    daemon = start_daemon(settings)
    send_mail(daemon, customer_mail())
    wait_for(processed(1))
    _follow_up(daemon, "Still broken." + HISTORY, 1)
    # a client that put the history without quote marks, and nothing above it
    _follow_up(daemon, "On Sun, 22 Nov 2026 at 12:04, Example Support <support@example.com> "
                       "wrote:\nHas this solved your problem?\n", 2)
    def replied() -> list[str]:
        texts = [m.get_body(("plain",)).get_content()
                 for m in mails_to(daemon, "agent@example.com")]
        return [t for t in texts if "has replied" in t]

    texts = wait_for(lambda: len(replied()) == 2 and replied())
    flagged = [t for t in texts if "Nothing new was found in this reply" in t]
    assert len(flagged) == 1 and "Has this solved your problem?" in flagged[0]

    shown = json.loads(_show(settings, sqlite_url, "1", "--json").stdout)
    _first, still, whole = shown["messages"]
    assert still["text"] == "Still broken." and still["hidden_text"]
    assert not still["text_is_whole"] and whole["text_is_whole"]
    assert whole["text"].endswith("Has this solved your problem?")
    table = _show(settings, sqlite_url, "1").stdout
    assert "nothing new found in this reply" in table
    full = json.loads(_show(settings, sqlite_url, "1", "--full", "--json").stdout)
    assert "> Has this solved your problem?" in full["messages"][1]["whole_text"]


def test_a_read_receipt_for_the_acknowledgment_is_not_answered_nor_a_ticket(
        make_settings, sqlite_url, start_daemon):
    daemon = start_daemon(make_settings(sqlite_url))
    send_mail(daemon, customer_mail())
    [ack] = wait_for(lambda: read_outgoing(daemon.outgoing))
    receipt = (
        "From: Zoë Kowalska <zoe@customer.example>\r\nTo: support@example.com\r\n"
        f"Subject: Read: {ack['Subject']}\r\nMessage-ID: <mdn-1@customer.example>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/report; "
        'report-type=disposition-notification; boundary="b1"\r\n\r\n--b1\r\n'
        "Content-Type: text/plain\r\n\r\nYour message was displayed.\r\n\r\n--b1\r\n"
        "Content-Type: message/disposition-notification\r\n\r\n"
        "Reporting-UA: pc.customer.example; Thunderbird\r\n"
        "Final-Recipient: rfc822;zoe@customer.example\r\n"
        f"Original-Message-ID: {ack['Message-ID']}\r\n"
        "Disposition: manual-action/MDN-sent-manually; displayed\r\n\r\n--b1--\r\n")
    with smtplib.SMTP(*daemon.address) as client:
        client.sendmail("zoe@customer.example", ["support@example.com"], receipt.encode())
    wait_for(processed(2))
    assert Ticket.select().count() == 1
    assert len(read_outgoing(daemon.outgoing)) == 1  # the acknowledgment only
    [note] = Message.select().where(Message.message_id == "mdn-1@customer.example")
    assert note.ticket_id == Ticket.get().id and note.visibility == "internal"
