"""A desk with `[slack]` and channels.yaml `notify_mail_requesters_in_chat: {platform: slack}`
against the loopback Slack server: a customer who asked once in a help channel and later
writes by mail gets the agent's answer and the closing as Slack direct messages
(`conversations.open` + `chat.postMessage`), with the mail; an internal note never
arrives; a mail customer Slack has never shown the desk gets mail only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chat.slack_server import APP_TOKEN, BOT_TOKEN
from chat.test_slack_desk import CHANNELS, TEAMS, Loopback, slack, thread_posts
from mailbuild import customer_mail, mails_to, reply_to, send_mail, text_of, wait_for
from postdesk.config.settings import Settings
from postdesk.store.models import Ticket

__all__ = ["slack"]  # the fixture

NOTIFY = "notify_mail_requesters_in_chat:\n  platform: slack\n"


def answer_by_mail(daemon: Any, ticket: Ticket, body: str, message_id: str) -> None:
    notification = wait_for(lambda: [m for m in mails_to(daemon, "agent@example.com")
                                     if f"#{ticket.id}" in str(m["Subject"])])[0]
    send_mail(daemon, reply_to(notification, body, sender="Alex Agent <agent@example.com>",
                               message_id=message_id))


def direct_messages(side: Loopback, user: str) -> list[str]:
    channel = side.server.ims.get(user)
    return [m["text"] for m in side.server.messages if channel and m["channel"] == channel]


def test_a_known_slack_user_who_wrote_by_mail_gets_direct_messages(
        slack: Loopback, make_settings: Callable[..., Settings], sqlite_url: str,
        start_daemon: Callable[[Settings], Any]) -> None:
    settings = make_settings(sqlite_url, slack_bot_token=BOT_TOKEN,
                             slack_app_token=APP_TOKEN, slack_api_url=slack.server.api_url)
    rules = settings.path(settings.paths.rules)
    (rules / "channels.yaml").write_text(CHANNELS + NOTIFY, encoding="utf-8")
    (rules / "teams.yaml").write_text(TEAMS, encoding="utf-8")
    daemon = start_daemon(settings)
    slack.call(slack.server.wait_connected())

    event = slack.server.message_event("UANN", "Badge does not open the door")
    slack.soon(lambda: slack.server.send_event(event))
    wait_for(lambda: thread_posts(slack, event["ts"]))  # Ann is known in Slack now

    send_mail(daemon, customer_mail(sender="Ann <ann@customer.example>",
                                    subject="Expense report stuck",
                                    message_id="<expense@customer.example>"))
    ticket = wait_for(lambda: Ticket.get_or_none(Ticket.subject == "Expense report stuck"))
    answer_by_mail(daemon, ticket, "#note\nHer manager has not approved it yet.",
                   "<note@example.com>")
    answer_by_mail(daemon, ticket, "I pushed your report to the next step.",
                   "<push@example.com>")
    [answer] = wait_for(lambda: direct_messages(slack, "UANN"))
    assert "pushed your report" in answer and f"#{ticket.id}" in answer
    assert "Expense report stuck" in answer and "/t/" in answer  # the ticket page link
    wait_for(lambda: [m for m in mails_to(daemon, "ann@customer.example")
                      if "pushed your report" in text_of(m)])  # the mail went too

    answer_by_mail(daemon, ticket, "#status resolved", "<done@example.com>")
    wait_for(lambda: len(direct_messages(slack, "UANN")) == 2)
    assert "is done" in direct_messages(slack, "UANN")[1]
    opened = [c for c in slack.server.calls if c.method == "conversations.open"]
    assert {c.args.get("users") for c in opened} == {"UANN"}
    assert not any("manager has not approved" in m["text"] for m in slack.server.messages)

    send_mail(daemon, customer_mail(sender="Bob <bob@customer.example>",
                                    subject="Laptop bag", message_id="<bag@customer.example>"))
    other = wait_for(lambda: Ticket.get_or_none(Ticket.subject == "Laptop bag"))
    answer_by_mail(daemon, other, "It is at the front desk.", "<bag-answer@example.com>")
    wait_for(lambda: [m for m in mails_to(daemon, "bob@customer.example")
                      if "front desk" in text_of(m)])
    assert set(slack.server.ims) == {"UANN"}
    assert not any("front desk" in m["text"] for m in slack.server.messages)
