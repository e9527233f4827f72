"""A triage room against a real Synapse and a running `postdesk serve`: a new ticket is
posted there, and when the ticket changes (an agent resolves it in the help room) the
post is edited in place (an `m.replace` of it) to say the ticket's current state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from chat.matrix.conftest import Homeserver
from mailbuild import wait_for
from postdesk.config.settings import Settings
from postdesk.store.models import Ticket

pytestmark = pytest.mark.xdist_group("synapse")

TEAMS = """teams:
  - name: support
    agents:
      - {email: agent@example.org, name: "Alex Agent"}
"""


def edits_of(homeserver: Homeserver, room: str, root: str) -> list[dict[str, Any]]:
    """The bot's edits of `root`, oldest first, as the agent's client sees them."""
    return [event for event in homeserver.agent.room_events(room, limit=100)
            if event.get("sender") == homeserver.bot.user_id
            and (event["content"].get("m.relates_to") or {}) == {
                "rel_type": "m.replace", "event_id": root}]


def test_a_triage_post_is_edited_when_its_ticket_is_resolved(
        homeserver: Homeserver, help_room: str, make_settings: Callable[..., Settings],
        sqlite_url: str, start_daemon: Callable[[Settings], Any]) -> None:
    triage_room = homeserver.agent.create_room("Triage", [homeserver.bot.user_id])
    homeserver.bot.join(triage_room)
    settings = make_settings(sqlite_url, matrix_homeserver=homeserver.server.url,
                             matrix_user_id=homeserver.bot.user_id,
                             matrix_access_token=homeserver.bot.access_token)
    rules = settings.path(settings.paths.rules)
    (rules / "teams.yaml").write_text(TEAMS, encoding="utf-8")
    (rules / "channels.yaml").write_text(
        f'channels:\n  - {{platform: matrix, channel: "{help_room}", mode: help, '
        f'team: support}}\n  - {{platform: matrix, channel: "{triage_room}", '
        f'mode: triage}}\nreactions:\n  "✅": {{status: resolved}}\n', encoding="utf-8")
    daemon = start_daemon(settings)
    wait_for(lambda: daemon.daemon.chat.health()["matrix"].startswith("connected"),
             timeout=30)

    root = homeserver.customer.say(help_room, "Projector shows no picture")
    ticket = wait_for(lambda: Ticket.get_or_none(Ticket.subject == "Projector shows no picture"))
    post = wait_for(lambda: next(
        (event for event in homeserver.agent.room_events(triage_room)
         if event.get("sender") == homeserver.bot.user_id
         and f"#{ticket.id}" in event["content"].get("body", "")), None), timeout=30)
    assert "Status new" in post["content"]["body"]
    assert edits_of(homeserver, triage_room, post["event_id"]) == []

    homeserver.agent.react(help_room, root, "✅")
    wait_for(lambda: Ticket.get_by_id(ticket.id).status == "resolved")
    [edit] = wait_for(lambda: edits_of(homeserver, triage_room, post["event_id"]), timeout=30)
    shown = edit["content"]["m.new_content"]["body"]
    assert shown.startswith(f"New ticket #{ticket.id}: Projector shows no picture")
    assert "Status resolved" in shown and "Status new" not in shown
