"""The chat outbox sender against the loopback Slack server (tests/chat/slack_server.py):
a post that reached Slack but whose row was never marked sent (the commit after Slack's
answer lost: a crash) is found by its metadata after the restart and not posted again,
a share of files by the key in its first block's id; a post claimed but never made is
made once; the files of a post with buttons whose upload failed follow on the retry."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from chat.slack_server import require_slack_sdk

require_slack_sdk()

from chat.slack_server import APP_TOKEN, BOT_TOKEN, SlackLoopback  # noqa: E402
from postdesk.channels.chat_sender import ChatSender  # noqa: E402
from postdesk.channels.slack.edge import SlackPlatform  # noqa: E402
from postdesk.config.runtime import Runtime  # noqa: E402
from postdesk.config.settings import Settings  # noqa: E402
from postdesk.mail.parse import Attachment as ParsedAttachment  # noqa: E402
from postdesk.store import chat_store, db  # noqa: E402
from postdesk.store.chat_store import ChatOutbox  # noqa: E402
from postdesk.store.db import database  # noqa: E402
from postdesk.store.models import Attachment  # noqa: E402
from postdesk.store.read_pool import ReadPool  # noqa: E402
from postdesk.tickets import service  # noqa: E402

TRIAGE = "C0TRIAGE"
WARNING = {"ticket": {"id": 7}, "sla": {"clock": "resolution", "label": "75%",
                                        "due_at": "2026-12-07T14:00:00+00:00"}}
NEW_TICKET = {"ticket": {"id": 7, "subject": "Dock not charging", "priority": "normal",
                         "team": "support"},
              "customer": {"name": "Ann", "email": "ann@customer.example"},
              "message": {"text": "It stopped charging."}}


@pytest.fixture
def runtime(migrated: str, make_settings: Callable[..., Settings]) -> Iterator[Runtime]:
    with database.connection_context():
        yield Runtime(make_settings(migrated))


def queue(kind: str, context: dict[str, Any], thread_id: str | None,
          attachments: list[int] | None = None) -> int:
    now = db.utcnow()
    return int(ChatOutbox.create(kind=kind, platform="slack", workspace="", channel=TRIAGE,
                                 thread_id=thread_id, context=context, language="en",
                                 attachments=attachments or [], state="pending",
                                 next_attempt_at=now, created_at=now).id)


INVOICE = b"%PDF-1.7 invoice " * 200


def stored_invoice() -> int:
    """An attachment of a ticket's message (the file a chat post carries): its id."""
    now = db.utcnow()
    with database.atomic():
        ann = service.find_or_create_customer("ann@customer.example", "Ann", language="en",
                                              timezone=None, now=now)
        ticket = service.open_ticket(ann, "Invoice", now=now)
        message = service.add_message(
            ticket, direction="out", visibility="public", author_email="alex@example.com",
            author_name="Alex", subject="", text="Here it is", body="Here it is",
            html=None, message_id=None, inbound=None, now=now,
            attachments=[ParsedAttachment("invoice.pdf", "application/pdf", INVOICE, None,
                                          False)])
    return int(Attachment.get(Attachment.message == message.id).id)


def thread_root(server: SlackLoopback) -> str:
    root = server.next_ts()
    server.messages.append({"type": "message", "channel": TRIAGE, "ts": root,
                            "text": "New ticket #7", "thread_ts": None,
                            "bot_id": "B0BOT", "user": "U0BOT", "files": []})
    return root


def shares(server: SlackLoopback) -> list[dict[str, Any]]:
    """The messages that share files, each with the bytes of its files."""
    return [m for m in server.messages if m.get("files")]


class CommitLost(Exception):
    """The process died between Slack's answer and the commit that records it."""


@dataclass
class SlackSide:
    """The loopback Slack server and a chat sender posting to it through the Slack edge."""

    server: SlackLoopback
    runtime: Runtime
    edge: SlackPlatform
    pool: ReadPool

    async def send_due(self) -> int:
        """One round of a (new) chat sender: how many posts it took."""
        return await ChatSender({"slack": self.edge}, self.runtime, self.pool).send_due()


@asynccontextmanager
async def slack_side(runtime: Runtime) -> AsyncIterator[SlackSide]:
    server = SlackLoopback()
    await server.start()
    pool = ReadPool(threads=1, name="test-chat-sender")
    try:
        yield SlackSide(server, runtime, SlackPlatform(bot_token=BOT_TOKEN,
                                                       app_token=APP_TOKEN,
                                                       api_url=server.api_url), pool)
    finally:
        pool.close()
        await server.stop()


async def crash_then_restart(side: SlackSide, monkeypatch: pytest.MonkeyPatch) -> None:
    """One sender round whose commit after Slack's answer is lost, then a restarted one."""
    def lost(*args: Any) -> None:
        raise CommitLost()

    with monkeypatch.context() as patched:
        patched.setattr(chat_store, "record_posts_done", lost)
        with pytest.raises(CommitLost):
            await side.send_due()
    # the restart: the only daemon takes up what the dead one had claimed
    await side.pool.run(chat_store.release_first_claims, db.utcnow())
    assert await side.send_due() == 1


