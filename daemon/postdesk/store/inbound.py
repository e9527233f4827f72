"""Durable storage of arriving mail: the step before any acknowledgment.

`store_inbound` commits the raw bytes and envelope of one mail; `InboundWriter`
does the same for the SMTP listeners from one thread, committing every mail
that is waiting in a single transaction (group commit), so a busy listener
pays for one fsync per batch instead of one per mail. Either way the caller
answers 250 (or exits 0) only after the commit returned.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import peewee

from postdesk import memory_release
from postdesk.errors import TemporaryFailure
from postdesk.store import fastsql
from postdesk.store.db import database, durable_atomic, utcnow
from postdesk.store.models import Inbound
from postdesk.waiting import take_waiting

log = logging.getLogger(__name__)

#: At most this many mails share one transaction.
MAX_BATCH = 200


@dataclass(frozen=True)
class Arrival:
    """One mail as the network handed it to us."""

    raw: bytes
    mail_from: str | None
    rcpt_to: Sequence[str]
    source: str
    peer: str = ""


def inbound_row(arrival: Arrival, *, dispatched: bool = True) -> dict:
    now = utcnow()
    return {
        "received_at": now,
        "source": arrival.source,
        "peer": arrival.peer[:200],
        "mail_from": arrival.mail_from,
        "rcpt_to": list(arrival.rcpt_to),
        "raw": arrival.raw,
        "size": len(arrival.raw),
        "sha256": hashlib.sha256(arrival.raw).hexdigest(),
        "state": "pending",
        # not dispatched: the daemon's sweeper picks it up on its next round
        "dispatched_at": now if dispatched else None,
    }


def store_inbound(arrival: Arrival, *, dispatched: bool = True) -> int:
    """Commit one mail and return its inbound id; TemporaryFailure if the database is away."""
    try:
        with durable_atomic():
            return int(fastsql.create(Inbound, **inbound_row(arrival, dispatched=dispatched)).id)
    except peewee.DatabaseError as exc:
        raise TemporaryFailure(f"database unavailable: {exc}") from exc


class InboundWriter:
    """A thread that commits arriving mail in batches and resolves each caller's future."""

    def __init__(self, on_stored: Callable[[int], None]) -> None:
        self._on_stored = on_stored
        self._queue: queue.Queue[tuple[Arrival, asyncio.Future[int]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="postdesk-intake", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join()

    async def store(self, arrival: Arrival) -> int:
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._queue.put((arrival, future))
        return await future

    def _run(self) -> None:
        try:
            while self._store_next():
                pass
        finally:
            _close_quietly()

    def _store_next(self) -> bool:
        """Wait for arriving mail and commit it with whatever else waits; False: stop.
        (A function of its own so that nothing holds the batch's bytes while this thread
        waits for the next mail: a loop's variables would.)"""
        item = self._queue.get()
        if item is None:
            return False
        batch, closing = take_waiting(self._queue, item, MAX_BATCH)
        self._commit(batch)
        return not closing

    def _commit(self, batch: list[tuple[Arrival, asyncio.Future[int]]]) -> None:
        rows = [inbound_row(arrival) for arrival, _ in batch]  # hashed before taking the lock
        try:
            with durable_atomic():
                ids = [int(fastsql.create(Inbound, **row).id) for row in rows]
        except Exception as exc:  # the database is away: every sender in the batch retries
            log.error("could not store %d arriving mails: %s", len(batch), exc)
            failure = TemporaryFailure(f"database unavailable: {exc}")
            _settle([(future, failure) for _, future in batch])
            _close_quietly()  # the next batch connects afresh
            return
        _settle([(future, inbound_id) for (_, future), inbound_id in zip(batch, ids, strict=True)])
        if sum(len(arrival.raw) for arrival, _ in batch) >= memory_release.GIVE_BACK_AFTER:
            # SQLite kept a copy of the last mail's bytes (bound to the cached INSERT
            # statement) and the pages it wrote (its page cache, 16 MB): after large mail,
            # 40 MB and more that nobody reads again. The next batch connects afresh.
            _close_quietly()
        for inbound_id in ids:
            try:
                self._on_stored(inbound_id)
            except Exception:  # the sweeper dispatches it later; the mail is safe
                log.exception("could not dispatch inbound %s", inbound_id)


def _settle(outcomes: list[tuple[asyncio.Future[int], int | BaseException]]) -> None:
    """Give each waiting caller its inbound id or the error, from this thread: one wake-up
    of each event loop for the whole batch."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[int],
                                                        int | BaseException]]] = {}
    for future, outcome in outcomes:
        by_loop.setdefault(future.get_loop(), []).append((future, outcome))

    def settle(these: list[tuple[asyncio.Future[int], int | BaseException]]) -> None:
        for future, outcome in these:
            if future.done():
                continue
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)

    for loop, these in by_loop.items():
        loop.call_soon_threadsafe(settle, these)


def _close_quietly() -> None:
    with contextlib.suppress(Exception):
        database.close()
