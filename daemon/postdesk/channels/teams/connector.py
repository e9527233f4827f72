"""The Bot Connector REST calls of the edge: post, reply, edit, look up a member, fetch a file.

Calls go through the Agents SDK's `TeamsConnectorClient` at the conversation's
`serviceUrl` (or `[teams] api_url` when set), with a Bot Framework token from the
app's credentials (the SDK's MSAL provider; scope `https://api.botframework.com/.default`).
One client is kept per service URL and token, so a post costs one request. The
Connector's refusals become `ChatPlatformError`: HTTP 429 with its Retry-After, and
400 / 403 / 404 (bad activity, no rights: a private channel, a removed bot; the
conversation or message gone) marked permanent so the outbox stops retrying them.

Idempotency: the Bot Connector takes no idempotency key, so a post retried after a
crash between Microsoft's answer and our commit would show twice. The outbox closes
that window as far as it can: it stores the activity id `post` returns before it
marks the row sent, and never re-posts a row that has one.

Microsoft's documentation followed: Bot Connector REST API reference ("Send to
conversation" POST /v3/conversations/{conversationId}/activities, "Reply to activity"
POST .../activities/{activityId}, "Update activity" PUT .../activities/{activityId},
"Get conversation member" GET /v3/conversations/{conversationId}/members/{memberId},
"Create conversation" POST /v3/conversations), Teams' "Proactive messages" (a 1:1
conversation created with the user's AAD object id, `isGroup: false` and the tenant id;
the app must be installed for the user),
"Authenticate requests from your bot to the Bot Connector service" (the client
credentials token) and "Rate limiting for bots in Teams" (HTTP 429, Retry-After).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol

import aiohttp
from microsoft_agents.activity import Activity, ChannelAccount, ConversationParameters
from microsoft_agents.hosting.core.connector.teams import TeamsConnectorClient

from postdesk.channels.chat_download import read_at_most
from postdesk.channels.chat_retry import retry_after
from postdesk.channels.teams.activities import TeamsFileRef
from postdesk.chat.model import ChatFile, ChatUser
from postdesk.chat.platform import ChatPlatformError

log = logging.getLogger(__name__)

BOT_FRAMEWORK_RESOURCE = "https://api.botframework.com"
BOT_FRAMEWORK_SCOPE = "https://api.botframework.com/.default"
PERMANENT_STATUSES = frozenset({400, 403, 404, 405, 410, 413})
DEFAULT_USER_TTL = 300.0
DEFAULT_MAX_FILE_BYTES = 25 * 1024 * 1024
DEFAULT_TIMEOUT = 30.0


class TokenSource(Protocol):
    """What gives the bot its Bot Framework token: the SDK's `MsalAuth` in a desk (the
    `AccessTokenProviderBase` shape), a loopback issuer's client in the tests."""

    async def get_access_token(self, resource_url: str, scopes: list[str],
                               force_refresh: bool = False) -> str: ...


