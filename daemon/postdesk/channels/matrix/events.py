"""Matrix room events -> the facts of a `ChatEvent` (pure: plain dicts in, frozen data out).

What a help desk needs of a room timeline is small: messages (text, files, images) with
the thread they are in (`m.relates_to` rel_type `m.thread`: the thread's id is its root
event), and reactions (`m.reaction`, rel_type `m.annotation`: the key is the emoji, the
event id the message reacted to). Everything else (state, edits, redactions, encrypted
events, our own posts) is not a desk event and maps to None. The author and the files are
resolved by the edge, which has the network; `chat_event` then assembles the event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from postdesk.chat.model import ChatEvent, ChatFile, ChatUser

#: msgtypes whose body is what someone wrote
TEXT_MSGTYPES = frozenset({"m.text", "m.notice", "m.emote"})
#: msgtypes that carry a file at `url` (an mxc:// URI) with its name in `body`/`filename`
FILE_MSGTYPES = frozenset({"m.file", "m.image", "m.video", "m.audio"})


@dataclass(frozen=True)
class MediaRef:
    """A file a message points to, not yet downloaded."""

    mxc_url: str
    name: str
    content_type: str
    size: int | None  # as the sender's client announced it (info.size), if it did


@dataclass(frozen=True)
class RoomEventFacts:
    """What one timeline event means to the desk, before its author and media are fetched."""

    kind: Literal["message", "reaction"]
    event_id: str
    room_id: str
    sender: str
    message_id: str  # the message itself, or the one reacted to
    thread_id: str | None
    text: str
    media: MediaRef | None
    reaction: str | None
    sent_at: datetime | None


def server_name(user_or_room_id: str) -> str:
    """The homeserver part of `@user:server` or `!room:server` (the port included)."""
    return user_or_room_id.partition(":")[2]


def room_event_facts(room_id: str, event: dict[str, Any],
                     own_user_id: str) -> RoomEventFacts | None:
    """The desk's reading of a timeline event of `room_id`; None when it is not a desk event."""
    sender = event.get("sender")
    event_id = event.get("event_id")
    content = event.get("content")
    if (not isinstance(sender, str) or not isinstance(event_id, str)
            or not isinstance(content, dict) or sender == own_user_id):
        return None
    if "redacted_because" in event.get("unsigned", {}) or not content:
        return None
    kind = event.get("type")
    if kind == "m.room.message":
        return _message_facts(room_id, event_id, sender, content, _sent_at(event))
    if kind == "m.reaction":
        return _reaction_facts(room_id, event_id, sender, content, _sent_at(event))
    return None


def _message_facts(room_id: str, event_id: str, sender: str, content: dict[str, Any],
                   sent_at: datetime | None) -> RoomEventFacts | None:
    relation = content.get("m.relates_to")
    relation = relation if isinstance(relation, dict) else {}
    if relation.get("rel_type") == "m.replace":
        return None  # an edit of an earlier message: the desk keeps what was said first
    msgtype = content.get("msgtype")
    body = content.get("body")
    if not isinstance(body, str):
        return None
    thread_id = relation.get("event_id") if relation.get("rel_type") == "m.thread" else None
    if thread_id is not None and not isinstance(thread_id, str):
        thread_id = None
    media = None
    text = body
    if msgtype in FILE_MSGTYPES:
        media = _media_ref(content, body)
        if media is None:
            return None
        # a caption is a body that differs from the file's name (Matrix v1.10 media captions)
        text = body if "filename" in content and content["filename"] != body else ""
    elif msgtype not in TEXT_MSGTYPES:
        return None
    return RoomEventFacts(kind="message", event_id=event_id, room_id=room_id, sender=sender,
                          message_id=event_id, thread_id=thread_id, text=text, media=media,
                          reaction=None, sent_at=sent_at)


def _media_ref(content: dict[str, Any], body: str) -> MediaRef | None:
    url = content.get("url")
    if not isinstance(url, str) or not url.startswith("mxc://"):
        return None  # an encrypted file (content.file) or a broken event
    info = content.get("info")
    info = info if isinstance(info, dict) else {}
    name = content.get("filename") if isinstance(content.get("filename"), str) else body
    mimetype = info.get("mimetype")
    size = info.get("size")
    if not isinstance(mimetype, str):
        mimetype = "application/octet-stream"
    return MediaRef(mxc_url=url, name=name or "file", content_type=mimetype,
                    size=size if isinstance(size, int) and not isinstance(size, bool) else None)


def _reaction_facts(room_id: str, event_id: str, sender: str, content: dict[str, Any],
                    sent_at: datetime | None) -> RoomEventFacts | None:
    relation = content.get("m.relates_to")
    if not isinstance(relation, dict) or relation.get("rel_type") != "m.annotation":
        return None
    target = relation.get("event_id")
    key = relation.get("key")
    if not isinstance(target, str) or not isinstance(key, str) or not key:
        return None
    return RoomEventFacts(kind="reaction", event_id=event_id, room_id=room_id, sender=sender,
                          message_id=target, thread_id=None, text="", media=None,
                          reaction=key, sent_at=sent_at)


def _sent_at(event: dict[str, Any]) -> datetime | None:
    stamp = event.get("origin_server_ts")
    if not isinstance(stamp, int) or isinstance(stamp, bool):
        return None
    return datetime.fromtimestamp(stamp / 1000, tz=UTC)


def chat_event(facts: RoomEventFacts, user: ChatUser, workspace: str,
               files: tuple[ChatFile, ...] = ()) -> ChatEvent:
    """The `ChatEvent` the intake gets, once the author is resolved and the media fetched.

    `workspace` is the server name of the desk's own account: room ids of room version 12
    carry no server part, and the desk's homeserver is what scopes its event ids.
    """
    return ChatEvent(platform="matrix", event_id=facts.event_id, kind=facts.kind,
                     workspace=workspace, channel=facts.room_id, user=user,
                     message_id=facts.message_id, thread_id=facts.thread_id, text=facts.text,
                     files=files, reaction=facts.reaction, sent_at=facts.sent_at)
