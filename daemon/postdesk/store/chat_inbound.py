"""A chat event stored like arriving mail: one committed inbound row before the ack.

The row holds `ChatEvent.to_json()` as its raw bytes, the platform as its channel
and `ChatEvent.dedup_key` in a unique column: a platform's retry of an event
already stored (Slack's X-Slack-Retry-Num, a Matrix sync replayed after a crash)
finds the row there and stores nothing. `postdesk inbound --failed` and
`--replay` then work for chat events as for mail.
"""

from __future__ import annotations

import hashlib

import peewee

from postdesk.chat.model import ChatEvent
from postdesk.errors import TemporaryFailure
from postdesk.store import fastsql
from postdesk.store.db import durable_atomic, utcnow
from postdesk.store.models import Inbound


def store_chat_event(event: ChatEvent) -> int | None:
    """Commit the event; its inbound id, or None when it was stored before (a retry).
    TemporaryFailure when the database is away (the edge does not ack: the platform
    sends the event again)."""
    raw = event.to_json()
    now = utcnow()
    try:
        with durable_atomic():
            if fastsql.exists(Inbound, Inbound.dedup_key, event.dedup_key):
                return None
            row = fastsql.create(
                Inbound, received_at=now, source=f"chat:{event.platform}",
                peer=event.workspace[:200], mail_from=None, rcpt_to=[], raw=raw,
                size=len(raw), sha256=hashlib.sha256(raw).hexdigest(), state="pending",
                dispatched_at=now, channel=event.platform, dedup_key=event.dedup_key)
            return int(row.id)
    except peewee.IntegrityError:
        return None  # the same event stored by a concurrent delivery a moment ago
    except peewee.DatabaseError as exc:
        raise TemporaryFailure(f"database unavailable: {exc}") from exc
