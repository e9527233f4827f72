"""The Matrix edge against a real Synapse (tests/chat/synapse.py): people write in a help
room with their own clients, the edge hands ChatEvents to a plain intake (the seam), and
what the edge posts shows up in the people's clients."""

from __future__ import annotations

import asyncio
import re
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from chat.matrix.conftest import Homeserver, Received, edge_for, event_for, running
from conftest import free_port
from postdesk.channels.matrix import MatrixPlatform
from postdesk.chat.model import ChatButton, ChatEvent, ChatFile, ChatPost
from postdesk.chat.platform import ChatPlatformError

#: one Synapse per test process: `make test` (--dist loadgroup) keeps these in one worker
pytestmark = pytest.mark.xdist_group("synapse")


def post_to(room: str, text: str, key: str, thread: str | None = None,
            **fields: Any) -> ChatPost:
    return ChatPost(platform="matrix", workspace="localhost", channel=room, thread_id=thread,
                    text=text, idempotency_key=key, **fields)


def test_a_customers_message_arrives_with_the_verified_email_and_no_thread(
        homeserver: Homeserver, help_room: str, tmp_path: Path) -> None:
    async def scenario() -> None:
        received = Received()
        edge = edge_for(homeserver, [help_room], tmp_path)
        async with running(edge, received):
            sent = await asyncio.to_thread(homeserver.customer.say, help_room,
                                           "The printer on floor 2 jams")
            event = await received.wait_for(lambda event: event.event_id == sent)
            health = edge.health()
        assert re.fullmatch(r"connected \(synced \d\d:\d\d:\d\d\)", health), health
        assert event.kind == "message"
        assert event.text == "The printer on floor 2 jams"
        assert event.user.user_id == homeserver.customer.user_id
        assert event.user.email == "customer@example.org"
        assert event.thread_id is None and event.message_id == sent
        assert event.channel == help_room and event.workspace == "localhost"
        assert event.sent_at is not None
    asyncio.run(scenario())


def test_a_reply_in_a_thread_names_its_root_and_a_reaction_names_its_message(
        homeserver: Homeserver, help_room: str, tmp_path: Path) -> None:
    async def scenario() -> tuple[str, ChatEvent, ChatEvent]:
        received = Received()
        async with running(edge_for(homeserver, [help_room], tmp_path), received):
            root = await asyncio.to_thread(homeserver.customer.say, help_room, "VPN is down")
            reply = await asyncio.to_thread(homeserver.customer.say, help_room,
                                            "Since 9 am", root)
            reaction = await asyncio.to_thread(homeserver.agent.react, help_room, root, "✅")
            in_thread = await received.wait_for(lambda event: event.event_id == reply)
            reacted = await received.wait_for(lambda event: event.event_id == reaction)
        return root, in_thread, reacted
    root, in_thread, reacted = asyncio.run(scenario())
    assert in_thread.thread_id == root and in_thread.text == "Since 9 am"
    assert in_thread.thread_root == root
    assert reacted.kind == "reaction" and reacted.reaction == "✅"
    assert reacted.message_id == root
    assert reacted.user.email == "agent@example.org"


def test_a_shared_file_arrives_with_its_bytes(
        homeserver: Homeserver, help_room: str, tmp_path: Path) -> None:
    screenshot = bytes(range(256)) * 40

    event = event_for(edge_for(homeserver, [help_room], tmp_path), lambda: (
        homeserver.customer.send_file(help_room, "error.png", "image/png", screenshot)))
    assert len(event.files) == 1
    assert event.files[0].name == "error.png"
    assert event.files[0].content_type == "image/png"
    assert event.files[0].content == screenshot
    assert event.files[0].platform_id.startswith("mxc://")


def test_a_file_over_the_limit_is_not_downloaded_but_the_message_arrives(
        homeserver: Homeserver, help_room: str, tmp_path: Path) -> None:
    event = event_for(edge_for(homeserver, [help_room], tmp_path, max_file_bytes=1000),
                      lambda: homeserver.customer.send_file(
                          help_room, "dump.bin", "application/octet-stream", b"x" * 5000))
    assert event.kind == "message" and event.files == ()


