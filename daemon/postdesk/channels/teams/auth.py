"""Who may POST an activity: the Bot Framework's JWT, checked by the Agents SDK.

Every request to the messaging endpoint carries `Authorization: Bearer <JWT>` signed by
the Bot Framework (or by Entra ID for the app's tenant). The SDK's `JwtTokenValidator`
checks the RS256 signature against the issuer's published keys, the expiry (with the
SDK's 5-minute leeway), the audience (our app id), the issuer (opted in here: the Bot
Framework and our tenant's Entra issuers only) and the tenant binding. On top of it,
the token's `serviceurl` claim must name the host the activity's `serviceUrl` names:
otherwise a token for one conversation could steer our replies (and our bot token)
to another host. Anything short of that is answered 401 before any activity is read
into the desk.

`openid_metadata` is the Bot Framework's OpenID configuration document. The SDK
fetches the keys of the public Bot Framework issuer from its fixed JWKS address; when
the desk names another document (a sovereign cloud, the tests' loopback issuer), its
`jwks_uri` is read at start and the SDK's key lookup is pointed there, every other
check unchanged.

Microsoft's documentation followed: "Authentication with the Bot Connector API"
(Bot Framework REST API: "Authenticate requests from the Bot Connector service to
your bot": the OpenID metadata document, its jwks_uri, the issuer, audience, expiry
and serviceUrl checks).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from microsoft_agents.hosting.core.authorization import (
    AgentAuthConfiguration,
    ClaimsIdentity,
)
from microsoft_agents.hosting.core.authorization.jwt.jwt_token_validator import (
    JwtTokenValidator,
    _JwkClientCacheEntry,
    _JwkClientManager,
)

log = logging.getLogger(__name__)

BOT_FRAMEWORK_METADATA = "https://login.botframework.com/v1/.well-known/openidconfiguration"


class Unauthorized(Exception):
    """The request's token does not hold; the reason is logged, never answered."""


class KeysUnavailable(Exception):
    """The issuer's keys could not be read: no request can be checked for now."""


class _KeysAt(_JwkClientManager):
    """The SDK's key cache, with every lookup sent to one JWKS address."""

    def __init__(self, jwks_uri: str) -> None:
        super().__init__()
        self.jwks_uri = jwks_uri

    def _get_jwk_client(self, jwks_uri: str) -> _JwkClientCacheEntry:
        return super()._get_jwk_client(self.jwks_uri)


class ActivityAuth:
    """Checks the bearer token of one request to the messaging endpoint."""

    def __init__(self, *, app_id: str, tenant_id: str = "",
                 openid_metadata: str = BOT_FRAMEWORK_METADATA) -> None:
        self.openid_metadata = openid_metadata
        self.config = AgentAuthConfiguration(
            client_id=app_id, tenant_id=tenant_id or None, validate_issuer=True,
            anonymous_allowed=False)
        self.validator = JwtTokenValidator(self.config)
        self._keys_loaded = False

    async def load_keys(self) -> None:
        """Read the metadata document's `jwks_uri` when it is not the Bot Framework's (once;
        until it succeeds every request is answered 503 and the Connector tries again)."""
        if self.openid_metadata == BOT_FRAMEWORK_METADATA or self._keys_loaded:
            return
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as s, \
                    s.get(self.openid_metadata) as response:
                if response.status != 200:
                    raise KeysUnavailable(f"[teams] openid_metadata {self.openid_metadata}: "
                                          f"HTTP {response.status}")
                document: Any = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise KeysUnavailable(f"[teams] openid_metadata {self.openid_metadata}: "
                                  f"{error}") from error
        jwks_uri = document.get("jwks_uri") if isinstance(document, dict) else None
        if not isinstance(jwks_uri, str) or not jwks_uri:
            raise KeysUnavailable(f"[teams] openid_metadata {self.openid_metadata}: "
                                  "no jwks_uri")
        self.validator._jwk_client_manager = _KeysAt(jwks_uri)
        self._keys_loaded = True

    @property
    def keys_ready(self) -> bool:
        return self._keys_loaded or self.openid_metadata == BOT_FRAMEWORK_METADATA

    async def claims(self, authorization: str | None, service_url: str) -> ClaimsIdentity:
        """The verified claims of a request whose activity names `service_url`."""
        await self.load_keys()
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or " " in token:
            raise Unauthorized("no bearer token")
        try:
            identity = await self.validator.validate_token(token)
        except Exception as error:  # PyJWT's errors, a missing kid, an unknown key...
            raise Unauthorized(f"token refused: {type(error).__name__}: {error}") from error
        claimed = identity.get_claim_value("serviceurl") or ""
        if not _same_host(claimed, service_url):
            raise Unauthorized(f"serviceUrl {service_url!r} is not the token's {claimed!r}")
        return identity


def _same_host(one: str, other: str) -> bool:
    first, second = urlsplit(one), urlsplit(other)
    return bool(first.hostname) and (first.hostname, first.port) == (
        second.hostname, second.port)
