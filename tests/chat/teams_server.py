"""A loopback Bot Connector and token issuer for tests and bench/chat_teams.py, on 127.0.0.1.

It speaks the documented wire protocol, so the real Microsoft 365 Agents SDK (its
aiohttp `CloudAdapter`, its `JwtTokenValidator`, its `TeamsConnectorClient`) runs
against it unchanged:

- The token issuer, as "Authentication with the Bot Connector API" describes the
  channel side: an OpenID configuration document (`/v1/.well-known/openidconfiguration`:
  `issuer`, `jwks_uri`, `id_token_signing_alg_values_supported: ["RS256"]`) and a JWKS
  (`/v1/.well-known/keys`: RSA keys with `kid`, `n`, `e`, `use: sig` and the
  `endorsements` naming the channels). Activities are POSTed to the bot with
  `Authorization: Bearer <JWT>`, RS256-signed with the test key, claims `iss`
  (`https://api.botframework.com`), `aud` (the bot's app id), `exp`, `nbf` and
  `serviceurl` (this server). `deliver` can also send forged, unsigned, expired or
  wrong-audience tokens: the bot must refuse them with 401.
- The bot's own token ("Authenticate requests from your bot to the Bot Connector
  service"): an OAuth 2.0 client-credentials POST (`grant_type=client_credentials`,
  `client_id`, `client_secret`, `scope=https://api.botframework.com/.default`) to
  `/oauth2/v2.0/token` answers `{"token_type": "Bearer", "expires_in", "access_token"}`;
  every Connector call must carry that token, or gets 401.
- The Bot Connector REST API reference (learn.microsoft.com, "API reference" of the
  Bot Connector service): POST `/v3/conversations/{conversationId}/activities` and
  `.../activities/{activityId}` answer 201 with a `ResourceResponse` `{"id"}` (in a
  channel a post lands in the thread its conversation id names with the suffix
  `;messageid=<root>`, and a POST to `.../activities/{id}` of the bare channel id at the
  top level, as Teams does); PUT `.../activities/{activityId}` answers 200 `{"id"}`;
  GET `/v3/conversations/{conversationId}/members/{memberId}` answers a
  `TeamsChannelAccount` (`id` 29:..., `aadObjectId`, `name`, `email`,
  `userPrincipalName`, `tenantId`, `userRole`) or 404 `{"error": {"code":
  "MemberNotFoundInConversation"}}`; POST `/v3/conversations` ("Create conversation",
  with Teams' "Proactive messages": `isGroup: false`, `bot`, one member by its AAD
  object id or 29: id, `tenantId` or `channelData.tenant.id`) answers a
  `ConversationResourceResponse` `{"id"}`, the same 1:1 conversation (`a:1...`) each time
  for one user, to which activities may then be POSTed, or 400 `BadArgument` / 404
  `MemberNotFoundInTenant` (group conversations are not served here); a rate limit is
  HTTP 429 with `Retry-After`
  ("Rate limiting for bots in Teams"). Inline images of a message are served at
  `/v3/attachments/{id}/views/original` (the Connector's attachment view, bot token
  required), shared files at `/sharepoint/{name}` (a pre-authenticated download URL,
  no token, like `file.download.info`'s `downloadUrl`).
- Activities follow the Bot Framework Activity schema with Teams' channel data
  ("Channel and group chat conversations with a bot": `conversation.id` of a channel
  thread `19:...@thread.tacv2;messageid=<root>`, `channelData.team`, `.channel`,
  `.tenant`; "Receive reactions": `messageReaction` with `reactionsAdded` and
  `replyToId`; "Card actions": an `Action.Submit` press arrives as a `message` whose
  `value` is the button's `data`; Universal Actions: `invoke` `adaptiveCard/action`).
  Posted activities are checked against the schema the SDK itself validates with
  (`Activity.model_validate`) and, for cards, against the Adaptive Card 1.4 shape
  (`type: AdaptiveCard`, `version`, `body` of TextBlocks, `actions` of Action.Submit
  with `title` and `data`).
"""

from __future__ import annotations

import base64
import importlib.util
import itertools
import os
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import ClientSession, web

APP_ID = "00000000-0000-4000-8000-00000000b075"
APP_PASSWORD = "loopback-secret"
TENANT_ID = "11111111-2222-4333-8444-555555555555"
BOT_ISSUER = "https://api.botframework.com"
CHANNEL = "19:0helpchannel@thread.tacv2"
TEAM = "19:0team@thread.tacv2"
BOT_ID = f"28:{APP_ID}"


def require_agents_sdk() -> None:
    """Skip a test module without the chat extra locally; fail under CI (which installs it)."""
    names = ("microsoft_agents.hosting.aiohttp", "jwt", "cryptography")
    if all(importlib.util.find_spec(name) for name in names):
        return
    reason = "microsoft-agents-hosting-aiohttp missing: pip install -e '.[chat]'"
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason, allow_module_level=True)