def test_a_file_the_homeserver_does_not_have_does_not_hold_up_the_room(
        homeserver: Homeserver, help_room: str, tmp_path: Path) -> None:
    def send_broken_file() -> str:
        return homeserver.customer.send(help_room, {
            "msgtype": "m.file", "body": "gone.pdf", "url": "mxc://localhost/NoSuchMedia"})

    async def scenario() -> list[ChatEvent]:
        received = Received()
        async with running(edge_for(homeserver, [help_room], tmp_path), received):
            broken = await asyncio.to_thread(send_broken_file)
            after = await asyncio.to_thread(homeserver.customer.say, help_room, "still there?")
            await received.wait_for(lambda event: event.event_id == after)
        return [event for event in received.events if event.event_id == broken]
    arrived = asyncio.run(scenario())
    assert len(arrived) == 1 and arrived[0].files == ()


def test_a_user_without_a_validated_email_has_none(
        homeserver: Homeserver, help_room: str, tmp_path: Path) -> None:
    event = event_for(edge_for(homeserver, [help_room], tmp_path),
                      lambda: homeserver.stranger.say(help_room, "hello?"))
    assert event.user.user_id == homeserver.stranger.user_id
    assert event.user.email is None


def test_without_admin_rights_nobody_has_an_email(
        homeserver: Homeserver, help_room: str, tmp_path: Path) -> None:
    """A desk account that is no server admin cannot see emails: the agent with a validated
    email is then a customer without agent power."""
    plain_bot = homeserver.server.register("plainbot")
    homeserver.agent.call("POST", f"/_matrix/client/v3/rooms/{help_room}/invite",
                          {"user_id": plain_bot.user_id})
    event = event_for(edge_for(homeserver, [help_room], tmp_path, user=plain_bot),
                      lambda: homeserver.agent.say(help_room, "#status resolved"))
    assert event.user.user_id == homeserver.agent.user_id
    assert event.user.email is None


def test_a_threaded_post_shows_in_the_customers_thread_and_the_desks_own_posts_are_not_events(
        homeserver: Homeserver, help_room: str, tmp_path: Path) -> None:
    async def scenario() -> tuple[str, str, Received]:
        received = Received()
        async with running(edge_for(homeserver, [help_room], tmp_path), received):
            root = await asyncio.to_thread(homeserver.customer.say, help_room, "No mail")
            await received.wait_for(lambda event: event.event_id == root)
            edge = edge_for(homeserver, [help_room], tmp_path / "out")
            posted = await edge.post(post_to(help_room, "Ticket #12 opened: Open", "out-1",
                                             root, buttons=(
                                                 ChatButton("resolve", "Resolve"),
                                                 ChatButton("assign_me", "Assign to me"))))
            await edge.stop()
            after = await asyncio.to_thread(homeserver.customer.say, help_room, "thanks",
                                            root)
            await received.wait_for(lambda event: event.event_id == after)
        return root, posted, received
    root, posted, received = asyncio.run(scenario())
    seen = {event["event_id"]: event for event in homeserver.customer.synced_events(help_room)}
    content = seen[posted]["content"]
    assert content["m.relates_to"]["rel_type"] == "m.thread"
    assert content["m.relates_to"]["event_id"] == root
    assert content["m.relates_to"]["m.in_reply_to"] == {"event_id": root}
    assert content["body"].startswith("Ticket #12 opened: Open")
    assert "✅ Resolve" in content["body"] and "🙋 Assign to me" in content["body"]
    in_thread = [event["event_id"] for event in
                 homeserver.customer.thread_events(help_room, root)]
    assert posted in in_thread
    assert posted not in [event.event_id for event in received.events]


def test_the_same_idempotency_key_twice_posts_once(
        homeserver: Homeserver, help_room: str, tmp_path: Path) -> None:
    async def scenario() -> tuple[str, str]:
        edge = edge_for(homeserver, [help_room], tmp_path)
        post = post_to(help_room, "Your ticket #7 is resolved", "outbox-7")
        try:
            first = await edge.post(post)
            second = await edge.post(post)  # a retry after a crash before "sent"
        finally:
            await edge.stop()
        return first, second
    first, second = asyncio.run(scenario())
    assert first == second
    bodies = [event["content"].get("body") for event in
              homeserver.customer.room_events(help_room)]
    assert bodies.count("Your ticket #7 is resolved") == 1


