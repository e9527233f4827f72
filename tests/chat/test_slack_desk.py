"""A desk with `[slack]` against the loopback Slack server (tests/chat/slack_server.py:
Socket Mode envelopes in, Web API calls out): a help channel's message opens a ticket
answered in its thread with buttons; Resolve pressed by someone whose verified email is
not an agent's changes nothing, by the agent it resolves; the satisfaction question's
buttons record the requester's rating."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import Any

import pytest

from chat.chat_desk import write_chat_rules
from chat.slack_server import APP_TOKEN, BOT_TOKEN, SlackLoopback, require_slack_sdk
from mailbuild import wait_for
from postdesk.config.settings import Settings
from postdesk.store.models import Event, Inbound, Ticket

CHANNELS = "channels:\n  - {platform: slack, channel: C0HELP, mode: help}\n"
TEAMS = """teams:
  - name: support
    agents:
      - {email: agent@example.com, name: "Alex Agent"}
"""


class Loopback:
    """The loopback server in a thread and event loop of its own."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server = SlackLoopback()
        self.call(self.server.start())

    def call(self, work: Any) -> Any:
        async def awaited() -> Any:
            return await work
        future: Future[Any] = asyncio.run_coroutine_threadsafe(awaited(), self.loop)
        return future.result(timeout=30)

    def soon(self, action: Callable[[], Any]) -> None:
        self.loop.call_soon_threadsafe(action)

    def stop(self) -> None:
        self.call(self.server.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


@pytest.fixture
def slack() -> Iterator[Loopback]:
    require_slack_sdk()
    side = Loopback()
    side.server.add_user("UANN", "ann@customer.example", display_name="Ann")
    side.server.add_user("UAGENT", "agent@example.com", display_name="Alex Agent")
    side.server.add_user("UMAL", "mallory@customer.example", display_name="Alex Agent")
    yield side
    side.stop()


def thread_posts(side: Loopback, root: str) -> list[dict[str, Any]]:
    return [m for m in side.server.messages if m.get("thread_ts") == root]


def button(message: dict[str, Any], action: str, value: str | None = None) -> tuple[str, str]:
    """(action_id, value) of a button of a posted message."""
    for block in message.get("blocks") or []:
        for element in block.get("elements", []):
            if element.get("type") == "button" and element["action_id"].startswith(action) \
                    and (value is None or element.get("value") == value):
                return element["action_id"], element.get("value", "")
    raise AssertionError(f"no button {action} {value} in {message}")


def press(side: Loopback, user: str, message: dict[str, Any], action: str,
          value: str | None = None) -> None:
    action_id, found = button(message, action, value)
    side.soon(lambda: side.server.send_interactive(
        side.server.button_press(user, message, action_id, found)))


def survey_rule_first(settings: Settings) -> None:
    """The desk's rules with `ask-for-satisfaction` moved before the rule that tells the
    customer the outcome: the survey is then queued before the closing post."""
    path = settings.path(settings.paths.rules) / "automation.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  - name: ask-for-satisfaction")
    end = text.index("\n\n", start) + 2
    survey, rest = text[start:end], text[:start] + text[end:]
    at = rest.index("  - name: tell-the-customer-the-outcome")
    path.write_text(rest[:at] + survey + rest[at:], encoding="utf-8")


