"""Articles suggested in a Slack help thread before the agents hear of it (issue 21), over
the loopback Slack server: the acknowledgment carries the article and the requester's
"This solved it" / "I still need help"; the agents' new-ticket mail and triage post wait
`[kb] chat_wait_minutes`. "This solved it" resolves the ticket self-served and the agents
are never bothered; "I still need help" (or writing on in the thread) brings them at
once; when nobody presses, the wait ends and they hear as they would have; anyone but the
requester pressing changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chat.chat_desk import write_chat_rules
from chat.slack_server import APP_TOKEN, BOT_TOKEN
from chat.test_slack_desk import TEAMS, Loopback, button, press, slack, thread_posts  # noqa: F401
from mailbuild import wait_for
from postdesk.config.settings import Settings
from postdesk.store.chat_store import ChatOutbox
from postdesk.store.models import Event, Inbound, Outbox, Ticket
from postdesk.store.sla_store import TicketSla

CHANNELS = """channels:
  - {platform: slack, channel: C0HELP, mode: help, team: support}
  - {platform: slack, channel: C0TRIAGE, mode: triage}
"""
QUESTION = "How do I reset my password? I forgot it"


@pytest.fixture
def desk(slack: Loopback, make_settings: Callable[..., Settings],  # noqa: F811
         sqlite_url: str, start_daemon: Callable[[Settings], Any]) -> Iterator[Loopback]:
    settings = make_settings(sqlite_url, slack_bot_token=BOT_TOKEN,
                             slack_app_token=APP_TOKEN, slack_api_url=slack.server.api_url,
                             kb_chat_wait_minutes=10, broker_redispatch_after=1)
    write_chat_rules(settings, CHANNELS, TEAMS)
    start_daemon(settings)
    slack.call(slack.server.wait_connected())
    yield slack


def ask(side: Loopback) -> tuple[Ticket, dict[str, Any], dict[str, Any]]:
    """Ann asks in the help channel: her ticket, her question and the acknowledgment."""
    event = side.server.message_event("UANN", QUESTION)
    side.soon(lambda: side.server.send_event(event))
    ticket = wait_for(lambda: Ticket.get_or_none(Ticket.subject == QUESTION))
    [acknowledgment] = wait_for(lambda: thread_posts(side, event["ts"]))
    assert "Reset your password" in acknowledgment["text"]
    assert button(acknowledgment, "kb_solved") and button(acknowledgment, "kb_need_help")
    labels = [element["text"]["text"] for block in acknowledgment["blocks"]
              for element in block.get("elements", []) if element.get("type") == "button"]
    assert labels[:2] == ["This solved it", "I still need help"]
    return ticket, event, acknowledgment


def agents_mail(ticket: Ticket) -> Outbox:
    return Outbox.get((Outbox.ticket == ticket.id) & (Outbox.kind == "agent_new_ticket"))


def triage_posts(side: Loopback) -> list[dict[str, Any]]:
    return [m for m in side.server.messages if m["channel"] == "C0TRIAGE"]


def test_this_solved_it_resolves_self_served_and_no_agent_is_ever_notified(
        desk: Loopback) -> None:
    ticket, _, acknowledgment = ask(desk)
    assert agents_mail(ticket).state == "pending" and triage_posts(desk) == []

    press(desk, "UMAL", acknowledgment, "kb_solved")  # not the requester
    wait_for(lambda: Inbound.get_or_none(Inbound.reason.contains("other than the requester")))
    assert Ticket.get_by_id(ticket.id).status == "new"

    press(desk, "UANN", acknowledgment, "kb_solved")
    wait_for(lambda: Ticket.get_by_id(ticket.id).status == "resolved")
    served = Event.get((Event.ticket == ticket.id) & (Event.kind == "kb.self_served"))
    assert served.data["how"] == "chat" and served.actor == "ann@customer.example"
    clocks = wait_for(lambda: (row := TicketSla.get_or_none(TicketSla.ticket == ticket.id))
                      and row.clocks["resolution"]["state"] == "met" and row)
    assert clocks.clocks["first_response"]["state"] == "met"
    # the held notification can never go: its rows are ended, even once their time is past
    assert agents_mail(ticket).state == "dropped"
    assert {p.state for p in ChatOutbox.select().where(
        (ChatOutbox.ticket == ticket.id) & (ChatOutbox.kind == "triage_ticket"))} == {"dropped"}
    assert triage_posts(desk) == []


def test_i_still_need_help_notifies_the_agents_at_once(desk: Loopback) -> None:
    ticket, event, acknowledgment = ask(desk)
    press(desk, "UMAL", acknowledgment, "kb_need_help")  # not the requester
    wait_for(lambda: Inbound.get_or_none(Inbound.reason.contains("other than the requester")))
    assert agents_mail(ticket).state == "pending"

    press(desk, "UANN", acknowledgment, "kb_need_help")
    wait_for(lambda: agents_mail(ticket).state == "sent")
    triage = wait_for(lambda: triage_posts(desk))
    assert f"New ticket #{ticket.id}" in triage[0]["text"]
    wait_for(lambda: any(m["text"] == "An agent will answer you here soon."
                         for m in thread_posts(desk, event["ts"])))
    assert Ticket.get_by_id(ticket.id).status == "new"


def test_when_nobody_answers_the_agents_hear_once_the_wait_is_over(desk: Loopback) -> None:
    ticket, _, _ = ask(desk)
    mail = agents_mail(ticket)
    assert mail.state == "pending"
    assert mail.next_attempt_at > datetime.now(UTC) + timedelta(minutes=9)
    assert triage_posts(desk) == []
    # ten minutes pass (for the held rows)
    past = datetime.now(UTC) - timedelta(seconds=1)
    Outbox.update(next_attempt_at=past, not_before=past).where(Outbox.id == mail.id).execute()
    ChatOutbox.update(next_attempt_at=past).where(
        (ChatOutbox.ticket == ticket.id) & (ChatOutbox.kind == "triage_ticket")).execute()
    wait_for(lambda: agents_mail(ticket).state == "sent", timeout=30)
    wait_for(lambda: triage_posts(desk))


def test_answering_solved_in_the_thread_cancels_the_wait_too(desk: Loopback) -> None:
    ticket, event, _ = ask(desk)
    reply = desk.server.message_event("UANN", "Thanks, that fixed it", thread_ts=event["ts"])
    desk.soon(lambda: desk.server.send_event(reply))
    wait_for(lambda: Ticket.get_by_id(ticket.id).status == "resolved")
    served = Event.get((Event.ticket == ticket.id) & (Event.kind == "kb.self_served"))
    assert served.data["how"] == "reply"
    assert agents_mail(ticket).state == "dropped"


def test_writing_on_in_the_thread_brings_the_agents_at_once(desk: Loopback) -> None:
    ticket, event, _ = ask(desk)
    more = desk.server.message_event("UANN", "The reset link says my account is locked",
                                     thread_ts=event["ts"])
    desk.soon(lambda: desk.server.send_event(more))
    wait_for(lambda: agents_mail(ticket).state == "sent")
    wait_for(lambda: triage_posts(desk))
    assert Ticket.get_by_id(ticket.id).status != "resolved"


def test_a_self_served_closing_asks_no_rating_in_the_thread(desk: Loopback) -> None:
    """The desk does not ask about a resolution the customer reached with an article
    (`[csat] for_self_served` is off by default): the closing post in the thread must not
    ask either, or a rating would be counted for a survey nobody sent."""
    ticket, event, acknowledgment = ask(desk)
    press(desk, "UANN", acknowledgment, "kb_solved")
    wait_for(lambda: Ticket.get_by_id(ticket.id).status == "resolved")
    closing = wait_for(lambda: next((m for m in thread_posts(desk, event["ts"])
                                     if button_actions(m) and m is not acknowledgment
                                     and f"#{ticket.id}" in m["text"]), None))
    assert Event.get_or_none((Event.ticket == ticket.id)
                             & (Event.kind == "satisfaction.not_asked")) is not None
    assert "How satisfied" not in closing["text"]
    assert button_actions(closing) == ["reopen"]


def button_actions(message: dict[str, Any]) -> list[str]:
    return [element["action_id"].split(":")[0].split("|")[0]
            for block in message.get("blocks") or [] for element in block.get("elements", [])
            if element.get("type") == "button"]


ANSWER_PASSWORDS = """rules:
  - name: answer-password-questions
    on: ticket.created
    if:
      kb_match: {min_score: 40, article: password-reset}
    then:
      - answer_with_article: password-reset