@pytest.mark.parametrize("in_thread", [True, False], ids=["thread reply", "top-level"])
def test_a_post_whose_commit_was_lost_is_not_posted_again_after_a_restart(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch, in_thread: bool) -> None:
    async def scenario() -> None:
        async with slack_side(runtime) as side:
            server = side.server
            root = thread_root(server)
            row_id = queue("sla_warning", WARNING, root) if in_thread \
                else queue("triage_ticket", NEW_TICKET, None)
            await crash_then_restart(side, monkeypatch)

            made = [m for m in server.messages if m["ts"] != root]
            assert len(made) == 1, [m["text"] for m in made]
            row = ChatOutbox.get_by_id(row_id)
            assert (row.state, row.platform_message_id) == ("sent", made[0]["ts"])
            posts = [call.method for call in server.calls if call.method.startswith(
                ("chat.", "conversations."))]
            looked = "conversations.replies" if in_thread else "conversations.history"
            assert posts == ["chat.postMessage", looked]

    asyncio.run(scenario())


def test_a_post_claimed_but_never_made_is_made_once_and_first_attempts_look_for_nothing(
        runtime: Runtime) -> None:
    async def scenario() -> None:
        async with slack_side(runtime) as side:
            server = side.server
            root = thread_root(server)
            fresh = queue("sla_warning", WARNING, root)
            claimed = queue("sla_warning", {**WARNING, "sla": {**WARNING["sla"],
                                                               "label": "breach"}}, root)
            # a sender took the second post, then died before it reached Slack
            assert chat_store.claim_posts([claimed], db.utcnow(), timedelta(seconds=120))
            await side.pool.run(chat_store.release_first_claims, db.utcnow())
            assert await side.send_due() == 2

            replies = [m for m in server.messages if m.get("thread_ts") == root]
            assert len(replies) == 2
            assert {ChatOutbox.get_by_id(i).state for i in (fresh, claimed)} == {"sent"}
            # only the post claimed before was looked for
            assert [c.method for c in server.calls if c.method.startswith(
                ("chat.", "conversations."))] == ["chat.postMessage",
                                                  "conversations.replies",
                                                  "chat.postMessage"]

    asyncio.run(scenario())


CUSTOMER_WROTE = {"ticket": {"id": 7}, "customer": {"name": "Ann",
                                                   "email": "ann@customer.example"},
                  "message": {"text": "The invoice you asked for"}}


@pytest.mark.parametrize("kind", ["agent_reply", "customer_message"],
                         ids=["files only", "buttons and files"])
def test_files_whose_commit_was_lost_are_shared_once_after_a_restart(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    """A post of files only (an agent's reply with an attachment) goes through the v2
    upload, which takes no metadata: after the crash the share is found by its block id;
    a post with buttons has its message found by metadata and its files' share too."""
    async def scenario() -> None:
        async with slack_side(runtime) as side:
            server = side.server
            root = thread_root(server)
            row_id = queue(kind, CUSTOMER_WROTE if kind == "customer_message" else
                           {"ticket": {"id": 7}, "agent": {"name": "Alex"},
                            "message": {"text": "Here it is"}}, root, [stored_invoice()])
            await crash_then_restart(side, monkeypatch)

            [share] = shares(server)
            assert [server.uploaded[f["id"]] for f in share["files"]] == [INVOICE]
            assert share["thread_ts"] == root
            made = [m for m in server.messages if m["ts"] != root]
            assert len(made) == (1 if kind == "agent_reply" else 2)
            row = ChatOutbox.get_by_id(row_id)
            assert (row.state, row.platform_message_id) == ("sent", made[0]["ts"])
            uploads = [c.method for c in server.calls
                       if c.method == "files.completeUploadExternal"]
            assert uploads == ["files.completeUploadExternal"]

    asyncio.run(scenario())


def test_the_files_of_a_post_with_buttons_follow_when_their_upload_failed(
        runtime: Runtime) -> None:
    """The message with buttons was posted, the upload of its files refused: the retry
    finds the message (not posted again) and shares the files in its thread."""
    async def scenario() -> None:
        async with slack_side(runtime) as side:
            server = side.server
            root = thread_root(server)
            row_id = queue("customer_message", CUSTOMER_WROTE, root, [stored_invoice()])
            server.rate_limit("files.getUploadURLExternal", retry_after=1)
            assert await side.send_due() == 1
            assert ChatOutbox.get_by_id(row_id).state == "pending" and not shares(server)
            ChatOutbox.update(next_attempt_at=db.utcnow()).where(
                ChatOutbox.id == row_id).execute()
            assert await side.send_due() == 1

            posted = [m for m in server.messages if m["ts"] != root and not m.get("files")]
            assert len(posted) == 1 and "The invoice you asked for" in posted[0]["text"]
            [share] = shares(server)
            assert [server.uploaded[f["id"]] for f in share["files"]] == [INVOICE]
            row = ChatOutbox.get_by_id(row_id)
            assert (row.state, row.platform_message_id) == ("sent", posted[0]["ts"])

    asyncio.run(scenario())
