"""The Teams edge's pure mapping on plain data: activities -> events, posts -> activities.

Activity shapes follow the Bot Framework Activity schema with Teams' channel data (see
teams_server.py for the documents); cards follow the Adaptive Cards 1.4 schema.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chat.teams_server import require_agents_sdk

require_agents_sdk()

from postdesk.channels.teams.activities import (  # noqa: E402
    from_activity,
    plain_text,
    thread_conversation,
)
from postdesk.channels.teams.cards import message_activity  # noqa: E402
from postdesk.chat.model import ChatButton, ChatFile, ChatPost  # noqa: E402

BOT = "28:bot"
FILE_INFO = "application/vnd.microsoft.teams.file.download.info"
CHANNEL = "19:abc@thread.tacv2"


def activity(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "type": "message", "id": "1700000000002", "serviceUrl": "https://smba.example/emea/",
        "from": {"id": "29:anna", "aadObjectId": "aad-anna", "name": "Anna"},
        "recipient": {"id": BOT}, "locale": "de-DE",
        "conversation": {"id": f"{CHANNEL};messageid=1700000000001", "tenantId": "t1"},
        "channelData": {"channel": {"id": CHANNEL}, "tenant": {"id": "t1"}},
        "timestamp": "2026-12-07T10:00:00.000Z", "text": "hello"}
    base.update(fields)
    return base


def test_a_reply_in_a_channel_thread_names_its_root() -> None:
    [event] = from_activity(activity())
    assert event.kind == "message" and event.thread_id == "1700000000001"
    assert event.channel == CHANNEL and event.workspace == "t1"
    assert event.conversation == f"{CHANNEL};messageid=1700000000001"
    assert event.aad_object_id == "aad-anna" and event.locale == "de-DE"
    assert event.sent_at is not None and event.sent_at.tzinfo is not None


def test_a_top_level_post_is_its_own_thread_root() -> None:
    [event] = from_activity(activity(conversation={
        "id": f"{CHANNEL};messageid=1700000000002"}))
    assert event.thread_id is None and event.message_id == "1700000000002"


@pytest.mark.parametrize("ignored", [
    {"type": "typing"}, {"type": "conversationUpdate"},
    {"from": {"id": BOT}},  # the bot's own message
    {"type": "messageReaction", "reactionsRemoved": [{"type": "like"}], "replyToId": "1"},
    {"type": "invoke", "name": "composeExtension/query", "value": {}},
])
def test_what_the_desk_ignores(ignored: dict[str, Any]) -> None:
    assert from_activity(activity(**ignored)) == []


def test_two_reactions_in_one_activity_are_two_events_with_their_own_ids() -> None:
    events = from_activity(activity(type="messageReaction", replyToId="1700000000001",
                                    reactionsAdded=[{"type": "like"}, {"type": "heart"}]))
    assert [(e.kind, e.reaction, e.message_id) for e in events] == [
        ("reaction", "like", "1700000000001"), ("reaction", "heart", "1700000000001")]
    assert len({e.event_id for e in events}) == 2


def test_a_reaction_without_an_activity_id_still_gets_a_stable_one() -> None:
    reaction = activity(type="messageReaction", replyToId="1700000000001",
                        reactionsAdded=[{"type": "like"}])
    del reaction["id"]
    [first] = from_activity(reaction)
    [again] = from_activity(dict(reaction))  # the Connector's retry of the same activity
    assert first.kind == "reaction" and first.event_id == again.event_id
    assert "1700000000001" in first.event_id


def test_an_action_submit_press_and_a_stray_value() -> None:
    [press] = from_activity(activity(text=None, replyToId="card-1", value={
        "postdesk_action": "resolve", "postdesk_value": "42"}))
    assert press.kind == "action" and press.action == "resolve"
    assert press.action_value == "42" and press.message_id == "card-1"
    [other] = from_activity(activity(value={"something": "else"}))
    assert other.kind == "message"  # not one of our buttons: an ordinary message


def test_teams_html_text_becomes_plain_and_the_bots_mention_goes() -> None:
    text = "<p><at>Postdesk</at>&nbsp;printer &lt;HP&gt; &amp; <b>toner</b></p><p>line 2</p>"
    assert plain_text(text, ("<at>Postdesk</at>",)) == "printer <HP> & toner\nline 2"
    [event] = from_activity(activity(text="<at>Postdesk</at> hi <at>Jan</at>", entities=[
        {"type": "mention", "text": "<at>Postdesk</at>", "mentioned": {"id": BOT}},
        {"type": "mention", "text": "<at>Jan</at>", "mentioned": {"id": "29:jan"}}]))
    assert event.text == "hi Jan"


def test_only_bot_connector_hosted_files_get_the_token() -> None:
    [event] = from_activity(activity(attachments=[
        {"contentType": "image/png", "contentUrl": "https://smba.example/v3/attachments/x"},
        {"contentType": "image/png", "contentUrl": "https://elsewhere.example/x.png"},
        {"contentType": "application/vnd.microsoft.teams.file.download.info", "name": "a.xlsx",
         "content": {"downloadUrl": "https://sp.example/a", "fileType": "xlsx"}},
        {"contentType": "application/vnd.microsoft.card.adaptive", "content": {}}]))
    assert [(f.url, f.needs_token) for f in event.files] == [
        ("https://smba.example/v3/attachments/x", True),
        ("https://elsewhere.example/x.png", False), ("https://sp.example/a", False)]
    assert event.files[2].content_type.startswith("application/vnd.openxmlformats")


def test_only_channels_have_thread_conversations() -> None:
    assert thread_conversation(CHANNEL, "17") == f"{CHANNEL};messageid=17"
    assert thread_conversation("19:old@thread.skype", "17") == "19:old@thread.skype;messageid=17"
    assert thread_conversation(CHANNEL, None) == CHANNEL
    assert thread_conversation("19:group@thread.v2", "17") == "19:group@thread.v2"
    assert thread_conversation("a:1personal", "17") == "a:1personal"


def post(**fields: Any) -> ChatPost:
    base: dict[str, Any] = {"platform": "teams", "workspace": "t1", "channel": CHANNEL,
                            "thread_id": None, "text": "Ticket <#7> & co",
                            "idempotency_key": "k"}
    base.update(fields)
    return ChatPost(**base)


def test_a_plain_post_is_escaped_markdown_text() -> None:
    assert message_activity(post()) == {"type": "message", "textFormat": "markdown",
                                        "text": "Ticket &lt;#7&gt; &amp; co"}


def test_buttons_make_one_adaptive_card_and_the_text_is_shown_once() -> None:
    sent = message_activity(post(buttons=(ChatButton("reopen", "Reopen", "7", "danger"),)))
    assert "text" not in sent
    [card] = sent["attachments"]
    assert card["content"]["body"] == [
        {"type": "TextBlock", "text": "Ticket &lt;#7&gt; &amp; co", "wrap": True}]
    assert card["content"]["actions"] == [{
        "type": "Action.Submit", "title": "Reopen", "style": "destructive",
        "data": {"postdesk_action": "reopen", "postdesk_value": "7"}}]


def test_images_go_inline_and_other_files_are_named_not_dropped() -> None:
    sent = message_activity(post(files=(
        ChatFile("shot.png", "image/png", b"\x89PNG"),
        ChatFile("log.txt", "text/plain", b"x"))))
    assert sent["text"].endswith("📎 log.txt")
    [image] = sent["attachments"]
    assert image["contentUrl"] == "data:image/png;base64,iVBORw=="


def test_a_file_teams_cannot_carry_is_a_link_with_its_note_or_its_note_alone() -> None:
    link = "https://help.example.com/f/7.3.1.1900000000.sig"
    sent = message_activity(post(files=(
        ChatFile("[a] <b>.pdf", "application/pdf", b"%PDF", link=link,
                 note="Download-Link, 30 Tage gültig"),
        ChatFile("big.zip", "application/zip", b"PK",
                 note="Anhang: big.zip, siehe die E-Mail"))))
    assert sent["text"].splitlines()[-3:] == [
        f"📎 [(a) &lt;b&gt;.pdf]({link}) (Download-Link, 30 Tage gültig)", "",
        "📎 Anhang: big.zip, siehe die E-Mail"]
    with_buttons = message_activity(post(buttons=(ChatButton("reopen", "Reopen", "7"),),
                                         files=(ChatFile("a.pdf", "application/pdf", b"%",
                                                         link=link),)))
    [card] = with_buttons["attachments"]
    assert card["content"]["body"][0]["text"].endswith(f"📎 [a.pdf]({link})")


def test_the_settings_make_an_edge_and_bad_ones_name_the_option(tmp_path: Any) -> None:
    from types import SimpleNamespace

    from postdesk.channels.teams import platform
    from postdesk.errors import ConfigError

    def settings(**teams: str) -> Any:
        return SimpleNamespace(teams=SimpleNamespace(**teams))

    edge = platform(settings(app_id="a1", app_password="s", tenant_id="t"), tmp_path)
    assert edge.platform == "teams" and edge.health() == "not started"
    assert edge.address == "127.0.0.1:3978/api/messages"  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match=r"\[teams\] app_id"):
        platform(settings(app_id="", app_password="s"), tmp_path)
    with pytest.raises(ValueError, match=r"\[teams\] app_password"):
        platform(settings(app_id="a1"), tmp_path)
    with pytest.raises(ConfigError, match=r"\[teams\] listen"):
        platform(settings(app_id="a1", app_password="s", listen="3978"), tmp_path)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3),
    max_leaves=8)


@settings(derandomize=True, max_examples=200, deadline=None)
@given(st.fixed_dictionaries({}, optional={
    "type": st.sampled_from(["message", "messageReaction", "invoke", "typing"]),
    "name": st.sampled_from(["adaptiveCard/action", "x"]),
    "value": json_values, "channelData": json_values, "text": st.text(max_size=30),
    "replyToId": st.text(max_size=5), "timestamp": st.text(max_size=10),
    "reactionsAdded": st.lists(st.fixed_dictionaries({"type": st.text(max_size=5)}),
                               max_size=2),
    "attachments": st.lists(st.fixed_dictionaries({
        "contentType": st.sampled_from(["image/png", FILE_INFO, "text/html"]),
        "contentUrl": st.text(max_size=10), "content": json_values}), max_size=2),
}))
def test_any_activity_the_sdk_accepts_maps_without_an_exception(fields: dict[str, Any]) -> None:
    """A poison activity must not answer 500 forever: what the SDK's schema admits is read
    into events or ignored, never an exception."""
    from microsoft_agents.activity import Activity

    try:
        parsed = Activity.model_validate(activity(**fields))
    except ValueError:
        return  # the SDK's adapter refuses it before our turn
    for event in from_activity(parsed.model_dump(mode="json", by_alias=True,
                                                 exclude_none=True)):
        assert event.event_id and event.kind in ("message", "reaction", "action")


def test_service_urls_survive_a_restart_and_an_unwritable_folder_refuses_nothing(
        tmp_path: Any) -> None:
    from postdesk.channels.teams.service_urls import GLOBAL_SERVICE_URL, ServiceUrls

    urls = ServiceUrls(tmp_path)
    assert urls.lookup("t1", CHANNEL) == GLOBAL_SERVICE_URL
    urls.remember("t1", CHANNEL, "https://smba.example/emea/")
    again = ServiceUrls(tmp_path)
    assert again.lookup("t1", CHANNEL) == "https://smba.example/emea/"
    assert again.lookup("t1", "19:other@thread.tacv2") == "https://smba.example/emea/"
    gone = ServiceUrls(tmp_path / "missing")
    gone.remember("t1", CHANNEL, "https://smba.example/amer/")  # logged, not raised
    assert gone.lookup("t1", CHANNEL) == "https://smba.example/amer/"
