"""What a Teams activity says, read into plain data before any network call.

Pure: a Bot Framework activity (as JSON, after the SDK validated its token) becomes a
`TeamsInbound`, or None for what the desk ignores (typing, conversation updates, the
bot's own messages, a reaction removed). The edge then resolves the author through
the Bot Connector's member API and fetches the files, and only then builds the
`ChatEvent` it hands to the intake.

Mapping (Teams channel conversations):
- a top-level channel post arrives with `conversation.id` = `19:...@thread.tacv2;messageid=
  <its own id>`; a reply in its thread with the same suffix naming the root, so
  `thread_id` is the root when it differs from the activity's own id;
- `messageReaction` names the message reacted to in `replyToId`; each added reaction
  type (`like`, `heart`, ...) is one reaction event;
- a press of an Adaptive Card `Action.Submit` button comes back as a `message` with the
  button's `data` in `value` and no text; an `Action.Execute` press as an `invoke`
  named `adaptiveCard/action` with the data in `value.action.data`. Both carry the
  desk's action under `DATA_ACTION` (see `cards.py`).

Microsoft's documentation followed: the Bot Framework Activity schema (Bot Connector
REST API reference: Activity, ChannelAccount, ConversationAccount, Attachment), Teams'
"Conversation basics" / "Channel and group chat conversations with a bot" (the
`;messageid=` thread suffix, channelData.team / channel / tenant), "Receive reactions"
(messageReaction), "Send and receive files" (file.download.info attachments) and
"Universal Actions for Adaptive Cards" / "Card actions" (Action.Submit, Action.Execute).
"""

from __future__ import annotations

import html
import mimetypes
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from postdesk.chat.model import EventKind

#: the keys of an Adaptive Card button's data that name the desk's action and its value
DATA_ACTION = "postdesk_action"
DATA_VALUE = "postdesk_value"
#: what Teams calls the invoke of an Action.Execute button
EXECUTE_INVOKE = "adaptiveCard/action"
#: the attachment type of a file shared in a channel or chat (a pre-authenticated URL)
FILE_DOWNLOAD_INFO = "application/vnd.microsoft.teams.file.download.info"
THREAD_SUFFIX = ";messageid="
#: the conversation ids of channels (standard and the older kind), which have threads;
#: group chats (@thread.v2) and personal chats do not
CHANNEL_ID_ENDINGS = ("@thread.tacv2", "@thread.skype")

_TAG = re.compile(r"<[^>]*>")
_BREAK = re.compile(r"<br\s*/?>|</p>|</div>", re.IGNORECASE)


@dataclass(frozen=True)
class TeamsFileRef:
    """A file an activity shares, before it is downloaded."""

    name: str
    content_type: str
    url: str
    attachment_id: str = ""
    #: True for a file hosted by the Bot Connector itself (inline images), which wants
    #: the bot's token; False for a pre-authenticated SharePoint download URL
    needs_token: bool = False


@dataclass(frozen=True)
class TeamsInbound:
    """One Teams activity the desk cares about, with the author still a bare account."""

    kind: EventKind
    event_id: str
    workspace: str  # the tenant id
    channel: str  # the channel's conversation id, without the ;messageid= suffix
    conversation: str  # the full conversation id, as the member API wants it
    service_url: str
    user_id: str  # the author's Teams id (29:...)
    aad_object_id: str
    display_name: str
    message_id: str
    thread_id: str | None = None
    text: str = ""
    files: tuple[TeamsFileRef, ...] = ()
    reaction: str | None = None
    action: str | None = None
    action_value: str | None = None
    locale: str | None = None
    timezone: str | None = None
    sent_at: datetime | None = None


def from_activity(activity: dict[str, Any]) -> list[TeamsInbound]:
    """An activity -> the events it carries (none for what is ignored; several for a
    reaction activity that adds more than one reaction)."""
    sender = activity.get("from") or {}
    bot = activity.get("recipient") or {}
    kind = activity.get("type")
    if not sender.get("id") or sender.get("id") == bot.get("id"):
        return []
    if not activity.get("id"):
        if kind != "messageReaction":
            return []  # nothing to deduplicate a retry by
        # a reaction is known by who reacted how to which message, and when
        activity = {**activity, "id": f"reaction:{activity.get('replyToId')}:{sender['id']}:"
                                      f"{activity.get('timestamp') or ''}"}
    if kind == "message":
        data = _card_data(activity.get("value"))
        if data is not None:
            return [_inbound(activity, "action", message_id=_replied_to(activity),
                             action=data[0], action_value=data[1])]
        return [_message(activity)]
    if kind == "messageReaction":
        message_id = str(activity.get("replyToId") or "")
        added = [str(item.get("type") or "") for item in activity.get("reactionsAdded") or ()]
        return [_inbound(activity, "reaction", message_id=message_id, reaction=name,
                         event_id=f"{activity['id']}:{name}" if len(added) > 1 else None)
                for name in added if name and message_id]
    if kind == "invoke" and activity.get("name") == EXECUTE_INVOKE:
        value = activity.get("value")
        action = value.get("action") if isinstance(value, dict) else None
        if not isinstance(action, dict):
            return []
        data = _card_data(action.get("data")) or (
            (str(action["verb"]), None) if action.get("verb") else None)
        if data is not None:
            return [_inbound(activity, "action", message_id=_replied_to(activity),
                             action=data[0], action_value=data[1])]
    return []


