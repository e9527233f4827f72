"""Slack payloads -> what the desk sees, and posts -> Block Kit, on plain data."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from chat.slack_server import require_slack_sdk
from postdesk.channels.slack.blocks import message_blocks, share_blocks
from postdesk.channels.slack.payloads import (
    decode_action_id,
    escape_text,
    from_event_callback,
    from_interactive,
    plain_text,
)
from postdesk.chat.model import ChatButton


def callback(event: dict[str, object]) -> dict[str, object]:
    return {"type": "event_callback", "team_id": "T1", "event_id": "Ev1", "event": event}


def message(**fields: object) -> dict[str, object]:
    return {"type": "message", "channel": "C1", "user": "U1", "text": "hi",
            "ts": "1700000000.000200", **fields}


def test_a_thread_parent_is_top_level_and_a_reply_names_its_root() -> None:
    top = from_event_callback(callback(message(thread_ts="1700000000.000200")))
    reply = from_event_callback(callback(message(thread_ts="1700000000.000100")))
    assert top is not None and top.thread_id is None
    assert reply is not None and reply.thread_id == "1700000000.000100"
    assert top.sent_at is not None and top.sent_at.year == 2023


@pytest.mark.parametrize("fields", [
    {"subtype": "message_changed"}, {"subtype": "message_deleted"},
    {"subtype": "bot_message"}, {"subtype": "channel_join"}, {"bot_id": "B1"}, {"user": ""},
])
def test_edits_deletions_joins_and_bots_are_ignored(fields: dict[str, object]) -> None:
    assert from_event_callback(callback(message(**fields))) is None


def test_a_file_share_keeps_its_files_and_hidden_files_are_skipped() -> None:
    inbound = from_event_callback(callback(message(subtype="file_share", files=[
        {"id": "F1", "name": "a.png", "mimetype": "image/png", "size": 3,
         "url_private_download": "https://files.slack.com/a.png?download=1"},
        {"id": "F2", "mode": "tombstone"}])))
    assert inbound is not None
    assert [(f.file_id, f.name, f.size) for f in inbound.files] == [("F1", "a.png", 3)]


def test_reaction_concerns_the_reacted_message() -> None:
    inbound = from_event_callback(callback({
        "type": "reaction_added", "user": "U2", "reaction": "ticket",
        "item": {"type": "message", "channel": "C1", "ts": "1.2"}, "event_ts": "3.4"}))
    assert inbound is not None and inbound.kind == "reaction"
    assert (inbound.message_id, inbound.channel, inbound.reaction) == ("1.2", "C1", "ticket")
    file_reaction = callback({"type": "reaction_added", "user": "U2", "reaction": "x",
                              "item": {"type": "file", "file": "F1"}})
    assert from_event_callback(file_reaction) is None


def test_button_and_message_shortcut_are_actions_with_a_stable_id() -> None:
    press = {"type": "block_actions", "user": {"id": "U3", "team_id": "T1"},
             "team": {"id": "T1"}, "channel": {"id": "C1"},
             "message": {"ts": "5.6", "thread_ts": "1.2"},
             "actions": [{"action_id": "csat#3", "value": "3", "action_ts": "7.8"}]}
    inbound = from_interactive(press)
    assert inbound is not None and (inbound.action, inbound.action_value) == ("csat", "3")
    assert inbound.thread_id == "1.2" and inbound.event_id == "action:U3:7.8"
    assert from_interactive(press) == inbound  # a re-delivery dedups to the same id
    shortcut = {"type": "message_action", "callback_id": "make_ticket", "user": {"id": "U3"},
                "team": {"id": "T1"}, "channel": {"id": "C1"}, "message": {"ts": "5.6"},
                "action_ts": "9.0"}
    cut = from_interactive(shortcut)
    assert cut is not None and cut.action == "make_ticket" and cut.thread_id is None
    assert from_interactive({"type": "shortcut", "callback_id": "global"}) is None
    assert from_interactive({**press, "message": None}) is None  # a modal's button


def test_buttons_become_an_actions_block_with_unique_ids() -> None:
    assert message_blocks("plain", ()) is None
    ratings = [ChatButton("csat", str(n), str(n)) for n in range(1, 4)]
    blocks = message_blocks("Rate us", (*ratings, ChatButton("resolve", "Resolve",
                                                             style="danger")))
    assert blocks is not None
    assert blocks[0] == {"type": "section", "text": {"type": "mrkdwn", "text": "Rate us"}}
    elements = blocks[1]["elements"]
    assert [e["action_id"] for e in elements] == ["csat#1", "csat#2", "csat#3", "resolve"]
    assert [decode_action_id(e["action_id"]) for e in elements] == ["csat"] * 3 + ["resolve"]
    assert "style" not in elements[0] and elements[3]["style"] == "danger"
    assert "value" not in elements[3] and elements[1]["value"] == "2"


def test_platform_reads_the_slack_section_and_names_a_missing_key() -> None:
    from chat.slack_server import require_slack_sdk

    require_slack_sdk()
    from postdesk.channels.slack import platform

    section = SimpleNamespace(bot_token="xoxb-1", app_token="xapp-1", signing_secret="",
                              api_url="http://127.0.0.1:9/api")
    edge = platform(SimpleNamespace(slack=section), Path("."))
    assert edge.platform == "slack" and edge.health() == "not started"
    assert edge.client.base_url == "http://127.0.0.1:9/api/"  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match=r"\[slack\] app_token"):
        platform(SimpleNamespace(slack=SimpleNamespace(**{**section.__dict__,
                                                          "app_token": ""})), Path("."))
    with pytest.raises(ValueError, match=r"\[slack\] signing_secret"):
        platform(SimpleNamespace(slack=SimpleNamespace(
            **{**section.__dict__, "http_listen": "127.0.0.1:3000"})), Path("."))


def test_slack_markup_is_read_as_the_person_wrote_it() -> None:
    text = ("a &lt;b&gt; &amp;amp; <https://x.example/a?b=1&amp;c=2|the page> "
            "<https://y.example> <mailto:a@b.example|a@b.example> <#C1|help> <!here> <@U7>")
    assert plain_text(text) == ("a <b> &amp; the page (https://x.example/a?b=1&c=2) "
                                "https://y.example a@b.example #help @here <@U7>")
    inbound = from_event_callback(callback(message(text="1 &lt; 2")))
    assert inbound is not None and inbound.text == "1 < 2"


def test_the_desks_text_cannot_mention_or_link() -> None:
    assert escape_text("<!channel> & <https://evil.example|bank>") == (
        "&lt;!channel&gt; &amp; &lt;https://evil.example|bank&gt;")
    blocks = message_blocks("<!here> hi", (ChatButton("resolve", "Resolve"),))
    assert blocks is not None and blocks[0]["text"]["text"] == "&lt;!here&gt; hi"


def test_a_share_of_files_says_its_words_in_sections_marked_by_its_first_block_id() -> None:
    """completeUploadExternal takes no metadata: the share is found again after a crash by
    its first block's id, and its words keep Slack's 3,000-character section limit."""
    require_slack_sdk()  # web_api's module talks to Slack through it (CI: a failure)
    from postdesk.channels.slack.web_api import marked_message, share_block_id

    words = "Invoice <attached> & " + "x" * 3500
    blocks = share_blocks(words, share_block_id("postdesk-chat-9"))
    assert [b["text"]["text"] for b in blocks] == [
        escape_text(words)[:3000], escape_text(words)[3000:]]
    assert [b.get("block_id") for b in blocks] == ["postdesk_outbox:postdesk-chat-9", None]
    share = {"ts": "1.2", "blocks": blocks, "files": [{"id": "F1"}]}
    assert marked_message([share], "postdesk-chat-9") == "1.2"
    assert marked_message([share], "postdesk-chat-90") is None
    assert marked_message([share], "postdesk-chat-9/files") is None
