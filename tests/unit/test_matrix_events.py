"""The Matrix edge's pure parts on plain dicts: which room events are desk events and what
they mean, how a post becomes event content, and which emails count as verified."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from postdesk.channels.matrix import platform
from postdesk.channels.matrix.events import chat_event, room_event_facts
from postdesk.channels.matrix.identity import verified_email
from postdesk.channels.matrix.render import file_content, message_content
from postdesk.channels.matrix.sync_state import (
    SyncState,
    SyncStateError,
    load_sync_state,
    save_sync_state,
)
from postdesk.chat.model import ChatButton, ChatFile, ChatPost, ChatUser

ROOM = "!help:example.org"
DESK = "@helpdesk:example.org"
ALICE = ChatUser(platform="matrix", user_id="@alice:example.org", email="alice@example.org")


def event(content: dict, event_type: str = "m.room.message", sender: str = "@alice:example.org",
          event_id: str = "$e1") -> dict:
    return {"type": event_type, "sender": sender, "event_id": event_id,
            "origin_server_ts": 1_767_225_600_000, "content": content}


def test_a_top_level_text_message_is_a_message_without_thread() -> None:
    facts = room_event_facts(ROOM, event({"msgtype": "m.text", "body": "Printer jams"}), DESK)
    assert facts is not None
    chat = chat_event(facts, ALICE, "example.org")
    assert (chat.kind, chat.text, chat.thread_id, chat.message_id) == \
        ("message", "Printer jams", None, "$e1")
    assert chat.channel == ROOM and chat.workspace == "example.org"
    assert chat.sent_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert chat.dedup_key == "matrix:example.org:$e1"


def test_a_thread_reply_names_the_root_and_a_plain_reply_does_not() -> None:
    threaded = room_event_facts(ROOM, event({
        "msgtype": "m.text", "body": "more",
        "m.relates_to": {"rel_type": "m.thread", "event_id": "$root",
                         "m.in_reply_to": {"event_id": "$other"}}}), DESK)
    plain_reply = room_event_facts(ROOM, event({
        "msgtype": "m.text", "body": "more",
        "m.relates_to": {"m.in_reply_to": {"event_id": "$other"}}}), DESK)
    assert threaded is not None and threaded.thread_id == "$root"
    assert plain_reply is not None and plain_reply.thread_id is None


def test_a_reaction_concerns_the_annotated_message() -> None:
    facts = room_event_facts(ROOM, event(
        {"m.relates_to": {"rel_type": "m.annotation", "event_id": "$root", "key": "✅"}},
        "m.reaction", event_id="$r1"), DESK)
    assert facts is not None
    chat = chat_event(facts, ALICE, "example.org")
    assert (chat.kind, chat.event_id, chat.message_id, chat.reaction) == \
        ("reaction", "$r1", "$root", "✅")


def test_a_file_message_points_to_its_media_and_a_caption_is_its_text() -> None:
    bare = room_event_facts(ROOM, event({
        "msgtype": "m.image", "body": "shot.png", "url": "mxc://example.org/abc",
        "info": {"mimetype": "image/png", "size": 1234}}), DESK)
    captioned = room_event_facts(ROOM, event({
        "msgtype": "m.file", "body": "the log you asked for", "filename": "app.log",
        "url": "mxc://example.org/def"}), DESK)
    assert bare is not None and bare.media is not None
    assert (bare.media.name, bare.media.content_type, bare.media.size, bare.text) == \
        ("shot.png", "image/png", 1234, "")
    assert captioned is not None and captioned.media is not None
    assert (captioned.media.name, captioned.media.content_type, captioned.text) == \
        ("app.log", "application/octet-stream", "the log you asked for")


@pytest.mark.parametrize("raw", [
    event({"msgtype": "m.text", "body": "our own post"}, sender=DESK),
    event({"membership": "join"}, "m.room.member"),
    event({"algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "..."}, "m.room.encrypted"),
    event({}),  # redacted: the content is gone
    event({"msgtype": "m.text", "body": "* fixed", "m.new_content": {"body": "fixed"},
           "m.relates_to": {"rel_type": "m.replace", "event_id": "$e0"}}),
    event({"msgtype": "m.file", "body": "secret.pdf", "file": {"url": "mxc://x/y"}}),
    event({"msgtype": "m.location", "body": "here", "geo_uri": "geo:1,2"}),
    event({"m.relates_to": {"rel_type": "m.reference", "event_id": "$e0"}}, "m.reaction"),
    {"type": "m.room.message", "content": {"msgtype": "m.text", "body": "no sender"}},
], ids=["own", "membership", "encrypted", "redacted", "edit", "encrypted-file",
        "location", "not-annotation", "malformed"])
def test_what_is_not_a_desk_event_maps_to_none(raw: dict) -> None:
    assert room_event_facts(ROOM, raw, DESK) is None


def test_only_a_validated_email_counts() -> None:
    assert verified_email({"threepids": [
        {"medium": "msisdn", "address": "48600100200", "validated_at": 1},
        {"medium": "email", "address": "unchecked@example.org", "validated_at": None},
        {"medium": "email", "address": "Bob@Example.org", "validated_at": 1_700_000_000_000},
    ]}) == "bob@example.org"
    assert verified_email({"displayname": "alice@example.org", "threepids": []}) is None
    assert verified_email({}) is None


def post(**fields: object) -> ChatPost:
    values: dict = {"platform": "matrix", "workspace": "example.org", "channel": ROOM,
                    "thread_id": "$root", "text": "Ticket #5: Waiting for you",
                    "idempotency_key": "k1"}
    values.update(fields)
    return ChatPost(**values)


def test_a_thread_post_carries_the_thread_and_its_reply_fallback() -> None:
    content = message_content(post())
    assert content["body"] == "Ticket #5: Waiting for you"
    assert content["m.relates_to"] == {"rel_type": "m.thread", "event_id": "$root",
                                       "is_falling_back": True,
                                       "m.in_reply_to": {"event_id": "$root"}}
    assert "m.relates_to" not in message_content(post(thread_id=None))


def test_buttons_become_reactions_and_a_satisfaction_question_numbered_options() -> None:
    actions = message_content(post(buttons=(
        ChatButton("resolve", "Erledigt"), ChatButton("reopen", "Wieder öffnen"),
        ChatButton("reply_to_customer", "Dem Kunden antworten"))))
    assert actions["body"].splitlines()[-1] == \
        "✅ Erledigt · 🔄 Wieder öffnen · #public … → Dem Kunden antworten"
    survey = message_content(post(text="How did we do?", buttons=tuple(
        ChatButton("csat", label, str(value)) for value, label in
        [(1, "Poor"), (2, "Fair"), (3, "Good")])))
    assert survey["body"] == "How did we do?\n\n1️⃣ Poor\n2️⃣ Fair\n3️⃣ Good"


def test_the_requesters_buttons_have_no_reaction_the_post_says_what_to_answer() -> None:
    # Matrix has no buttons: "This solved it" is the answer "solved" the post asks for
    content = message_content(post(text="Answer \"solved\" if it helps.", buttons=(
        ChatButton("kb_solved", "This solved it"), ChatButton("kb_need_help", "I still need help"),
        ChatButton("resolve", "Resolve"))))
    assert content["body"] == "Answer \"solved\" if it helps.\n\n✅ Resolve"


def test_an_edit_replaces_the_earlier_post() -> None:
    content = message_content(post(text="Status: Resolved", edit_of="$status"))
    assert content["m.relates_to"] == {"rel_type": "m.replace", "event_id": "$status"}
    assert content["m.new_content"] == {"msgtype": "m.text", "body": "Status: Resolved"}
    assert content["body"] == "* Status: Resolved"


def test_the_sync_position_survives_a_restart_and_a_broken_file_is_named(
        tmp_path: Path) -> None:
    path = tmp_path / "state" / "matrix-sync.json"
    first = load_sync_state(path, now_ms=1000)
    assert first == SyncState(next_batch=None, listening_since_ms=1000)
    save_sync_state(path, SyncState(next_batch="s72_1", listening_since_ms=1000))
    assert load_sync_state(path, now_ms=9999) == SyncState("s72_1", 1000)
    assert not list(path.parent.glob(".*.tmp"))
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(SyncStateError, match=str(path)):
        load_sync_state(path, now_ms=1)


def test_a_file_is_an_image_or_a_file_event_in_the_thread() -> None:
    shot = file_content(ChatFile("shot.png", "image/png", b"png"), "mxc://example.org/a", "$root")
    log = file_content(ChatFile("app.log", "text/plain", b"log"), "mxc://example.org/b", None)
    assert (shot["msgtype"], shot["url"], shot["info"]) == \
        ("m.image", "mxc://example.org/a", {"mimetype": "image/png", "size": 3})
    assert shot["m.relates_to"]["event_id"] == "$root"
    assert (log["msgtype"], log["body"], log["filename"]) == ("m.file", "app.log", "app.log")
    assert "m.relates_to" not in log


def test_the_daemon_builds_the_edge_from_its_settings(tmp_path: Path) -> None:
    settings = SimpleNamespace(
        matrix=SimpleNamespace(homeserver="https://matrix.example.org/",
                               user_id=DESK, access_token="syt_secret"),
        matrix_rooms=[ROOM])
    edge = platform(settings, tmp_path)
    assert (edge.platform, edge.user_id, edge.rooms, edge.workspace) == \
        ("matrix", DESK, (ROOM,), "example.org")
    assert edge.api.homeserver == "https://matrix.example.org"
    assert edge.state_path == tmp_path / "matrix-sync.json"
