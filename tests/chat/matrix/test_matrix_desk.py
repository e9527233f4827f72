"""The whole conversation of issue 20 against a real Synapse and a running `postdesk serve`:
a message in a help room opens a ticket answered in its thread; the agent answers by
email (over SMTP) and the answer appears in the thread; the requester's reply in the
thread is a customer message; the agent's ✅ resolves; the satisfaction question comes,
and the requester's keycap reaction records the rating."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chat.matrix.conftest import Homeserver
from mailbuild import mails_to, reply_to, send_mail, wait_for
from postdesk.config.settings import Settings
from postdesk.store.models import Customer, Event, Inbound, Message, Ticket

pytestmark = pytest.mark.xdist_group("synapse")

TEAMS = """teams:
  - name: support
    agents:
      - {email: agent@example.org, name: "Alex Agent"}
"""


def desk_for(homeserver: Homeserver, room: str, make_settings: Callable[..., Settings],
             database_url: str) -> Settings:
    # the agents hear at once, whatever the knowledge base suggests (`tickets.chat_wait`)
    settings = make_settings(database_url, matrix_homeserver=homeserver.server.url,
                             matrix_user_id=homeserver.bot.user_id,
                             matrix_access_token=homeserver.bot.access_token,
                             kb_chat_wait_minutes=0)
    rules = settings.path(settings.paths.rules)
    (rules / "teams.yaml").write_text(TEAMS, encoding="utf-8")
    (rules / "channels.yaml").write_text(
        f'channels:\n  - platform: matrix\n    channel: "{room}"\n    mode: help\n'
        f'    team: support\nreactions:\n  "✅": {{status: resolved}}\n', encoding="utf-8")
    return settings


def bot_posts(homeserver: Homeserver, room: str, root: str) -> list[dict[str, Any]]:
    return [event for event in homeserver.customer.thread_events(room, root)
            if event.get("sender") == homeserver.bot.user_id]


def post_saying(homeserver: Homeserver, room: str, root: str, words: str
                ) -> Callable[[], dict[str, Any] | None]:
    def probe() -> dict[str, Any] | None:
        return next((event for event in bot_posts(homeserver, room, root)
                     if words in event["content"].get("body", "")), None)
    return probe


def test_a_help_room_conversation_from_request_to_rating(
        homeserver: Homeserver, help_room: str, make_settings: Callable[..., Settings],
        sqlite_url: str, start_daemon: Callable[[Settings], Any], tmp_path: Path) -> None:
    daemon = start_daemon(desk_for(homeserver, help_room, make_settings, sqlite_url))
    wait_for(lambda: daemon.daemon.chat.health()["matrix"].startswith("connected"),
             timeout=30)

    root = homeserver.customer.say(help_room, "My laptop does not start\nThe screen stays black.")
    ticket = wait_for(lambda: Ticket.get_or_none(Ticket.subject == "My laptop does not start"))
    requester = Customer.get_by_id(ticket.requester_id)
    assert requester.email == "customer@example.org"  # the verified email, not the name
    acknowledgment = wait_for(post_saying(homeserver, help_room, root, f"#{ticket.id}"))
    assert "Received" in acknowledgment["content"]["body"]  # the customer-facing status

    # the agent answers by mail, from the notification of the new ticket
    notification = wait_for(lambda: mails_to(daemon, "agent@example.org"))[0]
    send_mail(daemon, reply_to(notification, "Please hold the power button for 30 seconds.",
                               sender="Alex Agent <agent@example.org>",
                               message_id="<answer1@example.org>"))
    answer = wait_for(post_saying(homeserver, help_room, root, "hold the power button"))
    assert "Alex Agent" in answer["content"]["body"]
    assert not mails_to(daemon, "customer@example.org")  # the requester is in chat

    homeserver.customer.say(help_room, "That worked, thank you!", root)
    wait_for(lambda: Message.get_or_none((Message.ticket == ticket.id)
                                         & (Message.text == "That worked, thank you!")))
    reply = Message.get((Message.ticket == ticket.id)
                        & (Message.text == "That worked, thank you!"))
    assert (reply.direction, reply.visibility, reply.author_email) == (
        "in", "public", "customer@example.org")

    homeserver.agent.react(help_room, root, "✅")
    wait_for(lambda: Ticket.get_by_id(ticket.id).status == "resolved")
    question = wait_for(post_saying(homeserver, help_room, root, "5️⃣"))

    homeserver.customer.react(help_room, question["event_id"], "4️⃣")
    rating = wait_for(lambda: Event.get_or_none((Event.ticket == ticket.id)
                                                & (Event.kind == "satisfaction.rated")))
    assert rating.data == {"rating": 4, "scale": "1-5", "comment": "", "channel": "matrix",
                           "resolution": 1, "changed": False}
    wait_for(post_saying(homeserver, help_room, root, "4 of 5"))


def test_a_stranger_cannot_resolve_with_a_reaction(
        homeserver: Homeserver, help_room: str, make_settings: Callable[..., Settings],
        sqlite_url: str, start_daemon: Callable[[Settings], Any]) -> None:
    daemon = start_daemon(desk_for(homeserver, help_room, make_settings, sqlite_url))
    wait_for(lambda: daemon.daemon.chat.health()["matrix"].startswith("connected"),
             timeout=30)
    root = homeserver.customer.say(help_room, "Printer offline")
    ticket = wait_for(lambda: Ticket.get_or_none(Ticket.subject == "Printer offline"))
    wait_for(post_saying(homeserver, help_room, root, f"#{ticket.id}"))

    homeserver.stranger.react(help_room, root, "✅")
    homeserver.stranger.say(help_room, "#status resolved", root)
    wait_for(lambda: Message.get_or_none((Message.ticket == ticket.id)
                                         & (Message.text == "#status resolved")))

    refused = wait_for(lambda: Inbound.get_or_none((Inbound.channel == "matrix")
                                                   & (Inbound.state == "ignored")))
    assert refused.reason == "reaction ✅ by someone who is not an agent"
    assert Ticket.get_by_id(ticket.id).status != "resolved"
