"""The intake the chat tests hand to an edge: the seam itself, appending to a list."""

from __future__ import annotations

from postdesk.chat.model import ChatEvent
from postdesk.chat.platform import ChatIntake


def list_intake() -> tuple[list[ChatEvent], ChatIntake]:
    """A list and an intake that appends each event to it (every event counts as new)."""
    received: list[ChatEvent] = []

    async def keep(event: ChatEvent) -> bool:
        received.append(event)
        return True

    return received, keep
