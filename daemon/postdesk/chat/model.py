"""A chat event as an edge hands it to the desk, and a post the desk sends to a thread.

Plain frozen data: an edge (Slack, Teams, Matrix) fills a `ChatEvent` from what
its platform sent, with the author already resolved to a `ChatUser` by the
platform's verified account email (never by display name) and the files already
downloaded, so the worker needs no network to turn it into a ticket message.
`to_json` / `from_json` give the bytes stored in the inbound row (`raw`), from
which a replay rebuilds the same event. `ChatEvent.received` is the one constructor
the Slack and Teams edges share: each reads its platform's payload into its own
record (`InboundFacts`: the author still a bare id, the files still references), then
hands that record in with the resolved author and the fetched files.
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

Platform = Literal["slack", "teams", "matrix"]
PLATFORMS: tuple[Platform, ...] = ("slack", "teams", "matrix")

#: what happened in the chat: a message (top-level or in a thread), a reaction added
#: to a message, or a button / shortcut pressed on one of our posts
EventKind = Literal["message", "reaction", "action"]
#: the key of a chat outbox row's context naming the account a direct message goes to
#: (`ChatPost.direct_to`): a mail's words sent to a customer known in chat
DIRECT_TO = "direct_to"


@dataclass(frozen=True)
class ChatUser:
    """A chat account, as its platform vouches for it."""

    platform: Platform
    user_id: str  # Slack U..., Teams AAD object id, Matrix @user:server
    #: the account's email as the platform verified it (Slack users:read.email,
    #: Teams UPN/email, Matrix a validated threepid); None when it has none
    email: str | None = None
    display_name: str = ""
    locale: str | None = None  # e.g. "pl-PL" (Slack and Teams give it)
    timezone: str | None = None  # IANA name
    is_bot: bool = False


@dataclass(frozen=True)
class ChatFile:
    """A file shared with a message, already fetched by the edge."""

    name: str
    content_type: str
    content: bytes
    platform_id: str = ""  # Slack F..., Matrix mxc://..., Teams attachment id
    #: a file the desk sends: its signed download link on the desk's web server, for a
    #: platform that cannot carry the file itself ("" when `[web]` is off)
    link: str = ""
    #: ... and what the post says about it there, in the post's language: beside the
    #: link ("download link, valid for 30 days"), or without one in place of the file
    #: ("Attachment: report.pdf, see the mail")
    note: str = ""


class InboundFacts(Protocol):
    """What an edge read of one platform event before resolving the author and fetching
    the files: the fields its own inbound record shares with every other edge's."""

    @property
    def kind(self) -> EventKind: ...
    @property
    def event_id(self) -> str: ...
    @property
    def workspace(self) -> str: ...
    @property
    def channel(self) -> str: ...
    @property
    def message_id(self) -> str: ...
    @property
    def thread_id(self) -> str | None: ...
    @property
    def text(self) -> str: ...
    @property
    def reaction(self) -> str | None: ...
    @property
    def action(self) -> str | None: ...
    @property
    def action_value(self) -> str | None: ...
    @property
    def sent_at(self) -> datetime | None: ...


@dataclass(frozen=True)
class ChatEvent:
    """One event from a chat platform, as stored before it is acknowledged."""

    platform: Platform
    #: the platform's own id of this event, for deduplication of retries
    #: (Slack event_id / envelope id for actions, Matrix event id, Teams activity id)
    event_id: str
    kind: EventKind
    workspace: str  # Slack team id, Teams tenant id, Matrix server name
    channel: str  # Slack channel id, Teams conversation (channel) id, Matrix room id
    user: ChatUser
    #: the platform's id of the message this event is or concerns
    #: (Slack ts, Teams activity id, Matrix event id)
    message_id: str
    #: the root of the thread the message is in; None for a top-level message
    thread_id: str | None = None
    text: str = ""
    files: tuple[ChatFile, ...] = ()
    reaction: str | None = None  # kind "reaction": its name, e.g. "white_check_mark" / "✅"
    action: str | None = None  # kind "action": the button's action id, e.g. "resolve"
    action_value: str | None = None  # kind "action": what the button carries
    sent_at: datetime | None = None  # when the platform says it happened (UTC)

    @classmethod
    def received(cls, platform: Platform, facts: InboundFacts, user: ChatUser,
                 files: tuple[ChatFile, ...] = ()) -> ChatEvent:
        """The event an edge hands in: what it read (`facts`), its author as the platform
        vouches for them and its files as fetched."""
        return cls(platform=platform, event_id=facts.event_id, kind=facts.kind,
                   workspace=facts.workspace, channel=facts.channel, user=user,
                   message_id=facts.message_id, thread_id=facts.thread_id, text=facts.text,
                   files=files, reaction=facts.reaction, action=facts.action,
                   action_value=facts.action_value, sent_at=facts.sent_at)

    @property
    def thread_root(self) -> str:
        """The thread the event belongs to: its root, or the message itself when top-level."""
        return self.thread_id or self.message_id

    def to_json(self) -> bytes:
        """The bytes stored in the inbound row (files as base64)."""
        data = asdict(self)
        data["files"] = [{**item, "content": base64.b64encode(item["content"]).decode("ascii")}
                         for item in data["files"]]
        data["sent_at"] = self.sent_at.isoformat() if self.sent_at else None
        return json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")

    @classmethod
    def from_json(cls, raw: bytes) -> ChatEvent:
        data: dict[str, Any] = json.loads(raw)
        data["user"] = ChatUser(**data["user"])
        data["files"] = tuple(ChatFile(**{**item, "content": base64.b64decode(item["content"])})
                              for item in data["files"])
        data["sent_at"] = datetime.fromisoformat(data["sent_at"]) if data["sent_at"] else None
        return cls(**data)

    @property
    def dedup_key(self) -> str:
        """Unique per platform event: what the inbound row is deduplicated by."""
        return f"{self.platform}:{self.workspace}:{self.event_id}"


@dataclass(frozen=True)
class ChatButton:
    """A button under a post: its action id comes back as an `action` event."""

    action: str  # resolve | reopen | assign_me | reply_to_customer | csat
    label: str  # already in the reader's language
    value: str = ""  # e.g. the ticket id, or a rating "1".."5"
    style: Literal["default", "primary", "danger"] = "default"


@dataclass(frozen=True)
class ChatPost:
    """What the desk says in a thread: rendered text (already translated), buttons, files.

    `idempotency_key` is the outbox row's fixed id: an edge whose platform takes one
    (Matrix's transaction id) passes it on, so a retry after a crash posts once; an edge
    whose platform takes none (Slack) marks the post with it and, when `tried_since` says
    an earlier attempt may have reached the platform unrecorded, looks for that mark
    before posting again.
    """

    platform: Platform
    workspace: str
    channel: str
    thread_id: str | None  # None: a new top-level message (a triage channel's ticket)
    text: str  # plain text with light markdown (*bold*, links as <url|label> are not used)
    idempotency_key: str
    buttons: tuple[ChatButton, ...] = ()
    files: tuple[ChatFile, ...] = ()
    #: replace this earlier post of ours (e.g. the status line of a triage message)
    edit_of: str | None = None
    #: a direct message to this account (its platform id) instead of a post in `channel`:
    #: the edge opens, or finds again, its direct conversation with the account
    direct_to: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    #: when the first attempt at this post began, if there was one before this attempt
    tried_since: datetime | None = None
