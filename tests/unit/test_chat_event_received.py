"""`ChatEvent.received`, the one constructor the Slack and Teams edges share, on plain
data: the same button press read by either edge becomes the same event but for the
platform, and every field an edge read survives the inbound row (to_json / from_json)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from postdesk.channels.slack.payloads import SlackInbound, from_event_callback
from postdesk.channels.teams.activities import TeamsInbound, from_activity
from postdesk.chat.model import ChatEvent, ChatFile, ChatUser

SENT = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
ANNA = ChatUser(platform="slack", user_id="U0ANNA", email="anna@example.com")
PDF = ChatFile("plan.pdf", "application/pdf", b"%PDF", platform_id="F1")


def test_a_button_press_read_by_either_edge_is_the_same_event() -> None:
    slack = SlackInbound(kind="action", event_id="E1", workspace="T1", channel="C1",
                         user_id="U0ANNA", message_id="171.1", thread_id="170.1",
                         text="", reaction=None, action="resolve", action_value="7",
                         sent_at=SENT)
    teams = TeamsInbound(kind="action", event_id="E1", workspace="T1", channel="C1",
                         conversation="C1;messageid=170.1", service_url="https://smba/",
                         user_id="29:anna", aad_object_id="aad-anna", display_name="Anna",
                         message_id="171.1", thread_id="170.1", action="resolve",
                         action_value="7", sent_at=SENT)
    from_slack = ChatEvent.received("slack", slack, ANNA)
    from_teams = ChatEvent.received("teams", teams, ANNA)
    assert from_teams == replace(from_slack, platform="teams")
    assert (from_slack.action, from_slack.action_value, from_slack.thread_root) == (
        "resolve", "7", "170.1")


def test_what_the_slack_edge_read_survives_the_inbound_row() -> None:
    body = {"type": "event_callback", "team_id": "T1", "event_id": "Ev1", "event": {
        "type": "message", "channel": "C1", "user": "U0ANNA", "text": "see the plan",
        "ts": "1765101600.000200", "thread_ts": "1765101500.000100", "team": "T1"}}
    inbound = from_event_callback(body)
    assert inbound is not None
    event = ChatEvent.received("slack", inbound, ANNA, (PDF,))
    assert (event.platform, event.event_id, event.channel, event.message_id,
            event.thread_id, event.text, event.files) == (
        "slack", "Ev1", "C1", "1765101600.000200", "1765101500.000100", "see the plan",
        (PDF,))
    assert event.sent_at is not None
    assert ChatEvent.from_json(event.to_json()) == event


def test_a_teams_reaction_keeps_its_name() -> None:
    [inbound] = from_activity({
        "type": "messageReaction", "id": "r1", "serviceUrl": "https://smba/",
        "from": {"id": "29:anna", "aadObjectId": "aad-anna", "name": "Anna"},
        "recipient": {"id": "28:bot"}, "replyToId": "1700000000002",
        "conversation": {"id": "19:abc@thread.tacv2;messageid=1700000000001",
                         "tenantId": "t1"},
        "channelData": {"channel": {"id": "19:abc@thread.tacv2"}, "tenant": {"id": "t1"}},
        "reactionsAdded": [{"type": "like"}]})
    event = ChatEvent.received("teams", inbound, replace(ANNA, platform="teams"))
    assert (event.kind, event.reaction, event.message_id) == (
        "reaction", "like", "1700000000002")
