"""The Teams edge at 50 activities/s: activity POSTed -> answer received, and post() round trips.

    .venv/bin/python bench/chat_teams.py [--rate 50] [--seconds 10] [--json]

The loopback Bot Connector and token issuer (tests/chat/teams_server.py) runs in its
own thread and event loop, and plays the Connector's side: it POSTs activity k at
k/rate seconds (open loop, whatever the answers), each from one of 20 members, with a
real RS256 JWT (one token reused, as the Connector does for its lifetime), and times
each POST from sending to the answer. The bot side runs in this thread's loop.
Phases, one after the other:

1. baseline, activities: a bare aiohttp endpoint that parses the JSON body and answers
   202 (the transport and aiohttp alone: no token check, no commit);
2. the edge, activities: `TeamsPlatform` (the Agents SDK's JWT validation and
   CloudAdapter turn, the member lookup (cached after each member's first message),
   and an intake that commits each event durably (INSERT + COMMIT into an SQLite file,
   WAL, synchronous=FULL; the core's intake takes its place after the merge);
3. baseline, posts: a bare aiohttp POST of a reply activity to the Connector;
4. the edge, posts: `TeamsPlatform.post()` of a thread reply with two buttons (an
   Adaptive Card).

Prints p50/p99/max per phase. Target (issue 20): p99 under 300 ms from the platform's
event to our answer. Not a test.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "daemon"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import aiohttp
from aiohttp import web

from _chat_common import (
    LoopThread,
    committing_intake,
    open_loop,
    posting_phase,
    run_from_command_line,
    spread,
)
from _common import free_port
from chat.teams_server import APP_ID, CHANNEL, TENANT_ID, LoopbackTokens, TeamsLoopback
from postdesk.channels.teams.edge import TeamsPlatform
from postdesk.chat.model import ChatButton, ChatPost

USERS = 20


class ConnectorThread(LoopThread):
    """The loopback Connector in a thread of its own, driven from the bench's loop."""

    def __init__(self) -> None:
        super().__init__()
        self.server = TeamsLoopback()
        self.call(self.server.start())
        self.members = [self.server.add_member(f"{n:08d}-0000-4000-8000-000000000000",
                                               f"Member {n}", f"user{n}@example.com")
                        for n in range(USERS)]
        self.token = self.server.token()
        self.waits: list[float] = []
        self.statuses: list[int] = []

    async def _deliver(self, bot_url: str, n: int) -> None:
        activity = self.server.message(self.members[n % USERS], f"activity {n}")
        started = time.perf_counter()
        status, _ = await self.server.deliver(bot_url, activity, token=self.token)
        self.waits.append((time.perf_counter() - started) * 1000)
        self.statuses.append(status)

    def deliver(self, bot_url: str, n: int) -> None:
        asyncio.run_coroutine_threadsafe(self._deliver(bot_url, n), self.loop)

    def stop(self) -> None:
        self.call(self.server.stop())
        self.end()


async def activity_phase(side: ConnectorThread, bot_url: str, rate: float,
                         seconds: float) -> dict[str, Any]:
    side.waits.clear()
    side.statuses.clear()
    expected = int(rate * seconds)
    await open_loop(rate, seconds, lambda k: side.deliver(bot_url, k))
    deadline = time.perf_counter() + 60
    while len(side.waits) < expected and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    accepted = sum(1 for status in side.statuses if status in (200, 202))
    refused = sorted({status for status in side.statuses if status not in (200, 202)})
    return {"activities": len(side.waits), "accepted": accepted, "refused_with": refused,
            **spread(list(side.waits))}


async def baseline_activities(side: ConnectorThread, rate: float,
                              seconds: float) -> dict[str, Any]:
    """A bare aiohttp endpoint: parse the body, answer 202."""
    async def accept(request: web.Request) -> web.Response:
        await request.json()
        return web.Response(status=202)

    app = web.Application()
    app.router.add_post("/api/messages", accept)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        return await activity_phase(side, f"http://127.0.0.1:{port}/api/messages", rate,
                                    seconds)
    finally:
        await runner.cleanup()


async def edge_activities(side: ConnectorThread, edge: TeamsPlatform, database: Path,
                          rate: float, seconds: float) -> dict[str, Any]:
    connection, commit = committing_intake(database)
    await edge.start(commit)
    figures = await activity_phase(side, f"http://{edge.address}", rate, seconds)
    figures["committed"] = connection.execute("SELECT COUNT(*) FROM inbound").fetchone()[0]
    connection.close()
    return figures


async def main(rate: float, seconds: float) -> dict[str, Any]:
    side = ConnectorThread()
    server = side.server
    results: dict[str, Any] = {"rate_per_s": rate, "seconds": seconds}
    try:
        results["baseline_activities"] = await baseline_activities(side, rate, seconds)
        tokens = LoopbackTokens(server)
        edge = TeamsPlatform(app_id=APP_ID, tenant_id=TENANT_ID,
                             listen=f"127.0.0.1:{free_port()}",
                             openid_metadata=server.openid_metadata, tokens=tokens)
        with tempfile.TemporaryDirectory(prefix="chat-teams-bench-") as folder:
            results["edge_activities"] = await edge_activities(
                side, edge, Path(folder) / "inbound.sqlite3", rate, seconds)
        root = server.posted[0]["id"] if server.posted else "1700000000001"
        bearer = await tokens.get_access_token("https://api.botframework.com",
                                               ["https://api.botframework.com/.default"])
        async with aiohttp.ClientSession() as http:
            async def bare_post(k: int) -> None:
                async with http.post(
                        f"{server.url}/v3/conversations/{CHANNEL};messageid={root}/activities",
                        json={"type": "message", "text": f"reply {k}", "replyToId": root},
                        headers={"Authorization": f"Bearer {bearer}"}) as answer:
                    assert answer.status == 201, answer.status
            results["baseline_posts"] = await posting_phase(rate, seconds, bare_post)

        async def edge_post(k: int) -> None:
            await edge.post(ChatPost(
                platform="teams", workspace=TENANT_ID, channel=CHANNEL, thread_id=root,
                text=f"Ticket #{k} is open", idempotency_key=str(k),
                buttons=(ChatButton("resolve", "Resolve", str(k)),
                         ChatButton("assign_me", "Assign to me", str(k)))))
        results["edge_posts"] = await posting_phase(rate, seconds, edge_post)
        await edge.stop()
    finally:
        side.stop()
    return results


def show(results: dict[str, Any]) -> None:
    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f} ms"

    print(f"{results['rate_per_s']:g} per second for {results['seconds']:g} s")
    for name, label in (("baseline_activities", "baseline: bare aiohttp 202"),
                        ("edge_activities", "Teams edge: activity -> commit -> 202"),
                        ("baseline_posts", "baseline: bare Connector POST"),
                        ("edge_posts", "Teams edge: post() with a card")):
        row = results[name]
        extra = (f"  accepted {row['accepted']}/{row['activities']}"
                 if "activities" in row else "")
        if "committed" in row:
            extra += f", committed {row['committed']}"
        print(f"{label:40} p50 {ms(row['p50_ms']):>10}  p99 {ms(row['p99_ms']):>10}  "
              f"max {ms(row['max_ms']):>10}{extra}")
    p99 = results["edge_activities"]["p99_ms"]
    verdict = "met" if p99 is not None and p99 < 300 else "MISSED"
    print(f"target p99 activity -> answer < 300 ms: {verdict}")


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    run_from_command_line(__doc__.splitlines()[0], main, show)
