"""`#merge N` and `#reopen` in an agent's mail, over real SMTP (issue 24)."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest

from mailbuild import customer_mail, mails_to, processed, send_mail, text_of, wait_for
from postdesk.store.models import Attachment, Event, Message, Participant, Ticket

TEAMS = """teams:
  - name: support
    agents:
      - {email: agent.en@example.com, name: "Support EN"}
"""


@pytest.fixture
def desk(make_settings, sqlite_url, start_daemon):
    # the printer mails would be linked as possible duplicates (issue 21), with a note that
    # the merge moves too: this file is about merging, detection is off
    settings = make_settings(sqlite_url, duplicates_days=0)
    (Path(settings.path(settings.paths.rules)) / "teams.yaml").write_text(TEAMS)
    return start_daemon(settings)


def notification_for(daemon, ticket_id: int) -> EmailMessage:
    [found] = wait_for(lambda: [m for m in mails_to(daemon, "agent.en@example.com")
                                if m["Subject"].startswith(f"[#{ticket_id}]")
                                and "+" in m["Reply-To"].addresses[0].addr_spec])
    return found


def agent_says(daemon, ticket_id: int, body: str, message_id: str) -> None:
    notification = notification_for(daemon, ticket_id)
    send_mail(daemon, customer_mail(
        sender="agent.en@example.com", to=notification["Reply-To"].addresses[0].addr_spec,
        subject=f"Re: {notification['Subject']}", body=body, message_id=message_id))


def with_attachment(mail: EmailMessage) -> EmailMessage:
    mail.add_attachment(b"ERROR 42\n", maintype="text", subtype="plain", filename="error.log")
    return mail


def test_merge_moves_the_thread_and_later_mail_to_either_ticket_lands_in_the_target(desk):
    send_mail(desk, customer_mail(subject="Printer on fire"))
    wait_for(processed(1))
    send_mail(desk, with_attachment(customer_mail(
        sender="Zoë Kowalska <zoe@customer.example>", cc="Bob <bob@customer.example>",
        subject="Printer still burning", message_id="<second@customer.example>")))
    wait_for(processed(2))
    agent_says(desk, 2, "#merge 1\n", "<merge@example.com>")
    wait_for(processed(3))

    merged = Ticket.get_by_id(2)
    assert merged.merged_into == 1 and merged.status == "closed"
    assert Message.select().where(Message.ticket == 2).count() == 0
    texts = [m.text for m in Message.select().where(Message.ticket == 1)]
    assert any("printer is on fire" in t for t in texts) and len(texts) == 2
    [attachment] = Attachment.select().join(Message).where(Message.ticket == 1)
    assert attachment.filename == "error.log"
    assert {p.customer.email for p in Participant.select().where(Participant.ticket == 1)} \
        == {"bob@customer.example"}
    assert Event.get(Event.kind == "ticket.merged", Event.ticket == 2).actor \
        == "agent.en@example.com"

    # the customer answers the merged ticket's acknowledgment (the only mail about #2:
    # no "your ticket is closed" for a pointer), and the mail joins the target
    [ack] = [m for m in mails_to(desk, "zoe@customer.example") if "[#2]" in m["Subject"]]
    send_mail(desk, customer_mail(subject=f"Re: {ack['Subject']}", body="Any news?\n",
                                  message_id="<news@customer.example>",
                                  headers={"In-Reply-To": ack["Message-ID"]}))
    wait_for(processed(4))
    assert Message.get(Message.text.contains("Any news?")).ticket_id == 1
    assert Ticket.select().count() == 2  # no new ticket

    # the agent answers from the merged ticket's notification: still an agent, on the target
    agent_says(desk, 2, "#priority high\n", "<late@example.com>")
    wait_for(processed(5))
    assert Ticket.get_by_id(1).priority == "high"
    assert Ticket.get_by_id(2).priority == "normal"


def test_merge_into_a_missing_ticket_changes_nothing_and_tells_the_agent(desk):
    send_mail(desk, customer_mail())
    wait_for(processed(1))
    agent_says(desk, 1, "#merge 99\n", "<merge@example.com>")
    wait_for(processed(2))
    assert Ticket.get_by_id(1).merged_into is None
    [error] = wait_for(lambda: [m for m in mails_to(desk, "agent.en@example.com")
                                if "#99" in text_of(m)])
    assert "#merge 99" in text_of(error)


def test_reopen_puts_a_resolved_ticket_back_in_progress(desk):
    send_mail(desk, customer_mail())
    wait_for(processed(1))
    agent_says(desk, 1, "#resolve\n", "<resolve@example.com>")
    wait_for(processed(2))
    assert Ticket.get_by_id(1).status == "resolved"
    agent_says(desk, 1, "#reopen\n", "<reopen@example.com>")
    wait_for(processed(3))
    assert Ticket.get_by_id(1).status == "in_progress"
    assert Event.get(Event.kind == "status.changed", Event.ticket == 1,
                     Event.data.contains("in_progress")).actor == "agent.en@example.com"