@pytest.mark.parametrize("survey_first", [False, True], ids=["shipped-order", "survey-first"])
def test_a_slack_help_channel_from_request_to_rating(
        slack: Loopback, make_settings: Callable[..., Settings], sqlite_url: str,
        start_daemon: Callable[[Settings], Any], survey_first: bool) -> None:
    settings = make_settings(sqlite_url, slack_bot_token=BOT_TOKEN,
                             slack_app_token=APP_TOKEN, slack_api_url=slack.server.api_url)
    write_chat_rules(settings, CHANNELS, TEAMS)
    if survey_first:
        survey_rule_first(settings)
    start_daemon(settings)
    slack.call(slack.server.wait_connected())

    event = slack.server.message_event("UANN", "Printer says PC LOAD LETTER")
    slack.soon(lambda: slack.server.send_event(event))
    ticket = wait_for(lambda: Ticket.get_or_none(
        Ticket.subject == "Printer says PC LOAD LETTER"))
    [acknowledgment] = wait_for(lambda: thread_posts(slack, event["ts"]))
    assert f"#{ticket.id}" in acknowledgment["text"]

    press(slack, "UMAL", acknowledgment, "resolve")  # the agent's name, not the agent
    wait_for(lambda: Inbound.get_or_none(Inbound.reason.contains("not an agent")))
    assert Ticket.get_by_id(ticket.id).status != "resolved"

    press(slack, "UAGENT", acknowledgment, "resolve")
    wait_for(lambda: Ticket.get_by_id(ticket.id).status == "resolved")
    question = wait_for(lambda: next((m for m in thread_posts(slack, event["ts"])
                                      if any(b.get("elements") and "csat" in str(b)
                                             for b in m.get("blocks") or [])), None))
    press(slack, "UANN", question, "csat", "5")
    rating = wait_for(lambda: Event.get_or_none((Event.ticket == ticket.id)
                                                & (Event.kind == "satisfaction.rated")))
    assert rating.data == {"rating": 5, "scale": "1-5", "comment": "", "channel": "slack",
                           "resolution": 1, "changed": False}


TRIAGE_CHANNELS = CHANNELS + "  - {platform: slack, channel: C0TRIAGE, mode: triage}\n"


def test_a_slack_triage_post_follows_its_ticket_and_answers_from_its_thread(
        slack: Loopback, make_settings: Callable[..., Settings], sqlite_url: str,
        start_daemon: Callable[[Settings], Any]) -> None:
    # agents hear at once here, whatever the knowledge base suggests (`tickets.chat_wait`)
    settings = make_settings(sqlite_url, slack_bot_token=BOT_TOKEN,
                             slack_app_token=APP_TOKEN, slack_api_url=slack.server.api_url,
                             kb_chat_wait_minutes=0)
    write_chat_rules(settings, TRIAGE_CHANNELS, TEAMS)
    start_daemon(settings)
    slack.call(slack.server.wait_connected())

    event = slack.server.message_event("UANN", "Laptop will not boot")
    slack.soon(lambda: slack.server.send_event(event))
    ticket = wait_for(lambda: Ticket.get_or_none(Ticket.subject == "Laptop will not boot"))
    [acknowledgment] = wait_for(lambda: thread_posts(slack, event["ts"]))
    triage = wait_for(lambda: next((m for m in slack.server.messages
                                    if m["channel"] == "C0TRIAGE" and not m["thread_ts"]),
                                   None))
    assert "Status new, assignee -" in triage["text"] and not triage.get("edited")

    # the agent takes and resolves it in the requester's thread: the triage post says so
    press(slack, "UAGENT", acknowledgment, "assign_me")
    press(slack, "UAGENT", acknowledgment, "resolve")
    wait_for(lambda: "Status resolved, assignee agent@example.com" in triage["text"])
    assert triage.get("edited") and button(triage, "reply_to_customer")

    # the requester writes again: the ticket reopens, the post follows, and the message
    # reaches the triage thread with "Reply to customer"
    again = slack.server.message_event("UANN", "It fails again after the update",
                                       thread_ts=event["ts"])
    slack.soon(lambda: slack.server.send_event(again))
    mirrored = wait_for(lambda: next((m for m in thread_posts(slack, triage["ts"])
                                      if "It fails again" in m["text"]), None))
    wait_for(lambda: "Status resolved" not in triage["text"])
    assert f"Status {Ticket.get_by_id(ticket.id).status}," in triage["text"]
    press(slack, "UAGENT", mirrored, "reply_to_customer")
    wait_for(lambda: any("your next message" in m["text"]
                         for m in thread_posts(slack, triage["ts"])))
    answer = slack.server.message_event("UAGENT", "Please hold the power button 30 s.",
                                        channel="C0TRIAGE", thread_ts=triage["ts"])
    slack.soon(lambda: slack.server.send_event(answer))
    wait_for(lambda: any("Please hold the power button" in m["text"]
                         for m in thread_posts(slack, event["ts"])))
    edits = [c for c in slack.server.calls if c.method == "chat.update"]
    assert {c.args["ts"] for c in edits} == {triage["ts"]}
