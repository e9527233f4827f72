"""The Slack edge at 50 events/s: envelope sent -> ack received, and post() round trips.

    .venv/bin/python bench/chat_slack.py [--rate 50] [--seconds 10] [--json]

The loopback Slack server (tests/chat/slack_server.py) runs in its own thread and
event loop; the client side runs in this thread's loop. Events go out on a fixed
schedule (event k at k/rate seconds, whatever the acks: open loop), each from one
of 20 users, and the latency of an envelope is the server's clock from sending it
to receiving its `{"envelope_id"}` ack. Phases, one after the other:

1. baseline, events: a bare aiohttp WebSocket client on the same server that acks
   every envelope as soon as it has parsed it (the transport and the server alone);
2. the edge, events: `SlackPlatform` in Socket Mode (Bolt + slack_sdk), users.info
   (cached after each user's first event), and an intake that commits each event
   durably (an INSERT + COMMIT into an SQLite file in WAL mode, synchronous=FULL:
   the core's intake takes its place after the merge);
3. baseline, posts: a bare aiohttp JSON POST of chat.postMessage at the same rate;
4. the edge, posts: `SlackPlatform.post()` of a thread reply with two buttons.

Prints p50/p99/max per phase, and how many envelopes Slack would have re-delivered
(no ack within 3 s). Targets (issue 20): p99 under 300 ms from event to ack. Not a test.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "daemon"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import aiohttp

from _chat_common import (
    LoopThread,
    committing_intake,
    open_loop,
    posting_phase,
    run_from_command_line,
    spread,
)
from chat.slack_server import APP_TOKEN, BOT_TOKEN, TEAM_ID, Delivery, SlackLoopback
from postdesk.channels.slack.edge import SlackPlatform
from postdesk.chat.model import ChatButton, ChatPost

USERS = 20


class ServerThread(LoopThread):
    """The loopback server in a thread of its own, driven from the bench's loop."""

    def __init__(self) -> None:
        super().__init__()
        self.server = SlackLoopback()
        self.call(self.server.start())
        for n in range(USERS):
            self.server.add_user(f"U{n:04d}", f"user{n}@example.com", locale="pl-PL")

    def send_event(self, n: int) -> None:
        server = self.server
        self.loop.call_soon_threadsafe(lambda: server.send_event(
            server.message_event(f"U{n % USERS:04d}", f"event {n}")))

    def stop(self) -> None:
        self.call(self.server.stop())
        self.end()


async def drain(deliveries: list[Delivery], expected: int, timeout: float = 30.0) -> None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        firsts = [d for d in deliveries if d.retry_attempt == 0]
        if len(firsts) >= expected and all(d.acked_at or d.retry_attempt for d in firsts):
            acked = sum(1 for d in deliveries if d.acked_at)
            if acked >= expected:
                return
        await asyncio.sleep(0.05)


def event_figures(deliveries: list[Delivery]) -> dict[str, Any]:
    firsts = [d for d in deliveries if d.retry_attempt == 0]
    waits = [(d.acked_at - d.sent_at) * 1000 for d in firsts if d.acked_at is not None]
    return {"events": len(firsts), "acked_first_time": len(waits),
            "redelivered": sum(1 for d in deliveries if d.retry_attempt > 0),
            **spread(waits)}


async def bare_socket_phase(side: ServerThread, rate: float, seconds: float) -> dict[str, Any]:
    """Baseline: a bare WebSocket client that acks each envelope on receipt."""
    server = side.server
    async with aiohttp.ClientSession() as http:
        async with http.post(server.api_url + "apps.connections.open",
                             headers={"Authorization": f"Bearer {APP_TOKEN}"}) as answer:
            url = (await answer.json())["url"]
        async with http.ws_connect(url) as socket:
            async def ack_all() -> None:
                async for frame in socket:
                    envelope = json.loads(frame.data)
                    if "envelope_id" in envelope:
                        await socket.send_str(json.dumps(
                            {"envelope_id": envelope["envelope_id"]}))
            acker = asyncio.create_task(ack_all())
            side.call(server.wait_connected())
            await open_loop(rate, seconds, side.send_event)
            await drain(server.deliveries, int(rate * seconds))
            acker.cancel()
    figures = event_figures(server.deliveries)
    server.deliveries.clear()
    return figures


async def edge_phase(side: ServerThread, edge: SlackPlatform, database: Path, rate: float,
                     seconds: float) -> dict[str, Any]:
    """The Slack edge into an intake that commits each event."""
    server = side.server
    connection, commit = committing_intake(database)
    await edge.start(commit)
    side.call(server.wait_connected())
    await open_loop(rate, seconds, side.send_event)
    await drain(server.deliveries, int(rate * seconds))
    figures = event_figures(server.deliveries)
    figures["committed"] = connection.execute("SELECT COUNT(*) FROM inbound").fetchone()[0]
    connection.close()
    return figures


async def main(rate: float, seconds: float) -> dict[str, Any]:
    side = ServerThread()
    results: dict[str, Any] = {"rate_per_s": rate, "seconds": seconds}
    try:
        results["baseline_events"] = await bare_socket_phase(side, rate, seconds)
        edge = SlackPlatform(bot_token=BOT_TOKEN, app_token=APP_TOKEN,
                             api_url=side.server.api_url)
        with tempfile.TemporaryDirectory(prefix="chat-slack-bench-") as folder:
            results["edge_events"] = await edge_phase(
                side, edge, Path(folder) / "inbound.sqlite3", rate, seconds)
        async with aiohttp.ClientSession() as http:
            async def bare_post(k: int) -> None:
                async with http.post(side.server.api_url + "chat.postMessage",
                                     json={"channel": "C0HELP", "text": f"reply {k}",
                                           "thread_ts": "1.000001"},
                                     headers={"Authorization": f"Bearer {BOT_TOKEN}"}) as r:
                    assert (await r.json())["ok"]
            results["baseline_posts"] = await posting_phase(rate, seconds, bare_post)

        async def edge_post(k: int) -> None:
            await edge.post(ChatPost(
                platform="slack", workspace=TEAM_ID, channel="C0HELP", thread_id="1.000001",
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
    for name, label in (("baseline_events", "baseline: bare WebSocket ack"),
                        ("edge_events", "Slack edge: event -> commit -> ack"),
                        ("baseline_posts", "baseline: bare chat.postMessage POST"),
                        ("edge_posts", "Slack edge: post() with buttons")):
        row = results[name]
        extra = (f"  acked first time {row['acked_first_time']}/{row['events']}, "
                 f"re-delivered {row['redelivered']}" if "events" in row else "")
        if "committed" in row:
            extra += f", committed {row['committed']}"
        print(f"{label:40} p50 {ms(row['p50_ms']):>10}  p99 {ms(row['p99_ms']):>10}  "
              f"max {ms(row['max_ms']):>10}{extra}")
    p99 = results["edge_events"]["p99_ms"]
    verdict = "met" if p99 is not None and p99 < 300 else "MISSED"
    print(f"target p99 event -> ack < 300 ms: {verdict}")


if __name__ == "__main__":
    run_from_command_line(__doc__.splitlines()[0], main, show)
