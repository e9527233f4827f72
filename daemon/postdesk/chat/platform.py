"""The shape of a chat edge and of the intake it hands events to.

The daemon (`postdesk serve`) starts one `ChatPlatform` per configured section
(`[slack]`, `[teams]`, `[matrix]`); each calls the `ChatIntake` for every event
and acknowledges the event to its platform only after the intake returned (the
event is committed). The outbox sender calls `post` for each chat outbox row
and records the returned platform message id on the row before marking it sent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from postdesk.chat.model import ChatEvent, ChatPost, ChatUser, Platform

#: commits the event durably (deduplicated by `ChatEvent.dedup_key`) and enqueues it;
#: returns False for an event already stored (a platform retry), True for a new one
ChatIntake = Callable[[ChatEvent], Awaitable[bool]]


class ChatPlatformError(Exception):
    """The platform refused or could not be reached; `retry_after` in seconds when it said
    (HTTP 429 Retry-After), `permanent` when a retry cannot help (channel gone, no rights)."""

    def __init__(self, message: str, *, retry_after: float | None = None,
                 permanent: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent


class ChatPlatform(Protocol):
    """One connected chat platform (an edge)."""

    platform: Platform

    async def start(self, intake: ChatIntake) -> None:
        """Connect and deliver events to `intake` until `stop`."""

    async def stop(self) -> None:
        """Disconnect; events not yet acknowledged are sent again by the platform."""

    async def post(self, post: ChatPost) -> str:
        """Post (or edit) a message; the platform's id of it (Slack ts, Matrix event id,
        Teams activity id). Raises `ChatPlatformError`."""

    async def user(self, user_id: str) -> ChatUser:
        """The account behind an id, with its verified email when the platform has one."""

    def health(self) -> str:
        """One line for `postdesk status`: connected / reconnecting since ... / refused: ..."""
