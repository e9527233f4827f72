"""What a customer reads of an agent's work (issue 26): the outcome of a ticket in plain
words, once per change; the agent's own closing line."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest

from mailbuild import customer_mail, processed, read_outgoing, reply_to, send_mail, wait_for
from postdesk.store.models import Event, Ticket

TEAMS = """teams:
  - name: support
    agents:
      - {email: agent.en@example.com, name: "Support EN"}
      - {email: agent.de@example.com, name: "Support DE", language: de}
"""


@pytest.fixture
def desk(make_settings, sqlite_url, start_daemon):
    # a reopen window other than the default: the mails must say the desk's own
    settings = make_settings(sqlite_url, tickets_reopen_days=30)
    (Path(settings.path(settings.paths.rules)) / "teams.yaml").write_text(TEAMS)
    daemon = start_daemon(settings)
    send_mail(daemon, customer_mail())
    wait_for(lambda: len(read_outgoing(daemon.outgoing)) == 3)  # ack + two agents
    return daemon


def to_customer(daemon) -> list[EmailMessage]:
    """The customer's mail after the acknowledgment, oldest first."""
    return sorted((m for m in read_outgoing(daemon.outgoing)
                   if m["To"].addresses[0].addr_spec == "zoe@customer.example"
                   and "Thank you for contacting" not in text_of(m)
                   and "Vielen Dank" not in text_of(m)),
                  key=lambda m: m["Message-ID"] and m["Date"].datetime)


def text_of(mail: EmailMessage) -> str:
    return mail.get_body(("plain",)).get_content()


def html_of(mail: EmailMessage) -> str:
    return mail.get_body(("html",)).get_content()


def agent_writes(daemon, body: str, number: int) -> None:
    """The agent answers their new-ticket notification; `number`: the agent's n-th mail."""
    notification = next(m for m in read_outgoing(daemon.outgoing)
                        if m["To"].addresses[0].addr_spec == "agent.en@example.com")
    send_mail(daemon, reply_to(notification, body, sender="agent.en@example.com",
                               message_id=f"<agent-{number}@example.com>"))
    wait_for(processed(number + 1))


def test_a_bare_resolve_tells_the_customer_it_is_resolved_and_how_to_reopen(desk):
    agent_writes(desk, "#resolve\n", 1)
    [outcome] = wait_for(lambda: to_customer(desk))
    assert Ticket.get().status == "resolved"
    text = " ".join(text_of(outcome).split())
    assert 'is now marked as "Resolved"' in text
    assert "reply to this email within 30 days and we will reopen the ticket" in text
    assert "within 30 days" in html_of(outcome)
    assert outcome["Auto-Submitted"] == "auto-replied"


def test_a_resolution_with_text_is_one_mail_that_states_the_outcome(desk):
    agent_writes(desk, "#resolve\nThe fuser unit was replaced; the printer works again.\n", 1)
    answer = wait_for(lambda: [m for m in to_customer(desk) if "fuser unit" in text_of(m)])[0]
    wait_for(lambda: Event.select().where(Event.kind == "reply.folded").count() == 1)
    text = " ".join(text_of(answer).split())
    assert 'is now marked as "Resolved"' in text and "within 30 days" in text
    # exactly one mail for the change: the answer, no separate status mail
    assert [m["Message-ID"] for m in to_customer(desk)] == [answer["Message-ID"]]
    folded = Event.get(Event.kind == "reply.folded")
    assert folded.rule == "tell-the-customer-the-outcome"


def test_a_silent_resolve_sends_the_customer_nothing(desk):
    agent_writes(desk, "#silent\n#resolve\nKnown issue, closing quietly.\n", 1)
    wait_for(lambda: Event.select().where(Event.kind == "reply.silenced").count() == 1)
    assert Ticket.get().status == "resolved"
    assert to_customer(desk) == []


def test_reopening_by_an_agent_tells_the_customer_the_ticket_is_open_again(desk):
    agent_writes(desk, "#status closed\n", 1)
    [closed] = wait_for(lambda: to_customer(desk))
    assert 'marked as "Closed"' in text_of(closed)
    agent_writes(desk, "#reopen\n", 2)
    [reopened] = wait_for(lambda: [m for m in to_customer(desk) if m["Message-ID"]
                                   != closed["Message-ID"]])
    assert "We have reopened your ticket #1" in text_of(reopened)


def test_the_customer_s_reply_to_a_resolved_ticket_reopens_it_and_says_so(desk):
    agent_writes(desk, "#resolve\n", 1)
    [outcome] = wait_for(lambda: to_customer(desk))
    send_mail(desk, reply_to(outcome, "It is broken again.\n", sender="zoe@customer.example",
                             message_id="<zoe-2@customer.example>"))
    wait_for(processed(3))
    [reopened] = wait_for(lambda: [m for m in to_customer(desk)
                                   if m["Message-ID"] != outcome["Message-ID"]])
    assert Ticket.get().status == "in_progress"
    assert "We have reopened your ticket #1" in text_of(reopened)


def test_a_customer_status_mail_in_german_says_it_in_german(desk):
    agent_writes(desk, "#lang de\n#resolve\n", 1)
    [outcome] = wait_for(lambda: to_customer(desk))
    assert outcome["Content-Language"] == "de"
    assert "30 Tage" in text_of(outcome)


def test_the_agent_s_closing_line_reaches_the_customer_without_the_signature_block(desk):
    agent_writes(desk, "Guten Tag,\n\ndas Gerät ist repariert.\n\nMit freundlichen Grüßen\n"
                       "Support EN\nKundenservice | Example\nTel. +49 30 1234567\n\n"
                       "Am 7.12.2026 schrieb Zoe <zoe@customer.example>:\n> my printer\n", 1)
    [answer] = wait_for(lambda: to_customer(desk))
    text = text_of(answer)
    assert "das Gerät ist repariert.\r\n\r\nMit freundlichen Grüßen\r\nSupport EN" in text
    assert "Tel. +49" not in text and "Kundenservice" not in text
    assert "Mit freundlichen Grüßen" in html_of(answer)
