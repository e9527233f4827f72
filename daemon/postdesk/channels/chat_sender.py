"""The chat outbox sender: each pending post rendered in its reader's language and posted in
its thread by the platform's edge, in the daemon that runs the edges.

A post is claimed for one attempt (`chat_store.claim_posts`, every due post of a round
in one transaction), rendered (`postdesk.notify.chat_posts`) and handed to the edge with
the row's fixed id as idempotency key (Matrix's transaction id: a retry after a crash
posts once; Slack carries it as message metadata and looks for it before posting a row
claimed before, `ChatPost.tried_since`). The platform's id of the post is stored on the
row in the statement that marks it sent; posts that come back while such a mark is
being written share the next one (one commit for many). Posts to different threads go
out side by side (at most `CONCURRENT_THREADS` at once), those of one thread one after
the other, in order. An edit of a triage post (`chat_store.TRIAGE_UPDATE`) edits the
thread's root, and is skipped when a later edit of the same post is queued (only the
latest state matters).
The sender looks at the outbox when the worker of this daemon has committed work
(`wake`, a post is usually on its way within milliseconds) and every `POLL_INTERVAL_S`
for the rest (workers on other nodes, retries coming due).
An error the platform calls permanent (channel gone, no rights) fails the row with the
reason; any other is tried again with growing pauses, and an HTTP 429's Retry-After
holds back every post to that platform. The sender runs beside mail in its own task:
a chat platform that is down never blocks mail.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import partial
from typing import cast

from postdesk.chat.model import DIRECT_TO, ChatFile, ChatPost, Platform
from postdesk.chat.platform import ChatPlatform, ChatPlatformError
from postdesk.config.runtime import Runtime
from postdesk.notify.chat_posts import file_note, render_post
from postdesk.store import chat_store, db
from postdesk.store.attachment_files import attachment_files_by_id
from postdesk.store.read_pool import ReadPool
from postdesk.tickets.file_links import file_links

log = logging.getLogger(__name__)

#: how often the outbox is looked at for due posts when nothing woke the sender
POLL_INTERVAL_S = 0.2
#: posts to this many threads are sent at once, at most
CONCURRENT_THREADS = 8
#: a post being sent is left alone by other senders this long
SEND_LEASE = timedelta(seconds=120)
#: a post the platform keeps refusing is failed after this many attempts
MAX_ATTEMPTS = 10


def backoff(attempts: int) -> timedelta:
    """The pause before attempt `attempts + 1`: 2 s doubling, at most 10 minutes."""
    return timedelta(seconds=min(2 ** (attempts + 1), 600))


class ChatSender:
    """Posts due chat outbox rows through the connected platforms."""

    def __init__(self, platforms: Mapping[str, ChatPlatform], runtime: Runtime,
                 database: ReadPool) -> None:
        self.platforms = dict(platforms)
        self.runtime = runtime
        self.database = database  # a thread that keeps its connection
        self._held_until: dict[str, datetime] = {}  # a platform's Retry-After
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake = asyncio.Event()
        self._posted: list[tuple[int, str, asyncio.Future[None]]] = []  # to mark sent
        self._marker: asyncio.Task[None] | None = None  # writing those marks

    def wake(self) -> None:
        """Look at the outbox now: posts may have been committed. From any thread."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._wake.set)

    async def run_forever(self) -> None:
        self._loop = asyncio.get_running_loop()
        while True:
            self._wake.clear()  # a wake-up during the round asks for another round
            try:
                await self.send_due()
            except Exception:
                log.exception("chat sender round failed; trying again")
                await asyncio.sleep(1)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), POLL_INTERVAL_S)

    async def send_due(self) -> int:
        """Post what is due now; how many posts were attempted."""
        now = db.utcnow()
        ready = tuple(name for name in self.platforms
                      if self._held_until.get(name, now) <= now)
        rows = await self.database.run(chat_store.due_posts, ready, now)
        if not rows:
            return 0
        taken = set(await self.database.run(chat_store.claim_posts, [row.id for row in rows],
                                            now, SEND_LEASE))
        threads: dict[tuple[str, str, str, str], list[chat_store.ChatOutbox]] = {}
        for row in rows:
            if row.id in taken:  # a thread's posts in order; a triage post is a thread of its own
                threads.setdefault((row.platform, row.channel, row.thread_id or f"#{row.id}",
                                    row.workspace), []).append(row)
        room = asyncio.Semaphore(CONCURRENT_THREADS)
        held: list[chat_store.ChatOutbox] = []

        async def in_order(posts: list[chat_store.ChatOutbox]) -> None:
            async with room:
                for row in posts:
                    if self._held_until.get(row.platform, now) > now:
                        held.append(row)  # a 429 of an earlier post of this round
                    else:
                        await self._send(row)

        try:
            await asyncio.gather(*(in_order(posts) for posts in threads.values()))
        finally:
            for row in held:
                await self.database.run(chat_store.release_post, row.id,
                                        self._held_until[row.platform])
        return len(taken) - len(held)

    async def _send(self, row: chat_store.ChatOutbox) -> None:
        platform = self.platforms[row.platform]
        if await self.database.run(chat_store.superseded, row):
            await self.database.run(chat_store.record_superseded, row.id, db.utcnow())
            return
        if row.kind in chat_store.FOLLOWING_KINDS:  # the ticket's facts as of the claim
            row.context = await self.database.run(chat_store.context_of, row.id)
        try:
            post = await self.database.run(self._post_of, row)
            message_id = await platform.post(post)
        except ChatPlatformError as exc:
            await self._failed(row, exc, permanent=exc.permanent, retry_after=exc.retry_after)
            return
        except Exception as exc:
            log.exception("chat post %s to %s failed", row.id, row.platform)
            await self._failed(row, exc, permanent=False, retry_after=None)
            return
        await self._mark_posted(row.id, message_id)
        log.info("chat post %s (%s) in %s thread %s: %s", row.id, row.kind, row.platform,
                 row.thread_id, message_id)

    async def _mark_posted(self, post_id: int, message_id: str) -> None:
        """Record the post as sent; returns once that is committed. Posts that come back
        while a mark is being written wait for the next one, all in one transaction."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._posted.append((post_id, message_id, done))
        if self._marker is None or self._marker.done():
            self._marker = asyncio.create_task(self._mark_waiting())
        await done

    async def _mark_waiting(self) -> None:
        while self._posted:
            batch, self._posted = self._posted, []
            try:
                await self.database.run(chat_store.record_posts_done,
                                        [(post_id, message_id)
                                         for post_id, message_id, _ in batch], db.utcnow())
            except Exception as exc:
                outcome: BaseException | None = exc
            else:
                outcome = None
            for _, _, done in batch:
                if done.done():
                    continue  # its round was cancelled (the daemon stops)
                if outcome is None:
                    done.set_result(None)
                else:
                    done.set_exception(outcome)

    async def _failed(self, row: chat_store.ChatOutbox, exc: Exception, *, permanent: bool,
                      retry_after: float | None) -> None:
        now = db.utcnow()
        reason = f"{type(exc).__name__}: {exc}"
        if retry_after is not None:
            self._held_until[row.platform] = now + timedelta(seconds=retry_after)
        give_up = permanent or row.attempts + 1 >= MAX_ATTEMPTS
        retry_in = None if give_up else (timedelta(seconds=retry_after) if retry_after
                                         is not None else backoff(row.attempts))
        log.warning("chat post %s to %s: %s; %s", row.id, row.platform, reason,
                    "failed for good" if give_up else f"trying again in {retry_in}")
        await self.database.run(partial(chat_store.record_attempt_failed, row.id, reason,
                                        retry_in=retry_in, now=now))

    def _files(self, row: chat_store.ChatOutbox) -> tuple[ChatFile, ...]:
        """The row's files, each with its signed download link (files of public messages,
        with `[web]`) and what to say about it where the platform cannot post it."""
        stored = attachment_files_by_id(list(row.attachments or []))
        settings = self.runtime.settings
        links = file_links(settings, row.ticket_id, [number for number, _ in stored],
                           db.utcnow())
        files = []
        for number, found in stored:
            link = links.get(number, "")
            note = file_note(found.filename, settings.web.file_link_days if link else None,
                             row.language, self.runtime.renderer)
            files.append(ChatFile(found.filename, found.content_type, found.data, link=link,
                                  note=note))
        return tuple(files)

    def _post_of(self, row: chat_store.ChatOutbox) -> ChatPost:
        rendered = render_post(row.kind, row.context, row.language, self.runtime.renderer)
        edit_of = row.thread_id if row.kind == chat_store.TRIAGE_UPDATE else None
        return ChatPost(platform=cast(Platform, row.platform), workspace=row.workspace,
                        channel=row.channel, thread_id=None if edit_of else row.thread_id,
                        edit_of=edit_of, text=rendered.text,
                        idempotency_key=f"postdesk-chat-{row.id}", buttons=rendered.buttons,
                        files=self._files(row), tried_since=row.claimed_at,
                        direct_to=(row.context or {}).get(DIRECT_TO))
