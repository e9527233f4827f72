"""The Teams edge: the messaging endpoint that hands each activity to the intake, then answers.

Teams has no socket mode: Microsoft's Bot Connector POSTs every activity to the bot's
public HTTPS endpoint (`/api/messages`, served here on `[teams] listen` behind the
desk's reverse proxy). Each request is checked first (`auth.ActivityAuth`: the SDK's
JWT validation plus the serviceUrl claim), answered 401 when the token does not
hold, and only then run through the Agents SDK's aiohttp `CloudAdapter`, whose turn
calls `on_turn` below. The HTTP answer (202 for a message, the invoke's 200 for a
card's Action.Execute) goes back only after `await intake(event)` returned, that is
after the event is committed; a failure anywhere (the member lookup, a file, the
intake) answers 500 and nothing is acknowledged. The SDK's default turn-error
handler, which would post the exception's text into the conversation, is replaced.

Out: `post` sends a new thread (POST to the channel's conversation), a reply in a
thread (POST to `<channel>;messageid=<root>`, the thread's conversation: Teams shows a
"reply to activity" POST of the bare channel as a new top-level post) or an edit (PUT)
through the Bot Connector (`connector.BotConnector`) at the conversation's service URL.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import replace
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any

from aiohttp import web
from microsoft_agents.activity import Activity, ActivityTypes, InvokeResponse
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import ChannelServiceClientFactoryBase, TurnContext
from microsoft_agents.hosting.core.connector.client import UserTokenClient
from microsoft_agents.hosting.core.connector.teams import TeamsConnectorClient

from postdesk.channels.teams.activities import (
    THREAD_SUFFIX,
    TeamsFileRef,
    TeamsInbound,
    thread_conversation,
)
from postdesk.channels.teams.activities import from_activity as read_activity
from postdesk.channels.teams.auth import (
    BOT_FRAMEWORK_METADATA,
    ActivityAuth,
    KeysUnavailable,
    Unauthorized,
)
from postdesk.channels.teams.cards import message_activity
from postdesk.channels.teams.connector import BotConnector, TokenSource
from postdesk.channels.teams.service_urls import ServiceUrls
from postdesk.chat.model import ChatEvent, ChatFile, ChatPost, ChatUser, Platform
from postdesk.chat.platform import ChatIntake, ChatPlatformError
from postdesk.config.validate import parse_listen

log = logging.getLogger(__name__)

MESSAGES_PATH = "/api/messages"
DEFAULT_LISTEN = "127.0.0.1:3978"
#: Bot Framework activities are small; a body over this is not the Connector's
MAX_BODY_BYTES = 1024 * 1024


class _NoTurnReplies(ChannelServiceClientFactoryBase):
    """The SDK builds a Connector client for every turn; the desk never answers inside a
    turn (its replies go through the outbox), so the turn's clients carry no token and
    no token is fetched while Teams waits for the answer."""

    def __init__(self, app_id: str) -> None:
        self.app_id = app_id

    async def create_connector_client(self, context: Any, claims_identity: Any,
                                      service_url: str, audience: str,
                                      scopes: list[str] | None = None,
                                      use_anonymous: bool = False) -> TeamsConnectorClient:
        return TeamsConnectorClient(endpoint=service_url, token="")

    async def create_user_token_client(self, context: Any, claims_identity: Any,
                                       use_anonymous: bool = False) -> UserTokenClient:
        return UserTokenClient(endpoint="https://api.botframework.com", token="",
                               app_id=self.app_id)


async def _raise(context: TurnContext, error: Exception) -> None:
    raise error


class TeamsPlatform:
    """One Teams app (Azure Bot registration) of one tenant."""

    platform: Platform = "teams"

    def __init__(self, *, app_id: str, app_password: str = "", tenant_id: str = "",
                 listen: str = DEFAULT_LISTEN, api_url: str = "",
                 openid_metadata: str = BOT_FRAMEWORK_METADATA,
                 data_dir: Path | None = None, tokens: TokenSource | None = None) -> None:
        if not app_id:
            raise ValueError("[teams] app_id is empty: set it (the Azure Bot's Microsoft App "
                             "ID) or POSTDESK_TEAMS_APP_ID")
        if tokens is None and not app_password:
            raise ValueError("[teams] app_password is empty: set it (a client secret of the "
                             "app) or POSTDESK_TEAMS_APP_PASSWORD")
        self.app_id = app_id
        self.tenant_id = tenant_id
        self.host, self.port = parse_listen(listen, "[teams] listen")
        self.auth = ActivityAuth(app_id=app_id, tenant_id=tenant_id,
                                 openid_metadata=openid_metadata)
        self.connector = BotConnector(tokens or _msal_tokens(app_id, app_password, tenant_id),
                                      api_url=api_url)
        self.service_urls = ServiceUrls(data_dir)
        self._conversations: dict[str, tuple[str, str]] = {}  # user -> (service URL, conv)
        self._intake: ChatIntake | None = None
        self._runner: web.AppRunner | None = None
        self._adapter = CloudAdapter(channel_service_client_factory=_NoTurnReplies(app_id))
        self._adapter.on_turn_error = _raise
        self._state = "not started"
        self._refusal: str | None = None
        self._last_activity: datetime | None = None

    # -- the ChatPlatform protocol -------------------------------------------------------

    async def start(self, intake: ChatIntake) -> None:
        """Listen for the Bot Connector's activities until `stop`. An unreachable OpenID
        metadata document does not raise: `health()` says so, requests are answered 503
        (the Connector retries) and the document is read again at the next request."""
        self._intake = intake
        try:
            await self.auth.load_keys()
        except KeysUnavailable as error:
            self._refusal = str(error)
            log.error("teams: %s; activities are answered 503 until it is readable", error)
        server = web.Application(client_max_size=MAX_BODY_BYTES)
        server.router.add_post(MESSAGES_PATH, self._handle)
        self._runner = web.AppRunner(server, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self._state = f"listening on {self.address}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.connector.close()
        self._state = "stopped"

    async def post(self, post: ChatPost) -> str:
        """A new thread, a reply in `post.thread_id`'s thread, or an edit; the activity id
        Teams gives it (which the outbox stores before marking the row sent: the Bot
        Connector takes no idempotency key). A direct message goes to the bot's 1:1
        conversation with `post.direct_to` (an AAD object id) in its tenant."""
        if post.direct_to:
            service_url = self.service_urls.lookup(post.workspace, "")
            conversation = await self.connector.open_direct(
                service_url, bot_id=f"28:{self.app_id}", tenant=post.workspace,
                user_id=post.direct_to)
            return await self.connector.send(service_url, conversation,
                                             message_activity(post))
        service_url = self.service_urls.lookup(post.workspace, post.channel)
        activity = message_activity(post)
        if post.thread_id and not post.edit_of:
            activity["replyToId"] = post.thread_id
        return await self.connector.send(
            service_url, thread_conversation(post.channel, post.thread_id), activity,
            edit_of=post.edit_of)

    async def user(self, user_id: str) -> ChatUser:
        known = self._conversations.get(user_id)
        if known is None:
            raise ChatPlatformError(f"teams user {user_id}: no conversation known to ask in "
                                    "(the desk has not heard from them since it started)")
        return await self.connector.member(known[0], known[1], user_id)

    def health(self) -> str:
        if self._refusal is not None and not self.auth.keys_ready:
            return f"refused: {self._refusal}"
        if self._last_activity is not None and self._state.startswith("listening"):
            return (f"{self._state}, last activity "
                    f"{self._last_activity.isoformat(timespec='seconds')}")
        return self._state

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}{MESSAGES_PATH}"

    # -- activities in -------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"error": "the body is not JSON"}, status=400)
        service_url = str(body.get("serviceUrl") or "") if isinstance(body, dict) else ""
        try:
            claims = await self.auth.claims(request.headers.get("Authorization"), service_url)
        except KeysUnavailable as error:
            self._refusal = str(error)
            return web.json_response({"error": "keys unavailable"}, status=503)
        except Unauthorized as error:
            log.warning("teams: refused a request from %s: %s", request.remote, error)
            return web.json_response({"error": "unauthorized"}, status=401)
        with warnings.catch_warnings():
            # the SDK's adapter reads the claims under this plain string key
            warnings.simplefilter("ignore", web.NotAppKeyWarning)
            request["claims_identity"] = claims
        try:
            answer = await self._adapter.process(request, self)
        except Exception:
            log.exception("teams: activity %s not accepted (Teams may deliver it again)",
                          body.get("id"))
            return web.json_response({"error": "not stored"}, status=500)
        return answer or web.Response(status=HTTPStatus.ACCEPTED)

    async def on_turn(self, context: TurnContext) -> None:
        """The SDK's turn: hand every event of the activity in, in order."""
        activity = context.activity.model_dump(mode="json", by_alias=True, exclude_none=True)
        self._last_activity = datetime.now(UTC)
        events = read_activity(activity)
        for inbound in events:
            self.service_urls.remember(inbound.workspace, inbound.channel, inbound.service_url)
            await self._hand_in(inbound)
        if events and activity.get("type") == ActivityTypes.invoke:
            await context.send_activity(Activity(
                type=ActivityTypes.invoke_response, value=InvokeResponse(status=200, body={
                    "statusCode": 200, "type": "application/vnd.microsoft.activity.message",
                    "value": ""})))

    async def _author(self, inbound: TeamsInbound) -> ChatUser:
        """The author as Entra ID knows them (member API); an account the Connector will
        never describe (left the team: 404) is handed in without an email, so it gets no
        agent power. A passing failure raises: no acknowledgment."""
        conversation = inbound.conversation.partition(THREAD_SUFFIX)[0]
        who = inbound.aad_object_id or inbound.user_id
        self._conversations[who] = (inbound.service_url, conversation)
        try:
            author = await self.connector.member(inbound.service_url, conversation,
                                                 inbound.user_id)
        except ChatPlatformError as error:
            if not error.permanent:
                raise
            log.warning("teams user %s handed in without an email: %s", who, error)
            author = ChatUser(platform="teams", user_id=who, display_name=inbound.display_name)
        return replace(author, user_id=author.user_id or who, locale=inbound.locale,
                       timezone=inbound.timezone)

    async def _file(self, ref: TeamsFileRef, service_url: str) -> ChatFile:
        try:
            return await self.connector.download(ref, service_url)
        except ChatPlatformError as error:
            if not error.permanent:
                raise
            log.warning("teams file %s not fetched: %s", ref.name, error)
            return ChatFile(name=ref.name, content_type=ref.content_type, content=b"",
                            platform_id=ref.attachment_id)

    async def _hand_in(self, inbound: TeamsInbound) -> None:
        if self._intake is None:
            raise ChatPlatformError("teams activity before start(): not acknowledged")
        author = await self._author(inbound)
        files = tuple([await self._file(ref, inbound.service_url) for ref in inbound.files])
        await self._intake(ChatEvent.received("teams", inbound, author, files))


def _msal_tokens(app_id: str, app_password: str, tenant_id: str) -> TokenSource:
    """The SDK's MSAL client-credentials provider for the app's Bot Framework token."""
    from microsoft_agents.authentication.msal import MsalAuth
    from microsoft_agents.hosting.core.authorization import AgentAuthConfiguration

    return MsalAuth(AgentAuthConfiguration(
        client_id=app_id, client_secret=app_password, tenant_id=tenant_id or None))
