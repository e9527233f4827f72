"""The HTTP Events API endpoint: an aiohttp server that passes each POST to Bolt.

One path, `/slack/events`, for events, interactivity and shortcuts alike (the Request
URLs of the app's Event Subscriptions and Interactivity pages). Bolt verifies the
signature and the timestamp, answers Slack's `url_verification` challenge, and
answers 500 when our listener failed, so Slack retries the delivery.

Slack's documentation followed: the Events API (the 3-second answer and the retries
with X-Slack-Retry-Num / X-Slack-Retry-Reason) and "Verifying requests from Slack".
"""

from __future__ import annotations

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.app.async_app import AsyncApp

EVENTS_PATH = "/slack/events"
#: Slack's payloads are small; a body over this is not Slack's
MAX_BODY_BYTES = 1024 * 1024


def parse_listen(listen: str) -> tuple[str, int]:
    """`host:port` (IPv6 in brackets) -> (host, port); a clear error naming the option."""
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ValueError(f"[slack] http_listen {listen!r}: expected HOST:PORT, "
                         "e.g. 127.0.0.1:3000")
    return host.strip("[]"), int(port)


class HttpEventsServer:
    """The Events API endpoint of one Bolt app."""

    def __init__(self, app: AsyncApp, listen: str) -> None:
        self.app = app
        self.host, self.port = parse_listen(listen)
        self._runner: web.AppRunner | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}{EVENTS_PATH}"

    async def start(self) -> None:
        server = web.Application(client_max_size=MAX_BODY_BYTES)
        server.router.add_post(EVENTS_PATH, self._handle)
        self._runner = web.AppRunner(server, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.Response:
        answer = await self.app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(answer)
