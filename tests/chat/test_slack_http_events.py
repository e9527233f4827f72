"""The Slack edge over the HTTP Events API: signed requests in, forged or stale ones refused.

Slack signs each request with the app's signing secret: `X-Slack-Signature` is
`v0=` + HMAC-SHA256(secret, "v0:" + X-Slack-Request-Timestamp + ":" + body), and a
timestamp more than five minutes away is refused ("Verifying requests from Slack").
The signatures here are computed with hmac directly, not with the SDK under test.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from urllib.parse import urlencode

import aiohttp

from chat.slack_server import require_slack_sdk

require_slack_sdk()

from chat.intake_list import list_intake  # noqa: E402
from chat.slack_server import BOT_TOKEN, TEAM_ID, SlackLoopback  # noqa: E402
from conftest import free_port  # noqa: E402
from postdesk.channels.slack.edge import SlackPlatform  # noqa: E402
from postdesk.chat.model import ChatEvent  # noqa: E402

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def signed(body: bytes, *, secret: str = SECRET, at: float | None = None) -> dict[str, str]:
    stamp = str(int(time.time() if at is None else at))
    digest = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body,
                      hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}",
            "Content-Type": "application/json"}


def event_body(text: str) -> bytes:
    return json.dumps({
        "token": "unused", "team_id": TEAM_ID, "api_app_id": "A0LOOP",
        "type": "event_callback", "event_id": "Ev0HTTP1", "event_time": int(time.time()),
        "event": {"type": "message", "channel": "C0HELP", "user": "U0ANNA", "text": text,
                  "ts": "1700000000.000100", "channel_type": "channel"}}).encode()


@asynccontextmanager
async def http_edge(intake: Callable[[ChatEvent], Awaitable[bool]]
                    ) -> AsyncIterator[tuple[str, aiohttp.ClientSession]]:
    server = SlackLoopback()
    await server.start()
    server.add_user("U0ANNA", "anna@example.pl", locale="pl-PL")
    listen = f"127.0.0.1:{free_port()}"
    edge = SlackPlatform(bot_token=BOT_TOKEN, signing_secret=SECRET, api_url=server.api_url,
                         http_listen=listen)
    await edge.start(intake)
    assert edge.health() == f"connected: HTTP Events API on {listen}/slack/events"
    try:
        async with aiohttp.ClientSession() as client:
            yield f"http://{listen}/slack/events", client
    finally:
        await edge.stop()
        await server.stop()


def test_signed_event_is_handed_in_and_forged_or_stale_ones_are_refused() -> None:
    async def scenario() -> None:
        received, keep = list_intake()

        async with http_edge(keep) as (url, client):
            body = event_body("Laptop broken")
            forged = signed(body, secret="not-the-secret")
            async with client.post(url, data=body, headers=forged) as answer:
                assert answer.status == 401
            stale = signed(body, at=time.time() - 6 * 60)
            async with client.post(url, data=body, headers=stale) as answer:
                assert answer.status == 401
            tampered = signed(body)
            async with client.post(url, data=event_body("Laptop fine"),
                                   headers=tampered) as answer:
                assert answer.status == 401
            assert received == []
            async with client.post(url, data=body, headers=signed(body)) as answer:
                assert answer.status == 200
            [got] = received
            assert got.text == "Laptop broken" and got.user.email == "anna@example.pl"
            assert got.event_id == "Ev0HTTP1" and got.user.locale == "pl-PL"
    asyncio.run(scenario())


def test_a_failing_intake_answers_5xx_so_slack_retries() -> None:
    async def scenario() -> None:
        async def broken(event: ChatEvent) -> bool:
            raise RuntimeError("disk full")

        async with http_edge(broken) as (url, client):
            body = event_body("Laptop broken")
            async with client.post(url, data=body, headers=signed(body)) as answer:
                assert answer.status >= 500
    asyncio.run(scenario())


def test_the_url_verification_challenge_is_answered_only_when_signed() -> None:
    async def scenario() -> None:
        _received, keep = list_intake()
        async with http_edge(keep) as (url, client):
            body = json.dumps({"type": "url_verification", "token": "unused",
                               "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
                               }).encode()
            async with client.post(url, data=body, headers=signed(body)) as answer:
                assert answer.status == 200
                assert "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in await answer.text()
            async with client.post(url, data=body, headers=signed(body, secret="x")) as answer:
                assert answer.status == 401
    asyncio.run(scenario())


def test_a_signed_button_press_arrives_as_a_form_post() -> None:
    async def scenario() -> None:
        received, keep = list_intake()

        async with http_edge(keep) as (url, client):
            press = SlackLoopback().button_press(
                "U0ANNA", {"ts": "1700000000.000300", "channel": "C0HELP", "text": "Rate us",
                           "thread_ts": "1700000000.000100"}, "csat#4", "4")
            body = urlencode({"payload": json.dumps(press)}).encode()
            headers = {**signed(body), "Content-Type": "application/x-www-form-urlencoded"}
            async with client.post(url, data=body, headers=headers) as answer:
                assert answer.status == 200
            [got] = received
            assert (got.kind, got.action, got.action_value) == ("action", "csat", "4")
            assert got.thread_id == "1700000000.000100"
    asyncio.run(scenario())