"""


@pytest.fixture
def answering_desk(slack: Loopback, make_settings: Callable[..., Settings],  # noqa: F811
                   sqlite_url: str, start_daemon: Callable[[Settings], Any]
                   ) -> Iterator[Loopback]:
    """The desk above with a rule that answers password questions with the article."""
    settings = make_settings(sqlite_url, slack_bot_token=BOT_TOKEN,
                             slack_app_token=APP_TOKEN, slack_api_url=slack.server.api_url,
                             kb_chat_wait_minutes=10, broker_redispatch_after=1)
    write_chat_rules(settings, CHANNELS, TEAMS)
    extra = settings.path(settings.paths.rules) / "automation.d"
    extra.mkdir(exist_ok=True)
    (extra / "kb.yaml").write_text(ANSWER_PASSWORDS, encoding="utf-8")
    start_daemon(settings)
    slack.call(slack.server.wait_connected())
    yield slack


def test_a_rule_answer_in_the_thread_replaces_the_acknowledgment(
        answering_desk: Loopback) -> None:
    """In a help thread too the rule's answer is the one post (issue 21), and it keeps
    what the acknowledgment gave: the requester's buttons (the agents still wait for
    them) and the agents' own."""
    event = answering_desk.server.message_event("UANN", QUESTION)
    answering_desk.soon(lambda: answering_desk.server.send_event(event))
    ticket = wait_for(lambda: Ticket.get_or_none(Ticket.subject == QUESTION))
    wait_for(lambda: not ChatOutbox.select().where(
        (ChatOutbox.ticket == ticket.id) & (ChatOutbox.state == "pending")
        & (ChatOutbox.kind != "triage_ticket")).exists())
    [answer] = wait_for(lambda: thread_posts(answering_desk, event["ts"]))
    assert answer["text"].count("https://password.example.com") == 1
    assert button_actions(answer) == ["kb_solved", "kb_need_help", "resolve", "assign_me"]
    assert agents_mail(ticket).state == "pending"  # held for the requester's answer
    press(answering_desk, "UANN", answer, "kb_need_help")
    wait_for(lambda: agents_mail(ticket).state == "sent")