def thread_conversation(channel: str, root: str | None) -> str:
    """Where a post in `root`'s thread goes: the channel's conversation id with the
    `;messageid=<root>` suffix (Teams shows a POST to `.../activities/{root}` of the bare
    channel as a new top-level post); a chat without threads is itself."""
    if root and channel.endswith(CHANNEL_ID_ENDINGS):
        return f"{channel}{THREAD_SUFFIX}{root}"
    return channel


def _message(activity: dict[str, Any]) -> TeamsInbound:
    own_id = str(activity["id"])
    files = tuple(ref for item in activity.get("attachments") or ()
                  if (ref := _file_ref(item, str(activity.get("serviceUrl") or ""))))
    return _inbound(activity, "message", message_id=own_id,
                    text=plain_text(str(activity.get("text") or ""), _bot_mentions(activity)),
                    files=files)


def _inbound(activity: dict[str, Any], kind: EventKind, *, message_id: str,
             event_id: str | None = None, **fields: Any) -> TeamsInbound:
    sender = activity.get("from") or {}
    conversation = str((activity.get("conversation") or {}).get("id") or "")
    channel_data = _object(activity.get("channelData"))
    channel, _, root = conversation.partition(THREAD_SUFFIX)
    channel = str(_object(channel_data.get("channel")).get("id") or channel)
    thread = root or (str(activity["replyToId"]) if kind == "message"
                      and activity.get("replyToId") else "")
    return TeamsInbound(
        kind=kind, event_id=event_id or str(activity["id"]), workspace=_tenant(activity),
        channel=channel, conversation=conversation,
        service_url=str(activity.get("serviceUrl") or ""), user_id=str(sender["id"]),
        aad_object_id=str(sender.get("aadObjectId") or ""),
        display_name=str(sender.get("name") or ""), message_id=message_id,
        thread_id=thread if thread and thread != message_id else None,
        locale=activity.get("locale") or None, timezone=activity.get("localTimezone") or None,
        sent_at=_when(activity.get("timestamp")), **fields)


def _tenant(activity: dict[str, Any]) -> str:
    tenant = _object(_object(activity.get("channelData")).get("tenant")).get("id")
    return str(tenant or (activity.get("conversation") or {}).get("tenantId") or "")


def _object(value: Any) -> dict[str, Any]:
    """`channelData` and its parts are free-form in the schema: anything but an object is
    read as empty."""
    return value if isinstance(value, dict) else {}


def _replied_to(activity: dict[str, Any]) -> str:
    """The card's own activity id: a button press replies to the message it sits on."""
    return str(activity.get("replyToId") or activity.get("id") or "")


def _card_data(value: Any) -> tuple[str, str | None] | None:
    if not isinstance(value, dict) or not value.get(DATA_ACTION):
        return None
    raw = value.get(DATA_VALUE)
    return str(value[DATA_ACTION]), None if raw is None else str(raw)


def _file_ref(item: dict[str, Any], service_url: str) -> TeamsFileRef | None:
    content_type = str(item.get("contentType") or "")
    content: dict[str, Any] = item["content"] if isinstance(item.get("content"), dict) else {}
    if content_type == FILE_DOWNLOAD_INFO and content.get("downloadUrl"):
        return TeamsFileRef(
            name=str(item.get("name") or "file"),
            content_type=_file_type(str(content.get("fileType") or "")),
            url=str(content["downloadUrl"]), attachment_id=str(content.get("uniqueId") or ""))
    url = str(item.get("contentUrl") or "")
    if content_type.startswith(("image/", "video/", "audio/", "application/")) and url \
            and not content_type.startswith("application/vnd.microsoft.card"):
        return TeamsFileRef(
            name=str(item.get("name") or "image"), content_type=content_type, url=url,
            needs_token=bool(service_url) and _same_host(url, service_url))
    return None  # the message's HTML rendition, a card, a mention entity...


def _same_host(url: str, other: str) -> bool:
    return (urlsplit(url).hostname or "") == (urlsplit(other).hostname or "-")


def _file_type(extension: str) -> str:
    guessed = mimetypes.guess_type(f"f.{extension}")[0] if extension else None
    return guessed or "application/octet-stream"


def _bot_mentions(activity: dict[str, Any]) -> tuple[str, ...]:
    """The `<at>` texts that mention the bot itself (Teams puts them in the message text)."""
    bot_id = (activity.get("recipient") or {}).get("id")
    return tuple(str(entity.get("text") or "") for entity in activity.get("entities") or ()
                 if entity.get("type") == "mention"
                 and (entity.get("mentioned") or {}).get("id") == bot_id)


def plain_text(text: str, bot_mentions: tuple[str, ...] = ()) -> str:
    """Teams' message text (HTML-ish: `<p>`, `<at>`, entities) as a person wrote it, with
    the @mention of the bot itself taken out."""
    for mention in bot_mentions:
        if mention:
            text = text.replace(mention, "")
    text = _BREAK.sub("\n", text)
    text = html.unescape(_TAG.sub("", text)).replace("\xa0", " ")
    return "\n".join(line.rstrip() for line in text.strip().splitlines()).strip()


def _when(stamp: Any) -> datetime | None:
    if not stamp:
        return None
    try:
        moment = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
