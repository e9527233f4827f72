"""What a bounce says, as plain frozen data (see postdesk.mail.bounce)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BouncedRecipient:
    """One recipient a bounce reports, with what the remote side said about it."""

    email: str
    status: str | None
    hard: bool
    diagnostic: str = ""


@dataclass(frozen=True)
class BounceReport:
    """What a bounce-looking message says; ``kind`` is ``dsn``, ``feedback`` or ``text``."""

    kind: str
    recipients: tuple[BouncedRecipient, ...]
    delivered_only: bool
    original_message_id: str | None