class BotConnector:
    """The Bot Connector as the edge uses it, with its refusals as `ChatPlatformError`."""

    def __init__(self, tokens: TokenSource, *, api_url: str = "",
                 user_ttl: float = DEFAULT_USER_TTL,
                 max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        self.tokens = tokens
        self.api_url = api_url
        self.user_ttl = user_ttl
        self.max_file_bytes = max_file_bytes
        self.timeout = timeout
        self._clients: dict[str, TeamsConnectorClient] = {}
        self._users: dict[str, tuple[float, ChatUser]] = {}
        self._token_refused = False

    async def close(self) -> None:
        clients = list(self._clients.values())
        self._clients.clear()
        for client in clients:
            await client.close()

    def base_url(self, service_url: str) -> str:
        url = self.api_url or service_url
        return url if url.endswith("/") else url + "/"

    async def send(self, service_url: str, conversation: str, activity: dict[str, Any],
                   *, edit_of: str | None = None) -> str:
        """Post to a conversation (a channel, a channel's thread, a chat), or put a new
        version of an earlier post; the activity id Teams gives it."""
        body = Activity.model_validate(activity)
        async with self._errors(f"posting to {conversation}", service_url) as client:
            if edit_of:
                answer = await client.conversations.update_activity(conversation, edit_of, body)
                return answer.id or edit_of
            answer = await client.conversations.send_to_conversation(conversation, body)
        if not answer.id:
            raise ChatPlatformError(f"teams accepted a post to {conversation} without an id")
        return str(answer.id)

    async def open_direct(self, service_url: str, *, bot_id: str, tenant: str,
                          user_id: str) -> str:
        """The bot's 1:1 conversation with the user of AAD object id `user_id` (Teams
        answers the same conversation each time it is asked for it)."""
        parameters = ConversationParameters(
            is_group=False, bot=ChannelAccount(id=bot_id),
            members=[ChannelAccount(id=user_id)], tenant_id=tenant,
            channel_data={"tenant": {"id": tenant}})
        async with self._errors(f"opening a 1:1 conversation with {user_id}",
                                service_url) as client:
            answer = await client.conversations.create_conversation(parameters)
        if not answer.id:
            raise ChatPlatformError(f"teams opened a conversation with {user_id} without an id")
        return str(answer.id)

    async def member(self, service_url: str, conversation: str, user_id: str) -> ChatUser:
        """The account behind a Teams or AAD id, its email as Entra ID has it (cached briefly)."""
        now = time.monotonic()
        cached = self._users.get(user_id)
        if cached and now - cached[0] < self.user_ttl:
            return cached[1]
        async with self._errors(f"looking up member {user_id}", service_url) as client:
            account = await client.get_conversation_member(conversation, user_id)
        found = chat_user(account.model_dump(by_alias=True, exclude_none=True))
        self._users[user_id] = (now, found)
        if found.user_id:
            self._users[found.user_id] = (now, found)
        return found

    async def download(self, ref: TeamsFileRef, service_url: str) -> ChatFile:
        """A shared file's bytes; over the size limit it comes back empty (name and type
        kept). The bot's token goes only to the Bot Connector's own host."""
        headers = {}
        if ref.needs_token:
            token = await self.tokens.get_access_token(BOT_FRAMEWORK_RESOURCE,
                                                       [BOT_FRAMEWORK_SCOPE])
            headers["Authorization"] = f"Bearer {token}"
        try:
            async with aiohttp.ClientSession(
                    timeout=aiohttp.ClientTimeout(total=self.timeout)) as session, \
                    session.get(ref.url, headers=headers) as response:
                if response.status != 200:
                    raise ChatPlatformError(
                        f"teams file {ref.name}: HTTP {response.status}",
                        retry_after=retry_after(response.headers),
                        permanent=response.status in (401, 403, 404, 410))
                content = await read_at_most(response, self.max_file_bytes)
        except aiohttp.ClientError as error:
            raise ChatPlatformError(f"teams file {ref.name}: {error}") from error
        if content is None:
            log.warning("teams file %s is over the limit of %d bytes: not kept", ref.name,
                        self.max_file_bytes)
            content = b""
        return ChatFile(name=ref.name, content_type=ref.content_type, content=content,
                        platform_id=ref.attachment_id)

    async def _client(self, service_url: str) -> TeamsConnectorClient:
        """The client of a service URL, carrying the current token: a renewed token is
        set on the same session, so requests already under way keep theirs."""
        base = self.base_url(service_url)
        token = await self.tokens.get_access_token(
            BOT_FRAMEWORK_RESOURCE, [BOT_FRAMEWORK_SCOPE], self._token_refused)
        self._token_refused = False
        client = self._clients.get(base)
        if client is None:
            session = aiohttp.ClientSession(
                base_url=base, timeout=aiohttp.ClientTimeout(total=self.timeout))
            client = TeamsConnectorClient(endpoint=base, token=token, session=session)
            self._clients[base] = client
        client.client.headers["Authorization"] = f"Bearer {token}"
        return client

    @asynccontextmanager
    async def _errors(self, doing: str, service_url: str
                      ) -> AsyncIterator[TeamsConnectorClient]:
        """The Connector's refusals and network failures as `ChatPlatformError`; after a
        401 the next call asks for a fresh token instead of the cached one."""
        try:
            yield await self._client(service_url)
        except aiohttp.ClientResponseError as error:
            self._token_refused = error.status == 401
            if error.status == 429:
                raise ChatPlatformError(f"teams rate limit while {doing}",
                                        retry_after=retry_after(error.headers) or 1.0
                                        ) from error
            raise ChatPlatformError(f"teams refused {doing}: HTTP {error.status}",
                                    permanent=error.status in PERMANENT_STATUSES) from error
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise ChatPlatformError(f"teams unreachable while {doing}: {error}") from error


def chat_user(account: dict[str, Any]) -> ChatUser:
    """A Bot Connector `TeamsChannelAccount` as a `ChatUser`: the AAD object id as its id,
    the email (or the UPN, which Entra ID issues as the sign-in address)."""
    address = account.get("email") or account.get("userPrincipalName")
    return ChatUser(
        platform="teams", user_id=str(account.get("aadObjectId") or account.get("id") or ""),
        email=str(address).strip().lower() if address else None,
        display_name=str(account.get("name") or ""))
