"""Issue 20, point 5 (second half) and live rooms, against a real Synapse and a running
`postdesk serve`: a customer who wrote by mail and is a known Matrix user gets the desk's
customer mails as direct messages too (channels.yaml `notify_mail_requesters_in_chat`),
nobody else does, never an internal note; and a help room added to channels.yaml while
the desk runs is joined and read without a restart."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable
from typing import Any

import pytest

from chat.matrix.conftest import Homeserver
from chat.matrix.test_matrix_desk import desk_for, post_saying
from chat.synapse import MatrixUser
from mailbuild import customer_mail, mails_to, reply_to, send_mail, text_of, wait_for
from postdesk.config.settings import Settings
from postdesk.store.chat_store import ChatOutbox
from postdesk.store.models import Ticket

pytestmark = pytest.mark.xdist_group("synapse")

NOTIFY = "notify_mail_requesters_in_chat: {platform: matrix}\n"


def desk(homeserver: Homeserver, room: str, make_settings: Callable[..., Settings],
         database_url: str, *, notify: bool) -> Settings:
    settings = desk_for(homeserver, room, make_settings, database_url)
    if notify:
        channels = settings.path(settings.paths.rules) / "channels.yaml"
        channels.write_text(channels.read_text(encoding="utf-8") + NOTIFY, encoding="utf-8")
    return settings


def known_in_chat(homeserver: Homeserver, room: str, daemon: Any) -> None:
    """The customer asks once in the help room: the desk has seen their account."""
    wait_for(lambda: daemon.daemon.chat.health()["matrix"].startswith("connected"),
             timeout=30)
    root = homeserver.customer.say(room, "VPN keeps dropping")
    ticket = wait_for(lambda: Ticket.get_or_none(Ticket.subject == "VPN keeps dropping"))
    wait_for(post_saying(homeserver, room, root, f"#{ticket.id}"))


def mail_ticket(daemon: Any, sender: str, subject: str, message_id: str) -> Ticket:
    send_mail(daemon, customer_mail(sender=sender, subject=subject, message_id=message_id))
    return wait_for(lambda: Ticket.get_or_none(Ticket.subject == subject))


def agent_answers(daemon: Any, ticket: Ticket, body: str, message_id: str) -> None:
    notification = wait_for(lambda: [m for m in mails_to(daemon, "agent@example.org")
                                     if f"#{ticket.id}" in str(m["Subject"])])[0]
    send_mail(daemon, reply_to(notification, body, sender="Alex Agent <agent@example.org>",
                               message_id=message_id))


def direct_rooms(user: MatrixUser, bot: MatrixUser) -> list[str]:
    """The rooms `bot` keeps as its direct chats with `user` (its `m.direct` account data)
    in which it invited `user` as to a direct chat."""
    rooms = []
    for room_id in _direct_map(bot).get(user.user_id, []):
        member = bot.call("GET", f"/_matrix/client/v3/rooms/{_q(room_id)}/state/"
                                 f"m.room.member/{_q(user.user_id)}")
        if member.get("membership") in ("invite", "join") and (
                member.get("is_direct") or member.get("membership") == "join"):
            rooms.append(room_id)
    return rooms


def _direct_map(bot: MatrixUser) -> dict[str, list[str]]:
    try:
        return bot.call("GET", f"/_matrix/client/v3/user/{_q(bot.user_id)}"
                               "/account_data/m.direct")
    except RuntimeError:  # 404: never set
        return {}


def _q(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def bodies(user: MatrixUser, room: str) -> list[str]:
    return [str(event["content"].get("body", "")) for event in user.room_events(room)
            if event.get("type") == "m.room.message"]


def test_a_known_chat_user_who_wrote_by_mail_gets_direct_messages(
        homeserver: Homeserver, help_room: str, make_settings: Callable[..., Settings],
        sqlite_url: str, start_daemon: Callable[[Settings], Any]) -> None:
    daemon = start_daemon(desk(homeserver, help_room, make_settings, sqlite_url, notify=True))
    known_in_chat(homeserver, help_room, daemon)

    ticket = mail_ticket(daemon, "Casey <customer@example.org>", "Invoice address wrong",
                         "<invoice@example.org>")
    agent_answers(daemon, ticket, "#note\nFinance says the customer owes us money.",
                  "<note@example.org>")
    agent_answers(daemon, ticket, "I corrected the address on your invoice.",
                  "<answer@example.org>")

    rooms = wait_for(lambda: direct_rooms(homeserver.customer, homeserver.bot), timeout=20)
    assert len(rooms) == 1
    room = rooms[0]
    homeserver.customer.join(room)
    answer = wait_for(lambda: next((b for b in bodies(homeserver.customer, room)
                                    if "corrected the address" in b), None))
    assert f"#{ticket.id}" in answer and "Invoice address wrong" in answer
    assert "Alex Agent" in answer
    assert "/t/" in answer  # the link to the ticket's page
    # the mail went all the same: email stays the spine
    mails = wait_for(lambda: [m for m in mails_to(daemon, "customer@example.org")
                              if "corrected the address" in text_of(m)])
    assert mails

    # a status change comes in customer terms, in the same direct room (reused)
    agent_answers(daemon, ticket, "#status resolved", "<resolve@example.org>")
    wait_for(lambda: any("is done" in b for b in bodies(homeserver.customer, room)))
    assert direct_rooms(homeserver.customer, homeserver.bot) == [room]
    assert json.dumps(bodies(homeserver.customer, room)).count("Finance says") == 0
    assert not [b for b in bodies(homeserver.customer, room) if "owes us money" in b]

    # someone the desk has never seen in chat gets mail only
    other = mail_ticket(daemon, "Robin <robin@example.org>", "Password reset",
                        "<reset@example.org>")
    agent_answers(daemon, other, "Here is your reset link.", "<reset-answer@example.org>")
    wait_for(lambda: [m for m in mails_to(daemon, "robin@example.org")
                      if "reset link" in text_of(m)])
    assert not ChatOutbox.select().where(ChatOutbox.ticket == other.id).exists()
    assert set(_direct_map(homeserver.bot)) == {homeserver.customer.user_id}

    # a customer who left the direct room is not invited again at each notification
    homeserver.customer.call("POST", f"/_matrix/client/v3/rooms/{_q(room)}/leave", {})
    agent_answers(daemon, ticket, "#reopen\nReopened: one more line to fix.",
                  "<reopen@example.org>")
    refused = wait_for(lambda: ChatOutbox.get_or_none(
        (ChatOutbox.ticket == ticket.id) & (ChatOutbox.state == "failed")), timeout=20)
    assert "left the desk's direct room" in refused.last_error
    assert _direct_map(homeserver.bot)[homeserver.customer.user_id] == [room]
    assert wait_for(lambda: [m for m in mails_to(daemon, "customer@example.org")
                             if "one more line" in text_of(m)])


def test_with_the_setting_off_nobody_gets_a_direct_message(
        homeserver: Homeserver, help_room: str, make_settings: Callable[..., Settings],
        sqlite_url: str, start_daemon: Callable[[Settings], Any]) -> None:
    daemon = start_daemon(desk(homeserver, help_room, make_settings, sqlite_url,
                               notify=False))
    known_in_chat(homeserver, help_room, daemon)
    before = _direct_map(homeserver.bot).get(homeserver.customer.user_id, [])

    ticket = mail_ticket(daemon, "Casey <customer@example.org>", "Monitor flickers",
                         "<monitor@example.org>")
    agent_answers(daemon, ticket, "Please try another cable.", "<cable@example.org>")
    wait_for(lambda: [m for m in mails_to(daemon, "customer@example.org")
                      if "another cable" in text_of(m)])
    assert not ChatOutbox.select().where(ChatOutbox.ticket == ticket.id).exists()
    assert _direct_map(homeserver.bot).get(homeserver.customer.user_id, []) == before


def test_a_help_room_added_to_channels_yaml_is_joined_without_a_restart(
        homeserver: Homeserver, help_room: str, make_settings: Callable[..., Settings],
        sqlite_url: str, start_daemon: Callable[[Settings], Any]) -> None:
    settings = desk_for(homeserver, help_room, make_settings, sqlite_url)
    daemon = start_daemon(settings)
    wait_for(lambda: daemon.daemon.chat.health()["matrix"].startswith("connected"),
             timeout=30)
    new_room = homeserver.agent.create_room("Help 2", [homeserver.bot.user_id])
    homeserver.customer.join(new_room)

    channels = settings.path(settings.paths.rules) / "channels.yaml"
    channels.write_text(channels.read_text(encoding="utf-8").replace(
        "reactions:", f'  - platform: matrix\n    channel: "{new_room}"\n    mode: help\n'
                      "reactions:"), encoding="utf-8")
    # the desk joins the room it was invited to once the file lists it
    wait_for(lambda: homeserver.bot.user_id in joined_members(homeserver.agent, new_room),
             timeout=30)
    root = homeserver.customer.say(new_room, "Cannot print from the new room")
    ticket = wait_for(lambda: Ticket.get_or_none(
        Ticket.subject == "Cannot print from the new room"), timeout=30)
    wait_for(post_saying(homeserver, new_room, root, f"#{ticket.id}"))


def joined_members(user: MatrixUser, room: str) -> set[str]:
    answer = user.call("GET", f"/_matrix/client/v3/rooms/{_q(room)}/joined_members")
    return set(answer.get("joined") or {})