@dataclass
class Call:
    method: str
    path: str
    body: Any
    at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class Member:
    teams_id: str  # 29:...
    aad_object_id: str
    name: str
    email: str | None
    upn: str


class TeamsLoopback:
    """The Bot Connector, its token issuer, and a client that delivers activities to a bot."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives.asymmetric import rsa

        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "loopback-key-1"
        self.calls: list[Call] = []
        self.posted: list[dict[str, Any]] = []  # activities the bot sent, with "id" and "path"
        self.members: dict[str, Member] = {}
        self.files: dict[str, tuple[str, bytes]] = {}
        self.bot_tokens: set[str] = set()
        #: AAD object id -> the bot's 1:1 conversation with that member (POST /v3/conversations)
        self.direct: dict[str, str] = {}
        self.metadata_down = False  # the OpenID document answers 503 while True
        self._rate_limits: dict[str, float] = {}
        self._ids = itertools.count(1_700_000_000_000)
        self._runner: web.AppRunner | None = None
        self._client: ClientSession | None = None
        self.port = 0

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/v1/.well-known/openidconfiguration", self._metadata)
        app.router.add_get("/v1/.well-known/keys", self._keys)
        app.router.add_post("/oauth2/v2.0/token", self._token)
        app.router.add_post("/v3/conversations", self._create_conversation)
        app.router.add_post("/v3/conversations/{conversation}/activities", self._send)
        app.router.add_post("/v3/conversations/{conversation}/activities/{activity}",
                            self._send)
        app.router.add_put("/v3/conversations/{conversation}/activities/{activity}",
                           self._update)
        app.router.add_get("/v3/conversations/{conversation}/members/{member}", self._member)
        app.router.add_get("/v3/attachments/{id}/views/original", self._attachment)
        app.router.add_get("/sharepoint/{name}", self._sharepoint)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._client = ClientSession()

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def service_url(self) -> str:
        return f"{self.url}/"

    @property
    def openid_metadata(self) -> str:
        return f"{self.url}/v1/.well-known/openidconfiguration"

    # -- the world ---------------------------------------------------------------------------

    def add_member(self, aad_object_id: str, name: str, email: str | None,
                   upn: str | None = None) -> Member:
        member = Member(teams_id=f"29:{aad_object_id[:8]}", aad_object_id=aad_object_id,
                        name=name, email=email, upn=upn or email or f"{aad_object_id}@x")
        self.members[member.teams_id] = member
        self.members[aad_object_id] = member
        return member

    def add_inline_image(self, content_type: str, content: bytes) -> str:
        attachment_id = uuid.uuid4().hex
        self.files[attachment_id] = (content_type, content)
        return f"{self.url}/v3/attachments/{attachment_id}/views/original"

    def add_shared_file(self, name: str, content: bytes) -> str:
        self.files[name] = ("application/octet-stream", content)
        return f"{self.url}/sharepoint/{name}"

    def rate_limit(self, method: str, retry_after: float) -> None:
        """The next `method` call ("POST" / "PUT" / "GET members") answers 429 once."""
        self._rate_limits[method] = retry_after

    def next_id(self) -> str:
        return str(next(self._ids))

    # -- activities to the bot -------------------------------------------------------------

    def message(self, member: Member, text: str, *, thread_root: str | None = None,
                attachments: list[dict[str, Any]] | None = None,
                value: dict[str, Any] | None = None, reply_to: str | None = None,
                mention_bot: bool = False) -> dict[str, Any]:
        """A message in the help channel: top level, or a reply in `thread_root`'s thread."""
        own = self.next_id()
        activity = self._base(member, "message", own, thread_root or own)
        activity.update(text=text, textFormat="plain")
        if mention_bot:
            activity["text"] = f"<at>Postdesk</at> {text}"
            activity["entities"] = [{"type": "mention", "text": "<at>Postdesk</at>",
                                     "mentioned": {"id": BOT_ID, "name": "Postdesk"}}]
        if thread_root:
            activity["replyToId"] = thread_root
        if reply_to:
            activity["replyToId"] = reply_to
        if attachments:
            activity["attachments"] = attachments
        if value is not None:
            activity["value"] = value
            activity.pop("text")
        return activity

    def reaction(self, member: Member, message_id: str, thread_root: str,
                 *names: str) -> dict[str, Any]:
        activity = self._base(member, "messageReaction", self.next_id(), thread_root)
        activity.update(replyToId=message_id,
                        reactionsAdded=[{"type": name} for name in names])
        return activity

    def card_submit(self, member: Member, card: dict[str, Any], title: str,
                    thread_root: str) -> dict[str, Any]:
        """A press of the card's button `title` (an Action.Submit): a message with its data."""
        content = card["attachments"][0]["content"]
        [button] = [a for a in content["actions"] if a["title"] == title]
        return self.message(member, "", thread_root=thread_root, value=dict(button["data"]),
                            reply_to=card["id"])

    def _base(self, member: Member, kind: str, own_id: str, root: str) -> dict[str, Any]:
        return {
            "type": kind, "id": own_id, "channelId": "msteams",
            "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "serviceUrl": self.service_url, "locale": "pl-PL",
            "localTimezone": "Europe/Warsaw",
            "from": {"id": member.teams_id, "name": member.name,
                     "aadObjectId": member.aad_object_id},
            "recipient": {"id": BOT_ID, "name": "Postdesk"},
            "conversation": {"id": f"{CHANNEL};messageid={root}", "isGroup": True,
                             "conversationType": "channel", "tenantId": TENANT_ID},
            "channelData": {"team": {"id": TEAM}, "channel": {"id": CHANNEL},
                            "tenant": {"id": TENANT_ID}},
        }

    def token(self, *, audience: str = APP_ID, key: Any = None, kid: str | None = None,
              lifetime: float = 3600, service_url: str | None = None,
              algorithm: str = "RS256") -> str:
        import jwt

        now = int(time.time())
        claims = {"iss": BOT_ISSUER, "aud": audience, "nbf": now - 5, "iat": now - 5,
                  "exp": now + int(lifetime),
                  "serviceurl": self.service_url if service_url is None else service_url}
        if algorithm == "none":
            return jwt.encode(claims, None, algorithm="none", headers={"kid": self.kid})
        return jwt.encode(claims, key or self.key, algorithm=algorithm,
                          headers={"kid": kid or self.kid})

    async def deliver(self, bot_url: str, activity: dict[str, Any], *,
                      token: str | None = None) -> tuple[int, Any]:
        """POST one activity to the bot as the Connector does; its status and JSON body."""
        assert self._client is not None
        headers = {"Authorization": f"Bearer {token or self.token()}"}
        async with self._client.post(bot_url, json=activity, headers=headers) as response:
            body = await response.json(content_type=None) if await response.read() else None
            return response.status, body

    # -- handlers ----------------------------------------------------------------------------

    async def _metadata(self, _request: web.Request) -> web.Response:
        if self.metadata_down:
            return web.Response(status=503)
        return web.json_response({
            "issuer": BOT_ISSUER, "authorization_endpoint": f"{self.url}/oauth2/v2.0/authorize",
            "jwks_uri": f"{self.url}/v1/.well-known/keys",
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"]})

    async def _keys(self, request: web.Request) -> web.Response:
        self.calls.append(Call("GET", request.path, None))
        numbers = self.key.public_key().public_numbers()
        return web.json_response({"keys": [{
            "kty": "RSA", "use": "sig", "kid": self.kid, "alg": "RS256",
            "n": _b64(numbers.n), "e": _b64(numbers.e), "endorsements": ["msteams"]}]})

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if (form.get("grant_type") != "client_credentials" or form.get("client_id") != APP_ID
                or form.get("client_secret") != APP_PASSWORD
                or form.get("scope") != "https://api.botframework.com/.default"):
            return web.json_response({"error": "invalid_client"}, status=401)
        token = f"bot-{uuid.uuid4().hex}"
        self.bot_tokens.add(token)
        return web.json_response({"token_type": "Bearer", "expires_in": 3599,
                                  "ext_expires_in": 3599, "access_token": token})

    def _refused(self, request: web.Request, method: str) -> web.Response | None:
        if request.headers.get("Authorization", "").removeprefix("Bearer ") not in \
                self.bot_tokens:
            return web.json_response({"message": "Authorization has been denied"}, status=401)
        if method in self._rate_limits:
            retry_after = self._rate_limits.pop(method)
            return web.json_response({"error": {"code": "TooManyRequests"}}, status=429,
                                     headers={"Retry-After": str(retry_after)})
        return None

    async def _send(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(Call("POST", request.path, body))
        if refused := self._refused(request, "POST"):
            return refused
        conversation = request.match_info["conversation"]
        if not conversation.startswith(CHANNEL) and conversation not in self.direct.values():
            return web.json_response({"error": {"code": "ConversationNotFound"}}, status=404)
        problem = _schema_problem(body)
        if problem:
            return web.json_response({"error": {"code": "BadArgument", "message": problem}},
                                     status=400)
        # where Teams shows it: in the thread the conversation id names; a "reply to
        # activity" POST of the bare channel id lands at the top level (Teams' behaviour,
        # microsoft/botframework-sdk#6626, BotFramework-Services#356)
        _, _, thread = conversation.partition(";messageid=")
        posted = {**body, "id": self.next_id(), "path": request.path, "thread": thread or None}
        self.posted.append(posted)
        return web.json_response({"id": posted["id"]}, status=201)

    async def _create_conversation(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(Call("POST", request.path, body))
        if refused := self._refused(request, "POST conversations"):
            return refused
        tenant = body.get("tenantId") or (body.get("channelData") or {}).get(
            "tenant", {}).get("id")
        members = body.get("members") or []
        if body.get("isGroup") or len(members) != 1 or tenant != TENANT_ID or \
                (body.get("bot") or {}).get("id") != BOT_ID:
            return web.json_response({"error": {"code": "BadArgument", "message":
                                                "a 1:1 conversation: isGroup false, the bot, "
                                                "one member, the tenant id"}}, status=400)
        wanted = str(members[0].get("id", ""))
        member = next((m for m in self.members.values()
                       if wanted in (m.aad_object_id, m.teams_id)), None)
        if member is None:
            return web.json_response({"error": {"code": "MemberNotFoundInTenant"}},
                                     status=404)
        conversation = self.direct.setdefault(member.aad_object_id,
                                              f"a:1{member.aad_object_id.replace('-', '')}")
        return web.json_response({"id": conversation}, status=201)

    async def _update(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(Call("PUT", request.path, body))
        if refused := self._refused(request, "PUT"):
            return refused
        target = request.match_info["activity"]
        known = [p for p in self.posted if p["id"] == target]
        if not known:
            return web.json_response({"error": {"code": "ActivityNotFound"}}, status=404)
        if problem := _schema_problem(body):
            return web.json_response({"error": {"code": "BadArgument", "message": problem}},
                                     status=400)
        known[0].update(body)
        return web.json_response({"id": target})

    async def _member(self, request: web.Request) -> web.Response:
        self.calls.append(Call("GET", request.path, None))
        if refused := self._refused(request, "GET members"):
            return refused
        member = self.members.get(request.match_info["member"])
        if member is None:
            return web.json_response({"error": {"code": "MemberNotFoundInConversation"}},
                                     status=404)
        account = {"id": member.teams_id, "aadObjectId": member.aad_object_id,
                   "name": member.name, "userPrincipalName": member.upn,
                   "tenantId": TENANT_ID, "userRole": "user"}
        if member.email:
            account["email"] = member.email
        return web.json_response(account)

    async def _attachment(self, request: web.Request) -> web.Response:
        self.calls.append(Call("GET", request.path, None))
        if refused := self._refused(request, "GET attachment"):
            return refused
        found = self.files.get(request.match_info["id"])
        if found is None:
            return web.json_response({"error": {"code": "NotFound"}}, status=404)
        return web.Response(body=found[1], content_type=found[0])

    async def _sharepoint(self, request: web.Request) -> web.Response:
        self.calls.append(Call("GET", request.path, dict(request.headers)))
        found = self.files.get(request.match_info["name"])
        if found is None:
            return web.Response(status=404)
        return web.Response(body=found[1], content_type=found[0])


def _schema_problem(body: Any) -> str | None:
    """What the Connector would refuse in a posted activity (None when it is well formed)."""
    from microsoft_agents.activity import Activity

    if not isinstance(body, dict) or body.get("type") != "message":
        return "type must be message"
    try:
        Activity.model_validate(body)
    except ValueError as error:
        return f"not an Activity: {error}"
    if not body.get("text") and not body.get("attachments"):
        return "a message needs text or attachments"
    for attachment in body.get("attachments") or ():
        if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive":
            card = attachment.get("content") or {}
            if card.get("type") != "AdaptiveCard" or not card.get("version"):
                return "an Adaptive Card needs type and version"
            for action in card.get("actions") or ():
                if action.get("type") != "Action.Submit" or not action.get("title"):
                    return "unsupported card action"
    return None


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


class LoopbackTokens:
    """The bot's client-credentials token from the loopback issuer (the `TokenSource` a desk
    gets from the SDK's MSAL provider)."""

    def __init__(self, server: TeamsLoopback) -> None:
        self.server = server
        self._token: str | None = None
        self.requests = 0

    async def get_access_token(self, resource_url: str, scopes: list[str],
                               force_refresh: bool = False) -> str:
        if self._token and not force_refresh:
            return self._token
        self.requests += 1
        async with ClientSession() as session, session.post(
                f"{self.server.url}/oauth2/v2.0/token",
                data={"grant_type": "client_credentials", "client_id": APP_ID,
                      "client_secret": APP_PASSWORD, "scope": scopes[0]}) as response:
            answer = await response.json()
        if response.status != 200:
            raise ValueError(f"token refused: {answer}")
        self._token = str(answer["access_token"])
        return self._token
