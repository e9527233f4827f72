"""The Slack edge: Bolt listeners that hand each event to the intake, then acknowledge.

Bolt runs with `process_before_response`, so the acknowledgment Slack receives (the
Socket Mode `{"envelope_id"}` or the HTTP 200) is sent only after our listener
returned, that is after `await intake(event)` committed the event. A listener that
raises (the intake failed, users.info is unreachable) makes Bolt answer 500: in
Socket Mode no ack is sent and Slack re-delivers the envelope, over HTTP Slack sees
the 5xx and retries. Slack wants the ack within 3 seconds; a retry of an event that
was committed after all is deduplicated by the intake (`ChatEvent.dedup_key`).

Socket Mode is the default (an outgoing WebSocket, no public URL); the HTTP Events
API (`http_listen`) verifies every request with the signing secret (Bolt's
`RequestVerification`: HMAC-SHA256 `v0` signature, a 5-minute timestamp window) and
answers 401 to a forged or stale one before any listener sees it.

Web API calls (posts, users.info) share one HTTP session from `start` to `stop`, whose
connections are kept alive: slack_sdk's client without one opens a new session, a TCP
connection and a TLS handshake, for every call.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import aiohttp
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from postdesk.channels.slack import payloads
from postdesk.channels.slack.http_events import HttpEventsServer
from postdesk.channels.slack.web_api import SlackWebApi
from postdesk.chat.model import ChatEvent, ChatFile, ChatPost, ChatUser, Platform
from postdesk.chat.platform import ChatIntake, ChatPlatformError

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"
ANY = re.compile(".*")
#: how often the connection is looked at for `health()`
WATCH_INTERVAL = 1.0
#: the longest wait between two refused attempts to open the Socket Mode connection
MAX_RETRY_DELAY = 60.0


class SlackPlatform:
    """One Slack workspace's app, in Socket Mode or over the HTTP Events API."""

    platform: Platform = "slack"

    def __init__(self, *, bot_token: str, app_token: str = "", signing_secret: str = "",
                 api_url: str = DEFAULT_API_URL, http_listen: str = "",
                 ping_interval: float = 10.0, web_api: SlackWebApi | None = None) -> None:
        if not bot_token:
            raise ValueError("[slack] bot_token is empty: set it (xoxb-...) or "
                             "POSTDESK_SLACK_BOT_TOKEN")
        if http_listen and not signing_secret:
            raise ValueError("[slack] signing_secret is empty: the HTTP Events API "
                             "(http_listen) cannot verify requests without it")
        if not http_listen and not app_token:
            raise ValueError("[slack] app_token is empty: Socket Mode needs it (xapp-...), "
                             "or set http_listen and signing_secret for the HTTP Events API")
        self.bot_token = bot_token
        self.app_token = app_token
        self.signing_secret = signing_secret
        self.api_url = api_url if api_url.endswith("/") else api_url + "/"
        self.http_listen = http_listen
        self.ping_interval = ping_interval
        self.client = AsyncWebClient(token=bot_token, base_url=self.api_url)
        self.web_api = web_api or SlackWebApi(self.client)
        self._intake: ChatIntake | None = None
        self._handler: AsyncSocketModeHandler | None = None
        self._http: HttpEventsServer | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._state = "not started"
        self._down_since: datetime | None = None

    # -- the ChatPlatform protocol -------------------------------------------------------

    async def start(self, intake: ChatIntake) -> None:
        """Connect (or listen) and return; events flow to `intake` until `stop`. A refused
        token does not raise: `health()` says so and the connection is retried."""
        self._intake = intake
        if self.client.session is None or self.client.session.closed:
            self.client.session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.client.timeout))
        app = self._bolt_app()
        if self.http_listen:
            self._http = HttpEventsServer(app, self.http_listen)
            await self._http.start()
            self._state = f"connected: HTTP Events API on {self._http.address}"
            return
        handler = AsyncSocketModeHandler(
            app, app_token=self.app_token, web_client=AsyncWebClient(base_url=self.api_url),
            ping_interval=self.ping_interval)
        self._handler = handler
        first_try = asyncio.Event()
        self._tasks.append(asyncio.create_task(self._connect(handler, first_try)))
        await first_try.wait()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self._handler is not None:
            await self._handler.close_async()  # closes its WebSocket and HTTP session
            self._handler = None
        if self._http is not None:
            await self._http.stop()
            self._http = None
        if self.client.session is not None:
            await self.client.session.close()
            self.client.session = None
        self._state = "stopped"

    async def post(self, post: ChatPost) -> str:
        return await self.web_api.post(post)

    async def user(self, user_id: str) -> ChatUser:
        return await self.web_api.user(user_id)

    def health(self) -> str:
        if self._down_since is not None and not self._state.startswith("refused"):
            return f"reconnecting since {self._down_since.isoformat(timespec='seconds')}"
        return self._state

    # -- Socket Mode ---------------------------------------------------------------------

    async def _connect(self, handler: AsyncSocketModeHandler, first_try: asyncio.Event) -> None:
        """Open the connection, retrying a refusal with backoff; then watch it for health
        (the SDK reconnects by itself when Slack closes or the pings stop)."""
        delay = 1.0
        while True:
            try:
                opened = await handler.client.web_client.apps_connections_open(
                    app_token=self.app_token)
                handler.client.wss_uri = str(opened["url"])
                await handler.connect_async()
                break
            except SlackApiError as error:
                self._state = f"refused: {error.response.get('error') or error}"
            except Exception as error:  # unreachable, TLS...: keep the desk up, say so
                self._state = f"refused: {error}"
            log.warning("slack socket mode: %s; retrying in %.0f s", self._state, delay)
            first_try.set()
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_RETRY_DELAY)
        self._state = "connected"
        first_try.set()
        await self._watch(handler)

    async def _watch(self, handler: AsyncSocketModeHandler) -> None:
        while True:
            if await handler.client.is_connected():
                self._down_since = None
            elif self._down_since is None:
                self._down_since = datetime.now(UTC)
            await asyncio.sleep(WATCH_INTERVAL)

    # -- events in -----------------------------------------------------------------------

    def _bolt_app(self) -> AsyncApp:
        app = AsyncApp(client=self.client, signing_secret=self.signing_secret or None,
                       process_before_response=True,
                       request_verification_enabled=bool(self.http_listen))
        app.event("message")(self._on_event)
        app.event("reaction_added")(self._on_event)
        app.action(ANY)(self._on_interactive)
        app.shortcut(ANY)(self._on_interactive)
        app.view(ANY)(self._ignore)
        # anything else the app is subscribed to is acknowledged and ignored: an unmatched
        # event would be answered 404 and re-delivered by Slack for nothing
        app.event(ANY)(self._ignore)
        return app

    async def _on_event(self, body: dict[str, Any], ack: Any) -> None:
        inbound = payloads.from_event_callback(body)
        if inbound is not None:
            await self._hand_in(inbound)
        await ack()

    async def _on_interactive(self, body: dict[str, Any], ack: Any) -> None:
        inbound = payloads.from_interactive(body)
        if inbound is not None:
            await self._hand_in(inbound)
        await ack()

    @staticmethod
    async def _ignore(ack: Any) -> None:
        await ack()

    async def _author(self, user_id: str) -> ChatUser:
        """The author as Slack vouches for them; an account Slack will never describe
        (user_not_found, missing scope) is handed in without an email, so it gets no
        agent power, rather than lost after Slack's last retry. A passing failure
        (rate limit, network) raises: no ack, Slack retries."""
        try:
            author = await self.web_api.user(user_id)
        except ChatPlatformError as error:
            if not error.permanent:
                raise
            log.warning("slack user %s handed in without an email: %s", user_id, error)
            return ChatUser(platform="slack", user_id=user_id)
        return author if author.user_id else replace(author, user_id=user_id)

    async def _file(self, ref: payloads.SlackFileRef) -> ChatFile:
        """A shared file's bytes; one Slack refuses for good (deleted, no access) is kept
        by name and type without content, the message itself still handed in."""
        try:
            return await self.web_api.download(ref)
        except ChatPlatformError as error:
            if not error.permanent:
                raise
            log.warning("slack file %s (%s) not fetched: %s", ref.file_id, ref.name, error)
            return ChatFile(name=ref.name, content_type=ref.content_type, content=b"",
                            platform_id=ref.file_id)

    async def _hand_in(self, inbound: payloads.SlackInbound) -> None:
        """Resolve the author and the files, then commit through the intake (raises when
        anything fails, so Bolt does not acknowledge)."""
        if self._intake is None:
            raise ChatPlatformError("slack event before start(): not acknowledged")
        author = await self._author(inbound.user_id)
        files = tuple([await self._file(ref) for ref in inbound.files])
        await self._intake(ChatEvent.received("slack", inbound, author, files))
