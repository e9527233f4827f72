"""Matrix edge benchmark against a real Synapse (`make synapse`): how long from a person's
message to our intake returning, and from our post to the person's client seeing it,
next to the homeserver's own round trips measured in the same run. Prints figures; it is
not a test.

    .venv/bin/python bench/chat_matrix.py [--count 200] [--rate 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from _common import free_port, percentile  # noqa: E402
from chat.synapse import MatrixUser, SynapseServer, synapse_available  # noqa: E402
from postdesk.channels.matrix import MatrixPlatform  # noqa: E402
from postdesk.chat.model import ChatEvent, ChatPost  # noqa: E402


def line(name: str, values: list[float]) -> str:
    p50 = percentile(values, 50) or 0.0
    p99 = percentile(values, 99) or 0.0
    return f"{name:<44} p50 {p50 * 1000:7.1f} ms   p99 {p99 * 1000:7.1f} ms   (n={len(values)})"


class PersonClient:
    """The person's side: sends and long-polls /sync over its own aiohttp session."""

    def __init__(self, session: aiohttp.ClientSession, user: MatrixUser, room: str) -> None:
        self.session = session
        self.user = user
        self.room = room
        self.headers = {"Authorization": f"Bearer {user.access_token}"}
        self.seen: dict[str, float] = {}
        self.txn = 0

    async def send(self, body: str) -> str:
        self.txn += 1
        async with self.session.put(
                f"{self.user.url}/_matrix/client/v3/rooms/{self.room}/send/m.room.message/"
                f"bench{self.txn}-{time.monotonic_ns()}", headers=self.headers,
                json={"msgtype": "m.text", "body": body}) as response:
            return str((await response.json())["event_id"])

    async def versions(self) -> None:
        async with self.session.get(f"{self.user.url}/_matrix/client/versions") as response:
            await response.read()

    async def follow(self, stop: asyncio.Event) -> None:
        since = None
        room_filter = json.dumps({"room": {"rooms": [self.room], "timeline": {"limit": 100}}})
        while not stop.is_set():
            params: dict[str, Any] = {"filter": room_filter, "timeout": "1000"}
            if since:
                params["since"] = since
            async with self.session.get(f"{self.user.url}/_matrix/client/v3/sync",
                                        headers=self.headers, params=params) as response:
                answer = await response.json()
            now = time.monotonic()
            room = answer.get("rooms", {}).get("join", {}).get(self.room, {})
            for event in room.get("timeline", {}).get("events", []):
                self.seen.setdefault(event["event_id"], now)
            since = answer["next_batch"]


async def measure(server: SynapseServer, count: int, rate: float, state_dir: Path) -> None:
    bot = server.register("benchdesk", admin=True)
    person = server.register("benchperson")
    person.set_verified_email(bot, "person@example.org")
    room = person.create_room("bench", [bot.user_id])
    bot.join(room)
    arrived: dict[str, float] = {}

    async def intake(event: ChatEvent) -> bool:
        arrived[event.event_id] = time.monotonic()
        return True

    edge = MatrixPlatform(server.url, bot.user_id, bot.access_token, [room], state_dir)
    edge_task = asyncio.create_task(edge.start(intake))
    async with aiohttp.ClientSession() as session:
        client = PersonClient(session, person, room)
        while not edge.health().startswith("connected"):
            await asyncio.sleep(0.05)
        interval = 1 / rate

        baseline = []
        for _ in range(count):
            began = time.monotonic()
            await client.versions()
            baseline.append(time.monotonic() - began)

        send_round_trip, event_to_intake = [], []
        for number in range(count):
            began = time.monotonic()
            event_id = await client.send(f"message {number}")
            send_round_trip.append(time.monotonic() - began)
            for _ in range(400):
                if event_id in arrived:
                    break
                await asyncio.sleep(0.002)
            event_to_intake.append(arrived.get(event_id, float("inf")) - began)
            await asyncio.sleep(max(0.0, interval - (time.monotonic() - began)))

        stop = asyncio.Event()
        follower = asyncio.create_task(client.follow(stop))
        await asyncio.sleep(0.5)
        post_to_visible = []
        for number in range(count):
            began = time.monotonic()
            event_id = await edge.post(ChatPost(
                platform="matrix", workspace="localhost", channel=room, thread_id=None,
                text=f"reply {number}", idempotency_key=f"bench-{number}-{time.time_ns()}"))
            for _ in range(2000):
                if event_id in client.seen:
                    break
                await asyncio.sleep(0.002)
            post_to_visible.append(client.seen.get(event_id, float("inf")) - began)
            await asyncio.sleep(max(0.0, interval - (time.monotonic() - began)))
        stop.set()
        await follower
    await edge.stop()
    await edge_task

    print(f"{count} of each at up to {rate:g}/s, one at a time")
    print(line("baseline: GET /_matrix/client/versions", baseline))
    print(line("baseline: a person's send (PUT) round trip", send_round_trip))
    print(line("person's send -> our intake returned", event_to_intake))
    print(line("our post -> the person's /sync shows it", post_to_visible))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0, help="messages per second at most")
    options = parser.parse_args()
    if not synapse_available():
        sys.exit("no .venv-synapse: run `make synapse` first")
    folder = Path(tempfile.mkdtemp(prefix="postdesk-bench-matrix-"))
    server = SynapseServer(folder / "synapse", free_port())
    try:
        server.start()
        print(f"Synapse {server.url}: answered /versions {server.start_seconds:.1f} s after start")
        asyncio.run(measure(server, options.count, options.rate, folder / "state"))
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
