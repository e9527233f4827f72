"""The chat sender on a real database: a post the worker committed goes out when the sender
is woken, not at its next poll; posts to different threads go out side by side while the
posts of one thread keep their order; each post is made once and marked sent with the
platform's id."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from chat.chat_desk import chat_runtime
from chat.test_chat_worker import ANN, CHANNELS, TEAMS, event, run
from postdesk.channels import chat_sender
from postdesk.channels.chat_sender import ChatSender
from postdesk.chat.model import ChatPost
from postdesk.config.runtime import Runtime
from postdesk.config.settings import Settings
from postdesk.store import chat_store, db
from postdesk.store.chat_store import ChatOutbox, ChatThread
from postdesk.store.db import database
from postdesk.store.read_pool import ReadPool


@pytest.fixture
def runtime(migrated: str, make_settings: Callable[..., Settings]) -> Iterator[Runtime]:
    # the triage post goes at once, whatever the knowledge base suggests (`chat_wait`)
    yield from chat_runtime(migrated, make_settings, CHANNELS, TEAMS, kb_chat_wait_minutes=0)


class Platform:
    """A chat platform that keeps what it was asked to post; posts to `slow_thread` wait
    for `release`."""

    def __init__(self, slow_thread: str | None = None) -> None:
        self.posted: list[ChatPost] = []
        self.slow_thread = slow_thread
        self.release = asyncio.Event()

    async def post(self, post: ChatPost) -> str:
        if self.slow_thread is not None and post.thread_id == self.slow_thread:
            await self.release.wait()
        self.posted.append(post)
        return f"$posted{len(self.posted)}"


async def until(test: Callable[[], Any], timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not test():
        assert asyncio.get_running_loop().time() < deadline, f"never happened: {states()}"
        await asyncio.sleep(0.01)


def states() -> list[tuple[str, str | None]]:
    return [(row.state, row.platform_message_id)
            for row in ChatOutbox.select().order_by(ChatOutbox.id)]


def open_ticket(runtime: Runtime, text: str) -> ChatThread:
    """A help-channel message made a ticket; its acknowledgment waits in the chat outbox."""
    ticket_id = run(runtime, event(ANN, text=text)).ticket_id
    return ChatThread.get(ChatThread.ticket == ticket_id)


def test_a_post_goes_out_when_the_sender_is_woken_not_at_its_next_poll(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chat_sender, "POLL_INTERVAL_S", 3600.0)

    async def scenario() -> None:
        platform = Platform()
        pool = ReadPool(threads=1)
        sender = ChatSender({"matrix": platform}, runtime, pool)  # type: ignore[dict-item]
        task = asyncio.create_task(sender.run_forever())
        try:
            await asyncio.sleep(0.2)  # the first round found nothing; the next poll is far
            thread = await asyncio.to_thread(
                lambda: _in_connection(open_ticket, runtime, "Printer jam"))
            sender.wake()  # what the daemon does after its worker committed work
            # the acknowledgment in the help thread, the new ticket in the triage room
            await until(lambda: len(platform.posted) == 2
                        and all(state == "sent" for state, _ in states()))
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await asyncio.to_thread(pool.close)
        assert thread.thread_root in [post.thread_id for post in platform.posted]
        assert all("Printer jam" in post.text for post in platform.posted)

    asyncio.run(scenario())
    assert sorted(states()) == [("sent", "$posted1"), ("sent", "$posted2")]


def test_threads_go_side_by_side_and_one_threads_posts_in_order(runtime: Runtime) -> None:
    slow = open_ticket(runtime, "VPN is down")
    fast = open_ticket(runtime, "Printer jam")
    first_of_slow = ChatOutbox.get(ChatOutbox.thread_id == slow.thread_root)
    chat_store.queue_post(slow, kind=first_of_slow.kind, context=dict(first_of_slow.context),
                          language=first_of_slow.language, attachments=[], now=db.utcnow())
    help_threads = {slow.thread_root, fast.thread_root}

    def in_help_threads(posted: list[ChatPost]) -> list[str | None]:
        return [p.thread_id for p in posted if p.thread_id in help_threads]

    async def scenario() -> Platform:
        platform = Platform(slow_thread=slow.thread_root)
        pool = ReadPool(threads=1)
        sender = ChatSender({"matrix": platform}, runtime, pool)  # type: ignore[dict-item]
        round_ = asyncio.create_task(sender.send_due())
        try:
            # the other thread's post is not held up by the slow thread's first post
            await until(lambda: in_help_threads(platform.posted) == [fast.thread_root])
            await asyncio.sleep(0.2)
            # the slow thread's second post waits its turn
            assert in_help_threads(platform.posted) == [fast.thread_root]
            platform.release.set()
            assert await round_ == 5  # with the two tickets' posts in the triage room
        finally:
            platform.release.set()
            await asyncio.gather(round_, return_exceptions=True)
            await asyncio.to_thread(pool.close)
        return platform

    platform = asyncio.run(scenario())
    assert in_help_threads(platform.posted) == [
        fast.thread_root, slow.thread_root, slow.thread_root]
    sent = {row.id: row.platform_message_id for row in ChatOutbox.select()}
    assert len(set(sent.values())) == len(platform.posted) == 5  # each post once
    made = {f"$posted{n}": post for n, post in enumerate(platform.posted, 1)}
    slow_posts = [made[sent[row.id]] for row in ChatOutbox.select().where(
        ChatOutbox.thread_id == slow.thread_root).order_by(ChatOutbox.id)]
    assert platform.posted.index(slow_posts[0]) < platform.posted.index(slow_posts[1])
    assert all(state == "sent" for state, _ in states())
    assert asyncio.run(_nothing_due(runtime)) == 0  # sent posts are not posted again


async def _nothing_due(runtime: Runtime) -> int:
    pool = ReadPool(threads=1)
    try:
        return await ChatSender({"matrix": Platform()}, runtime,  # type: ignore[dict-item]
                                pool).send_due()
    finally:
        await asyncio.to_thread(pool.close)


def _in_connection(work: Callable[..., Any], *args: Any) -> Any:
    with database.connection_context():
        return work(*args)
