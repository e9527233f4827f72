"""A chat event stored like arriving mail: one committed inbound row before the ack.

The row holds `ChatEvent.to_json()` as its raw bytes, the platform as its channel
and `ChatEvent.dedup_key` in a unique column: a platform's retry of an event
already stored (Slack's X-Slack-Retry-Num, a Matrix sync replayed after a crash)
finds the row there and stores nothing. `postdesk inbound --failed` and
`--replay` then work for chat events as for mail.

`ChatInboundWriter` commits from one thread of its own, every event waiting in one
transaction (group commit, as `store.inbound.InboundWriter` does for SMTP): on SQLite
one wait for the write lock and one fsync per batch instead of per event, so a busy
worker holding the lock does not push every ack past the platform's deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import queue
import threading
from collections.abc import Callable, Sequence

import peewee

from postdesk.chat.model import ChatEvent
from postdesk.errors import TemporaryFailure
from postdesk.store import fastsql
from postdesk.store.db import database, durable_atomic, utcnow
from postdesk.store.models import Inbound
from postdesk.waiting import take_waiting

log = logging.getLogger(__name__)

#: At most this many events share one transaction.
MAX_BATCH = 200


def store_chat_event(event: ChatEvent) -> int | None:
    """Commit the event; its inbound id, or None when it was stored before (a retry).
    TemporaryFailure when the database is away (the edge does not ack: the platform
    sends the event again)."""
    (stored,) = store_chat_events([event])
    return stored


def store_chat_events(events: Sequence[ChatEvent]) -> list[int | None]:
    """Commit the events in one transaction; per event its inbound id, or None for one
    stored before (also earlier in the same batch)."""
    now = utcnow()
    try:
        with durable_atomic():
            return [_insert(event, now) for event in events]
    except peewee.IntegrityError:
        # a concurrent delivery of one of them committed a moment ago: one by one
        return [_store_alone(event) for event in events] if len(events) > 1 else [None]
    except peewee.DatabaseError as exc:
        raise TemporaryFailure(f"database unavailable: {exc}") from exc


def _store_alone(event: ChatEvent) -> int | None:
    (stored,) = store_chat_events([event])
    return stored


def _insert(event: ChatEvent, now: object) -> int | None:
    if fastsql.exists(Inbound, Inbound.dedup_key, event.dedup_key):
        return None
    raw = event.to_json()
    row = fastsql.create(
        Inbound, received_at=now, source=f"chat:{event.platform}",
        peer=event.workspace[:200], mail_from=None, rcpt_to=[], raw=raw, size=len(raw),
        sha256=hashlib.sha256(raw).hexdigest(), state="pending", dispatched_at=now,
        channel=event.platform, dedup_key=event.dedup_key)
    return int(row.id)


class ChatInboundWriter:
    """A thread that commits arriving chat events in batches and answers each caller."""

    def __init__(self, on_stored: Callable[[int], None]) -> None:
        self._on_stored = on_stored
        self._queue: queue.Queue[tuple[ChatEvent, asyncio.Future[int | None]] | None] = \
            queue.Queue()
        self._thread = threading.Thread(target=self._run, name="postdesk-chat-intake",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join()

    async def store(self, event: ChatEvent) -> int | None:
        future: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self._queue.put((event, future))
        return await future

    def _run(self) -> None:
        try:
            while True:
                item = self._queue.get()
                if item is None:
                    return
                batch, closing = take_waiting(self._queue, item, MAX_BATCH)
                self._commit(batch)
                if closing:
                    return
        finally:
            with contextlib.suppress(Exception):
                database.close()

    def _commit(self, batch: list[tuple[ChatEvent, asyncio.Future[int | None]]]) -> None:
        try:
            ids: list[int | None] | BaseException = store_chat_events(
                [event for event, _ in batch])
        except Exception as exc:  # every sender of the batch is refused: the platform retries
            log.error("could not store %d chat events: %s", len(batch), exc)
            ids = exc
            with contextlib.suppress(Exception):
                database.close()  # the next batch connects afresh
        for position, (_, future) in enumerate(batch):
            outcome = ids if isinstance(ids, BaseException) else ids[position]
            future.get_loop().call_soon_threadsafe(_settle, future, outcome)
        for inbound_id in ([] if isinstance(ids, BaseException) else ids):
            if inbound_id is not None:
                try:
                    self._on_stored(inbound_id)
                except Exception:  # the sweeper dispatches it later; the event is safe
                    log.exception("could not dispatch chat inbound %s", inbound_id)


def _settle(future: asyncio.Future[int | None], outcome: int | BaseException | None) -> None:
    if future.done():
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)
