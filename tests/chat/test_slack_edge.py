"""The Slack edge with the real slack_bolt / slack_sdk against the loopback Slack server.

The intake here is the seam itself: a plain async function appending to a list (the
core's intake commits to the database; these tests check what the edge hands in and
when it acknowledges).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from chat.slack_server import require_slack_sdk

require_slack_sdk()

from chat.intake_list import list_intake  # noqa: E402
from chat.slack_server import APP_TOKEN, BOT_TOKEN, TEAM_ID, SlackLoopback  # noqa: E402
from postdesk.channels.slack.edge import SlackPlatform  # noqa: E402
from postdesk.chat.model import ChatButton, ChatEvent, ChatFile, ChatPost  # noqa: E402
from postdesk.chat.platform import ChatPlatformError  # noqa: E402

Intake = Callable[[ChatEvent], Awaitable[bool]]


@asynccontextmanager
async def slack(intake: Intake | None = None, *, ack_timeout: float = 3.0,
                **edge_options: Any) -> AsyncIterator[tuple[SlackLoopback, SlackPlatform,
                                                            list[ChatEvent]]]:
    """The loopback server, the edge connected to it in Socket Mode, and what it handed in."""
    server = SlackLoopback(ack_timeout=ack_timeout)
    await server.start()
    server.add_user("U0ANNA", "Anna.Nowak@example.pl", locale="pl-PL", tz="Europe/Warsaw",
                    display_name="Boss")
    server.add_user("U0AGENT", "agent@desk.example", locale="de-DE", tz="Europe/Berlin")
    received, keep = list_intake()
    edge = SlackPlatform(bot_token=BOT_TOKEN, app_token=APP_TOKEN, api_url=server.api_url,
                         **edge_options)
    try:
        await edge.start(intake or keep)
        await server.wait_connected()
        yield server, edge, received
    finally:
        await edge.stop()
        await server.stop()


async def until(condition: Callable[[], Any], timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.02)


def run(test: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(test())


def test_top_level_message_arrives_with_the_verified_email_and_locale() -> None:
    async def scenario() -> None:
        async with slack() as (server, edge, received):
            event = server.message_event("U0ANNA", "Drukarka nie działa")
            event_id = server.send_event(event)
            await until(lambda: received)
            await until(lambda: server.deliveries[0].acked_at is not None)
            [got] = received
            assert got.kind == "message" and got.platform == "slack"
            assert got.event_id == event_id and got.workspace == TEAM_ID
            assert got.channel == "C0HELP" and got.message_id == event["ts"]
            assert got.thread_id is None and got.thread_root == event["ts"]
            assert got.text == "Drukarka nie działa"
            assert got.user.email == "anna.nowak@example.pl"  # the profile's, not "Boss"
            assert got.user.locale == "pl-PL" and got.user.timezone == "Europe/Warsaw"
            assert not got.user.is_bot
            assert edge.health() == "connected"
            server.send_event(server.message_event("U0ANNA", "and again"))
            await until(lambda: len(received) == 2)
            lookups = [c for c in server.calls if c.method == "users.info"]
            assert len(lookups) == 1  # the author's account is cached briefly
            assert lookups[0].args["include_locale"] in ("true", "1", True)
    run(scenario)


def test_thread_reply_reaction_and_bot_messages() -> None:
    async def scenario() -> None:
        async with slack() as (server, _edge, received):
            root = server.message_event("U0ANNA", "first")
            server.send_event(root)
            await until(lambda: len(received) == 1)
            server.send_event(server.message_event("U0AGENT", "on it", thread_ts=root["ts"]))
            await until(lambda: len(received) == 2)
            server.send_event({**server.message_event("U0AGENT", "edited"),
                               "subtype": "message_changed"})
            server.send_event({**server.message_event("U0AGENT", "from a bot"),
                               "bot_id": "B0OTHER"})
            server.send_event({"type": "reaction_added", "user": "U0AGENT",
                               "reaction": "white_check_mark", "item_user": "U0ANNA",
                               "item": {"type": "message", "channel": "C0HELP",
                                        "ts": root["ts"]}, "event_ts": server.next_ts()})
            await until(lambda: len(received) == 3)
            await until(lambda: all(d.acked_at for d in server.deliveries))
            reply, reaction = received[1], received[2]
            assert reply.thread_id == root["ts"] and reply.user.email == "agent@desk.example"
            assert reaction.kind == "reaction" and reaction.reaction == "white_check_mark"
            assert reaction.message_id == root["ts"]
            # the edit and the bot's message were acknowledged (not re-delivered) and dropped
            assert len(server.deliveries) == 5
            assert [e.kind for e in received] == ["message", "message", "reaction"]
    run(scenario)


def test_button_press_on_our_post_is_an_action() -> None:
    async def scenario() -> None:
        async with slack() as (server, edge, received):
            root = server.message_event("U0ANNA", "help")
            ts = await edge.post(ChatPost(
                platform="slack", workspace=TEAM_ID, channel="C0HELP", thread_id=root["ts"],
                text="Ticket #42 is open", idempotency_key="o1",
                buttons=(ChatButton("resolve", "Resolve", "42", "primary"),
                         ChatButton("csat", "1", "1"), ChatButton("csat", "5", "5"))))
            posted = server.messages[-1]
            assert posted["ts"] == ts and posted["thread_ts"] == root["ts"]
            elements = next(b for b in posted["blocks"] if b["type"] == "actions")["elements"]
            assert [e["action_id"] for e in elements] == ["resolve", "csat#1", "csat#2"]
            server.send_interactive(server.button_press("U0AGENT", posted, "csat#2", "5"))
            await until(lambda: received)
            [press] = received
            assert press.kind == "action" and press.action == "csat"
            assert press.action_value == "5" and press.message_id == ts
            assert press.thread_id == root["ts"] and press.user.email == "agent@desk.example"
            await until(lambda: server.deliveries[-1].acked_at is not None)
    run(scenario)


def test_shared_file_is_downloaded_with_the_bot_token() -> None:
    async def scenario() -> None:
        async with slack() as (server, _edge, received):
            png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
            shared = server.add_file("screen.png", "image/png", png)
            server.send_event(server.message_event("U0ANNA", "see", files=[shared]))
            await until(lambda: received)
            [got] = received
            assert got.files == (ChatFile("screen.png", "image/png", png, shared["id"]),)
    run(scenario)


def test_oversized_and_vanished_files_are_kept_by_name_without_content() -> None:
    async def scenario() -> None:
        async with slack() as (server, edge, received):
            edge.web_api.max_file_bytes = 100
            big = server.add_file("big.bin", "application/octet-stream", b"x" * 101)
            gone = server.add_file("gone.txt", "text/plain", b"1")
            server.delete_file(gone["id"])
            server.send_event(server.message_event("U0ANNA", "big", files=[big, gone]))
            await until(lambda: received)
            assert [(f.name, f.content) for f in received[0].files] == [
                ("big.bin", b""), ("gone.txt", b"")]
            assert received[0].text == "big"
    run(scenario)


def test_an_account_slack_cannot_describe_is_handed_in_without_an_email() -> None:
    async def scenario() -> None:
        async with slack() as (server, _edge, received):
            server.send_event(server.message_event("U0STRANGER", "who am I"))
            await until(lambda: received)
            assert received[0].user.user_id == "U0STRANGER"
            assert received[0].user.email is None
            await until(lambda: server.deliveries[0].acked_at is not None)
    run(scenario)


def test_a_rate_limited_user_lookup_is_not_acknowledged_and_is_retried() -> None:
    async def scenario() -> None:
        async with slack(ack_timeout=0.5) as (server, _edge, received):
            server.rate_limit("users.info", retry_after=1)
            server.send_event(server.message_event("U0ANNA", "later"))
            await until(lambda: received, 10)
            assert received[0].user.email == "anna.nowak@example.pl"
            assert server.deliveries[0].acked_at is None
            assert server.deliveries[1].retry_attempt == 1
    run(scenario)


def test_ack_only_after_the_intake_returned_and_a_failure_is_redelivered() -> None:
    async def scenario() -> None:
        calls: list[ChatEvent] = []
        ack_seen_during_intake: list[bool] = []
        server_ref: list[SlackLoopback] = []

        async def flaky(event: ChatEvent) -> bool:
            calls.append(event)
            await asyncio.sleep(0.2)  # a slow commit: the ack must still wait for it
            ack_seen_during_intake.append(any(d.acked_at for d in server_ref[0].deliveries))
            if len(calls) == 1:
                raise RuntimeError("database is locked")
            return True

        async with slack(flaky, ack_timeout=2.0) as (server, _edge, _received):
            server_ref.append(server)
            event_id = server.send_event(server.message_event("U0ANNA", "retry me"))
            await until(lambda: len(calls) == 2 and server.deliveries[-1].acked_at, 15)
            first, second = server.deliveries[0], server.deliveries[1]
            assert first.acked_at is None  # the failed intake was never acknowledged
            assert second.retry_attempt == 1 and second.acked_at is not None
            assert second.acked_at - second.sent_at >= 0.2  # not before the intake returned
            assert ack_seen_during_intake == [False, False]
            assert [c.event_id for c in calls] == [event_id, event_id]
            assert len(server.deliveries) == 2
    run(scenario)


def test_post_in_a_thread_edit_and_upload_through_the_v2_flow() -> None:
    async def scenario() -> None:
        async with slack() as (server, edge, _received):
            root = server.message_event("U0ANNA", "help")
            post = ChatPost(platform="slack", workspace=TEAM_ID, channel="C0HELP",
                            thread_id=root["ts"], text="We are on it", idempotency_key="o2")
            ts = await edge.post(post)
            assert server.messages[-1] == {**server.messages[-1], "ts": ts,
                                           "thread_ts": root["ts"], "text": "We are on it",
                                           "blocks": None}
            edited = await edge.post(ChatPost(**{**post.__dict__, "text": "Solved",
                                                 "edit_of": ts}))
            assert edited == ts and server.messages[-1]["text"] == "Solved"
            await edge.post(ChatPost(**{**post.__dict__,
                                        "text": "Customer wrote: <!channel> pay <x|here> & go"}))
            assert server.messages[-1]["text"] == (
                "Customer wrote: &lt;!channel&gt; pay &lt;x|here&gt; &amp; go")
            content = b"%PDF-1.7 invoice" * 100
            await edge.post(ChatPost(platform="slack", workspace=TEAM_ID, channel="C0HELP",
                                     thread_id=root["ts"], text="The invoice",
                                     idempotency_key="o3",
                                     files=(ChatFile("invoice.pdf", "application/pdf",
                                                     content),)))
            methods = [call.method for call in server.calls]
            assert "files.upload" not in methods
            assert methods[-2:] == ["files.getUploadURLExternal",
                                    "files.completeUploadExternal"]
            shared = server.messages[-1]
            assert shared["thread_ts"] == root["ts"]
            assert [b["text"]["text"] for b in shared["blocks"]] == ["The invoice"]
            assert [server.uploaded[f["id"]] for f in shared["files"]] == [content]
    run(scenario)


def test_posts_share_one_kept_alive_connection() -> None:
    """Not a new TCP connection (with real Slack, a TLS handshake) for every post."""
    async def scenario() -> None:
        async with slack() as (server, edge, _received):
            root = server.message_event("U0ANNA", "help")
            for n in range(3):
                await edge.post(ChatPost(platform="slack", workspace=TEAM_ID,
                                         channel="C0HELP", thread_id=root["ts"],
                                         text=f"Post {n}", idempotency_key=f"k{n}"))
            peers = {call.peer for call in server.calls if call.method == "chat.postMessage"}
            assert len(peers) == 1
    run(scenario)


def test_rate_limit_and_permanent_refusals_become_platform_errors() -> None:
    async def scenario() -> None:
        async with slack() as (server, edge, _received):
            post = ChatPost(platform="slack", workspace=TEAM_ID, channel="C0HELP",
                            thread_id=None, text="hello", idempotency_key="o4")
            server.rate_limit("chat.postMessage", retry_after=7)
            with pytest.raises(ChatPlatformError) as limited:
                await edge.post(post)
            assert limited.value.retry_after == 7 and not limited.value.permanent
            assert server.messages == []
            await edge.post(post)  # the limit passed: the same post goes through
            assert len(server.messages) == 1
            with pytest.raises(ChatPlatformError) as gone:
                await edge.post(ChatPost(**{**post.__dict__, "channel": "C0GONE"}))
            assert gone.value.permanent and "channel_not_found" in str(gone.value)
    run(scenario)


def test_a_refused_app_token_shows_in_health_and_does_not_raise() -> None:
    async def scenario() -> None:
        server = SlackLoopback()
        await server.start()
        edge = SlackPlatform(bot_token=BOT_TOKEN, app_token="xapp-wrong",
                             api_url=server.api_url)
        _received, keep = list_intake()
        try:
            await edge.start(keep)
            assert edge.health() == "refused: invalid_auth"
            assert server.connections == 0
        finally:
            await edge.stop()
            await server.stop()
    run(scenario)


def test_a_dropped_connection_shows_as_reconnecting_and_nothing_is_lost() -> None:
    async def scenario() -> None:
        async with slack(ping_interval=0.3) as (server, edge, received):
            server.refuse_connections = "internal_error"
            await server.drop_connection()
            await until(lambda: edge.health().startswith("reconnecting since "))
            event_id = server.send_event(server.message_event("U0ANNA", "while away"))
            await asyncio.sleep(0.5)
            assert received == []  # Slack holds the event while no socket is open
            server.refuse_connections = None
            await until(lambda: received, 20)
            assert [e.event_id for e in received] == [event_id]
            await until(lambda: edge.health() == "connected")
            assert server.connections == 2
    run(scenario)