def test_an_edit_replaces_the_post_and_files_go_into_the_thread(
        homeserver: Homeserver, help_room: str, tmp_path: Path) -> None:
    root = homeserver.customer.say(help_room, "Need the invoice")
    invoice = ChatFile(name="invoice.pdf", content_type="application/pdf",
                       content=b"%PDF-1.4 invoice")

    async def scenario() -> tuple[str, str]:
        edge = edge_for(homeserver, [help_room], tmp_path)
        try:
            status = await edge.post(post_to(help_room, "Status: Open", "s-1", root,
                                              files=(invoice,)))
            edited = await edge.post(post_to(help_room, "Status: Resolved", "s-2", root,
                                             edit_of=status))
        finally:
            await edge.stop()
        return status, edited
    status, edited = asyncio.run(scenario())
    events = {event["event_id"]: event for event in homeserver.customer.room_events(help_room)}
    edit = events[edited]["content"]
    assert edit["m.relates_to"] == {"rel_type": "m.replace", "event_id": status}
    assert edit["m.new_content"]["body"] == "Status: Resolved"
    files = [event for event in homeserver.customer.thread_events(help_room, root)
             if event["content"].get("msgtype") == "m.file"]
    assert [event["content"]["body"] for event in files] == ["invoice.pdf"]
    media = files[0]["content"]["url"].removeprefix("mxc://")
    # the customer's client downloads what the desk sent
    request = urllib.request.Request(
        f"{homeserver.server.url}/_matrix/client/v1/media/download/{media}",
        headers={"Authorization": f"Bearer {homeserver.customer.access_token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.read() == b"%PDF-1.4 invoice"


def test_events_handed_in_before_a_crash_come_again_and_nothing_else_is_lost(
        homeserver: Homeserver, help_room: str, tmp_path: Path) -> None:
    """The edge dies after the intake got the batch but before it saved its token: on the
    next start the same events are handed in again (the intake deduplicates by event id),
    and what was said while it was down follows."""
    class CrashingIntake(Received):
        async def __call__(self, event: ChatEvent) -> bool:
            self.events.append(event)
            raise RuntimeError("the daemon was killed here")

    async def scenario() -> tuple[list[str], list[str], Received, Received]:
        crashing = CrashingIntake()
        edge = edge_for(homeserver, [help_room], tmp_path)
        async with running(edge, crashing):
            first = [await asyncio.to_thread(homeserver.customer.say, help_room, text)
                     for text in ("one", "two")]
            await crashing.wait_for(lambda event: event.event_id == first[0])
        while_down = [await asyncio.to_thread(homeserver.customer.say, help_room, "three")]
        again = Received()
        async with running(edge_for(homeserver, [help_room], tmp_path), again):
            await again.wait_for(lambda event: event.event_id == while_down[0])
        return first, while_down, crashing, again
    first, while_down, crashing, again = asyncio.run(scenario())
    assert crashing.events and crashing.events[0].event_id == first[0]
    assert [event.event_id for event in again.events] == first + while_down
    assert [event.text for event in again.events] == ["one", "two", "three"]


def test_a_timeline_the_homeserver_cut_short_is_filled_in(
        homeserver: Homeserver, help_room: str, tmp_path: Path) -> None:
    """More was said while the desk was away than one /sync shows (`limited`): the edge
    reads the gap from /messages, so every message arrives, in order."""
    async def scenario() -> tuple[list[str], Received]:
        async with running(edge_for(homeserver, [help_room], tmp_path), Received()):
            pass
        said = [await asyncio.to_thread(homeserver.customer.say, help_room, f"line {number}")
                for number in range(7)]
        received = Received()
        async with running(edge_for(homeserver, [help_room], tmp_path, timeline_limit=2),
                           received):
            await received.wait_for(lambda event: event.event_id == said[-1])
        return said, received
    said, received = asyncio.run(scenario())
    assert [event.event_id for event in received.events] == said


def test_what_was_said_before_the_desk_first_listened_is_no_request(
        homeserver: Homeserver, help_room: str, tmp_path: Path) -> None:
    old = homeserver.customer.say(help_room, "an old chat from last week")

    async def scenario() -> tuple[str, Received]:
        received = Received()
        async with running(edge_for(homeserver, [help_room], tmp_path), received):
            new = await asyncio.to_thread(homeserver.customer.say, help_room, "help, please")
            await received.wait_for(lambda event: event.event_id == new)
        return new, received
    new, received = asyncio.run(scenario())
    assert [event.event_id for event in received.events] == [new]
    assert old != new


def test_an_encrypted_room_is_named_in_the_health_line(
        homeserver: Homeserver, tmp_path: Path) -> None:
    """The desk cannot read end-to-end encrypted messages: it says so rather than stay
    silent about requests it never saw."""
    room = str(homeserver.agent.call("POST", "/_matrix/client/v3/createRoom", {
        "preset": "public_chat", "invite": [homeserver.bot.user_id],
        "initial_state": [{"type": "m.room.encryption", "state_key": "",
                           "content": {"algorithm": "m.megolm.v1.aes-sha2"}}]})["room_id"])
    homeserver.customer.join(room)

    async def scenario() -> tuple[str, Received]:
        received = Received()
        edge = edge_for(homeserver, [room], tmp_path)
        async with running(edge, received):
            await asyncio.to_thread(homeserver.customer.send, room, {
                "algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "AwgAEn...",
                "sender_key": "x", "session_id": "y", "device_id": "Z"}, "m.room.encrypted")
            for _ in range(200):
                if "encrypted" in edge.health():
                    break
                await asyncio.sleep(0.05)
            return edge.health(), received
    health, received = asyncio.run(scenario())
    assert health.endswith(f"; cannot read encrypted {room}")
    assert received.events == []


def test_a_rate_limited_post_says_when_to_retry(
        homeserver: Homeserver, help_room: str, tmp_path: Path) -> None:
    chatty = homeserver.server.register("chatty")
    homeserver.bot.call("POST", f"/_synapse/admin/v1/users/{chatty.user_id}/override_ratelimit",
                        {"messages_per_second": 1, "burst_count": 1})
    chatty.join(help_room)

    async def scenario() -> ChatPlatformError:
        edge = edge_for(homeserver, [help_room], tmp_path, user=chatty)
        try:
            for number in range(5):
                await edge.post(post_to(help_room, f"post {number}", f"rl-{number}"))
        except ChatPlatformError as exc:
            return exc
        finally:
            await edge.stop()
        raise AssertionError("five posts in a row at one a second were not limited")
    refused = asyncio.run(scenario())
    assert not refused.permanent
    assert refused.retry_after is not None and 0 < refused.retry_after <= 5


def test_a_post_to_a_room_the_desk_is_not_in_fails_for_good(
        homeserver: Homeserver, tmp_path: Path) -> None:
    private = homeserver.agent.create_room("Private", [])

    async def scenario() -> ChatPlatformError:
        edge = edge_for(homeserver, [], tmp_path)
        try:
            await edge.post(post_to(private, "hello", "p-1"))
        except ChatPlatformError as exc:
            return exc
        finally:
            await edge.stop()
        raise AssertionError("posted into a room the desk never joined")
    refused = asyncio.run(scenario())
    assert refused.permanent and "403" in str(refused)


def test_health_tells_when_the_homeserver_cannot_be_reached(tmp_path: Path) -> None:
    async def scenario() -> str:
        edge = MatrixPlatform(f"http://127.0.0.1:{free_port()}", "@desk:localhost", "token",
                              ["!room:localhost"], tmp_path, backoff=(0.05, 0.1))
        task = asyncio.create_task(edge.start(Received()))
        for _ in range(100):
            if edge.health().startswith("reconnecting"):
                break
            await asyncio.sleep(0.02)
        health = edge.health()
        await edge.stop()
        await asyncio.wait_for(task, timeout=5)
        return health
    health = asyncio.run(scenario())
    assert health.startswith("reconnecting since ")
    assert "last error: Matrix POST /_matrix/client/v3/join" in health \
        or "last error: Matrix GET /_matrix/client/v3/sync" in health

