"""Duplicates caught at intake, over real SMTP (issue 21): a repeat from the same sender
opens no ticket, another customer's report of the same outage is linked as a possible
duplicate with a note only agents see, `#duplicate N` confirms it and resolving the
original closes it with a word to its customer."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailbuild import customer_mail, mails_to, processed, send_mail, text_of, wait_for
from postdesk.store.models import Inbound, Link, Message, Ticket

TEAMS = """teams:
  - name: support
    agents:
      - {email: agent.en@example.com, name: "Support EN"}
"""

FIRST = customer_mail(
    sender="Zoë Kowalska <zoe@customer.example>", subject="VPN down since this morning",
    body="Hello,\nthe VPN connection drops every few minutes since this morning, "
         "I cannot reach the intranet.\n", message_id="<vpn-1@customer.example>")
SECOND = customer_mail(
    sender="Bob Meyer <bob@other.example>", subject="Cannot reach intranet",
    body="Hi,\nour VPN keeps disconnecting since the morning and the intranet "
         "is unreachable.\n", message_id="<vpn-2@other.example>")


@pytest.fixture
def desk(make_settings, sqlite_url, start_daemon):
    settings = make_settings(sqlite_url)
    (Path(settings.path(settings.paths.rules)) / "teams.yaml").write_text(TEAMS)
    return start_daemon(settings)


def agent_says(daemon, ticket_id: int, body: str, message_id: str) -> None:
    [notification] = wait_for(lambda: [
        m for m in mails_to(daemon, "agent.en@example.com")
        if m["Subject"].startswith(f"[#{ticket_id}]")
        and "+" in m["Reply-To"].addresses[0].addr_spec])
    send_mail(daemon, customer_mail(
        sender="agent.en@example.com", to=notification["Reply-To"].addresses[0].addr_spec,
        subject=f"Re: {notification['Subject']}", body=body, message_id=message_id))


def test_the_same_mail_sent_twice_by_the_same_sender_opens_one_ticket(desk):
    send_mail(desk, FIRST)
    wait_for(processed(1))
    again = customer_mail(
        sender="Zoë Kowalska <zoe@customer.example>", subject="VPN down since this morning",
        body="Hello,\nthe VPN connection  drops every few minutes since this morning,\n"
             "I cannot reach the intranet.\n", message_id="<vpn-1-again@customer.example>")
    send_mail(desk, again)
    wait_for(processed(2))
    assert Ticket.select().count() == 1
    repeat = Inbound.get_by_id(2)
    assert repeat.state == "duplicate" and repeat.ticket_id == 1
    # the first mail's acknowledgment only: the repeat is not answered again
    wait_for(lambda: mails_to(desk, "zoe@customer.example"))
    assert len(mails_to(desk, "zoe@customer.example")) == 1


def test_another_customer_reporting_the_same_outage_is_a_possible_duplicate(desk):
    send_mail(desk, FIRST)
    wait_for(processed(1))
    send_mail(desk, SECOND)
    wait_for(processed(2))

    assert Ticket.select().count() == 2  # never merged automatically
    link = Link.get(Link.ticket == 2)
    assert (link.other_id, link.kind) == (1, "possible_duplicate_of")
    [note] = Message.select().where(Message.ticket == 2, Message.visibility == "internal")
    assert "Possible duplicate of #1" in note.text and "#duplicate 1" in note.text
    # the customer hears of their own ticket only, never of the note
    [ack] = wait_for(lambda: mails_to(desk, "bob@other.example"))
    assert "Possible duplicate" not in text_of(ack) and "#1" not in ack["Subject"]
    # the team's notification of the new ticket says so
    [told] = wait_for(lambda: [m for m in mails_to(desk, "agent.en@example.com")
                               if m["Subject"].startswith("[#2]")])
    assert "Possible duplicate of #1 (" in text_of(told)
    assert "answer with #duplicate 1" in text_of(told)
    # the customer's words once, as the new ticket's message: the internal note written
    # after them does not push them into "Earlier in this conversation" as well
    assert text_of(told).count("our VPN keeps disconnecting") == 1
    assert "Earlier in this conversation" not in text_of(told)
    [first] = wait_for(lambda: [m for m in mails_to(desk, "agent.en@example.com")
                                if m["Subject"].startswith("[#1]")])  # sent in any order
    assert "Possible duplicate" not in text_of(first)


def test_an_unrelated_ticket_is_not_flagged(desk):
    send_mail(desk, FIRST)
    wait_for(processed(1))
    send_mail(desk, customer_mail(sender="Bob Meyer <bob@other.example>",
                                  subject="Invoice copy for March",
                                  body="Please send me a copy of the March invoice.\n",
                                  message_id="<invoice@other.example>"))
    wait_for(processed(2))
    assert Link.select().count() == 0
    assert Message.select().where(Message.visibility == "internal").count() == 0


def test_confirmed_duplicate_closes_with_the_original_and_its_customer_is_told(desk):
    send_mail(desk, FIRST)
    wait_for(processed(1))
    send_mail(desk, SECOND)
    wait_for(processed(2))
    agent_says(desk, 2, "#duplicate 1\n", "<confirm@example.com>")
    wait_for(processed(3))
    assert Link.get(Link.ticket == 2, Link.kind == "duplicate_of").other_id == 1
    # the problem is not solved yet: the duplicate stays open and its customer is not told
    # "resolved" (it closes with the original, issue 21)
    assert Ticket.get_by_id(2).status == "new"
    mails_before = len(mails_to(desk, "bob@other.example"))

    agent_says(desk, 1, "#resolve\nThe VPN gateway is fixed.\n", "<fixed@example.com>")
    wait_for(processed(4))
    assert Ticket.get_by_id(1).status == "resolved"
    assert Ticket.get_by_id(2).status == "resolved"
    told = wait_for(lambda: [m for m in mails_to(desk, "bob@other.example")
                             if "same problem as ticket #1" in text_of(m)])
    assert told[0]["Subject"].startswith("[#2]")
    # one mail about it, the one that says the problem is solved
    assert len(mails_to(desk, "bob@other.example")) == mails_before + 1
    assert all("is now marked as" not in text_of(m) for m in mails_to(desk, "bob@other.example"))


def test_the_same_words_with_another_attachment_are_not_dropped(desk):
    def with_file(data: bytes, message_id: str):
        mail = customer_mail(sender="Zoë Kowalska <zoe@customer.example>",
                             subject="Error screenshot", body="Here is what I see.\n",
                             message_id=message_id)
        mail.add_attachment(data, maintype="image", subtype="png", filename="screen.png")
        return mail

    send_mail(desk, with_file(b"\x89PNG first", "<shot-1@customer.example>"))
    wait_for(processed(1))
    send_mail(desk, with_file(b"\x89PNG second", "<shot-2@customer.example>"))
    wait_for(processed(2))
    assert Inbound.get_by_id(2).state == "done"
    assert Ticket.select().count() == 2  # its file is on a ticket, not dropped as a repeat


TAG_RULE = """
  - name: tag-possible-duplicates
    on: ticket.created
    if: {possible_duplicate: true}
    then:
      - add_tag: possible-duplicate
"""


def test_a_rule_tags_possible_duplicates(make_settings, sqlite_url, start_daemon):
    settings = make_settings(sqlite_url)
    rules = Path(settings.path(settings.paths.rules))
    (rules / "teams.yaml").write_text(TEAMS)
    automation = rules / "automation.yaml"
    automation.write_text(automation.read_text() + TAG_RULE)
    desk = start_daemon(settings)
    send_mail(desk, FIRST)
    wait_for(processed(1))
    send_mail(desk, SECOND)
    wait_for(processed(2))
    assert Ticket.get_by_id(1).tags == []
    assert Ticket.get_by_id(2).tags == ["possible-duplicate"]
