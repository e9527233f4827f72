"""What a Slack payload says, read into plain data before any network call.

Pure: the Events API's `event_callback` bodies (`message`, `reaction_added`) and the
interactivity payloads (`block_actions`, `message_action`) become a `SlackInbound`,
or None for what the desk ignores (bot messages, edits, deletions, joins...). The
edge then resolves the author (`users.info`) and fetches the files, and only then
builds the `ChatEvent` it hands to the intake.

Slack's documentation followed: the `message` event and its subtypes, the
`reaction_added` event, the Events API's outer `event_callback` envelope, and the
interactivity payloads of `block_actions` and message shortcuts (`message_action`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from postdesk.chat.model import EventKind

#: message subtypes that still carry a person's message; every other subtype
#: (bot_message, message_changed, message_deleted, channel_join, ...) is ignored
PERSON_SUBTYPES = frozenset({"file_share", "thread_broadcast"})

#: the button's action id carries a "#n" suffix when one post has two buttons of the
#: same action (Slack refuses duplicate action ids within a block)
ACTION_SUFFIX = "#"

#: Slack's control sequences in message text: <url|label>, <@U123>, <#C123|name>, <!here>
CONTROL = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


@dataclass(frozen=True)
class SlackFileRef:
    """A file a message shares, before it is downloaded."""

    file_id: str
    name: str
    content_type: str
    size: int
    url: str  # url_private_download (or url_private when Slack gives no download URL)


@dataclass(frozen=True)
class SlackInbound:
    """One Slack event the desk cares about, with the author still a bare user id."""

    kind: EventKind
    event_id: str
    workspace: str
    channel: str
    user_id: str
    message_id: str
    thread_id: str | None = None
    text: str = ""
    files: tuple[SlackFileRef, ...] = ()
    reaction: str | None = None
    action: str | None = None
    action_value: str | None = None
    sent_at: datetime | None = None


def from_event_callback(body: dict[str, Any]) -> SlackInbound | None:
    """An Events API body (`type: event_callback`) -> the event, or None when ignored."""
    event = body.get("event") or {}
    event_id = str(body.get("event_id") or "")
    workspace = str(body.get("team_id") or event.get("team") or "")
    if not event_id:
        return None
    if event.get("type") == "message":
        return _message(event, event_id, workspace)
    if event.get("type") == "reaction_added":
        return _reaction(event, event_id, workspace)
    return None


def _message(event: dict[str, Any], event_id: str, workspace: str) -> SlackInbound | None:
    subtype = event.get("subtype")
    if subtype is not None and subtype not in PERSON_SUBTYPES:
        return None
    if event.get("bot_id") or not event.get("user"):
        return None
    ts = str(event.get("ts") or "")
    thread_ts = event.get("thread_ts")
    return SlackInbound(
        kind="message", event_id=event_id, workspace=workspace,
        channel=str(event.get("channel") or ""), user_id=str(event["user"]), message_id=ts,
        thread_id=str(thread_ts) if thread_ts and thread_ts != ts else None,
        text=plain_text(str(event.get("text") or "")),
        files=tuple(ref for item in event.get("files") or () if (ref := _file_ref(item))),
        sent_at=_slack_time(ts))


def _file_ref(item: dict[str, Any]) -> SlackFileRef | None:
    url = item.get("url_private_download") or item.get("url_private")
    if not url or not item.get("id"):
        return None  # a file Slack shows as hidden/tombstoned carries no URL
    return SlackFileRef(
        file_id=str(item["id"]), name=str(item.get("name") or item["id"]),
        content_type=str(item.get("mimetype") or "application/octet-stream"),
        size=int(item.get("size") or 0), url=str(url))


def _reaction(event: dict[str, Any], event_id: str, workspace: str) -> SlackInbound | None:
    item = event.get("item") or {}
    if item.get("type") != "message" or not event.get("user"):
        return None
    return SlackInbound(
        kind="reaction", event_id=event_id, workspace=workspace,
        channel=str(item.get("channel") or ""), user_id=str(event["user"]),
        message_id=str(item.get("ts") or ""), reaction=str(event.get("reaction") or ""),
        sent_at=_slack_time(str(event.get("event_ts") or "")))


def from_interactive(body: dict[str, Any]) -> SlackInbound | None:
    """A button press (`block_actions`) or a message shortcut (`message_action`).

    The event id is built from the payload's `action_ts`, which Slack keeps on a
    re-delivery, so a retried press is deduplicated like a retried event.
    """
    kind = body.get("type")
    user = body.get("user") or {}
    workspace = str((body.get("team") or {}).get("id") or user.get("team_id") or "")
    message = body.get("message") or {}
    if kind == "block_actions":
        actions = body.get("actions") or []
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
            "channel_id")
        if not actions or not channel or not message:
            return None  # a button outside a channel message (a modal, the Home tab)
        pressed = actions[0]
        return _action(body, message, workspace, str(channel), str(user.get("id") or ""),
                       action=decode_action_id(str(pressed.get("action_id") or "")),
                       value=pressed.get("value"),
                       action_ts=str(pressed.get("action_ts") or ""))
    if kind == "message_action":
        channel = (body.get("channel") or {}).get("id")
        if not channel or not message:
            return None
        return _action(body, message, workspace, str(channel), str(user.get("id") or ""),
                       action=str(body.get("callback_id") or ""), value=None,
                       action_ts=str(body.get("action_ts") or ""))
    return None


def _action(body: dict[str, Any], message: dict[str, Any], workspace: str, channel: str,
            user_id: str, *, action: str, value: Any, action_ts: str) -> SlackInbound | None:
    if not user_id or not action:
        return None
    ts = str(message.get("ts") or body.get("message_ts") or "")
    thread_ts = message.get("thread_ts")
    stamp = action_ts or str(body.get("trigger_id") or "")
    return SlackInbound(
        kind="action", event_id=f"action:{user_id}:{stamp}", workspace=workspace,
        channel=channel, user_id=user_id, message_id=ts,
        thread_id=str(thread_ts) if thread_ts and thread_ts != ts else None,
        action=action, action_value=None if value is None else str(value),
        sent_at=_slack_time(action_ts))


def plain_text(text: str) -> str:
    """Slack's message text as a person wrote it: links as "label (url)", channel names
    as #name, `<!here>` as @here, and &lt; &gt; &amp; unescaped (Slack escapes them;
    "Formatting text for app surfaces"). User mentions stay `<@U...>` for the core."""
    def spelled(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith("@"):
            return match.group(0)
        if target.startswith("#"):
            return f"#{label}" if label else target
        if target.startswith("!"):
            return label or "@" + target[1:].split("^", 1)[0]
        if target.startswith("mailto:"):
            return label or target.removeprefix("mailto:")
        return f"{label} ({target})" if label and label != target else target
    return _unescape(CONTROL.sub(spelled, text))


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def escape_text(text: str) -> str:
    """The desk's text made inert for Slack: & < > escaped, so a customer's words can
    never become a link, a mention or `<!channel>` (Slack: "Escaping text")."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def decode_action_id(action_id: str) -> str:
    """The desk's action name from a button's action id (without the "#n" suffix)."""
    return action_id.split(ACTION_SUFFIX, 1)[0]


def _slack_time(ts: str) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(ts), tz=UTC)
    except ValueError:
        return None
