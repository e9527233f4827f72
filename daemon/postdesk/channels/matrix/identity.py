"""Who a Matrix user is, with a verified email only.

A homeserver tells the email of an account only to a server admin: the Synapse admin API
(`GET /_synapse/admin/v2/users/<id>`) lists the account's third-party ids, and an email
counts only when the homeserver validated it (`validated_at`). When the desk's account is
not an admin, nobody has an email, so every chat user is a customer without agent power.
The display name is shown, never trusted. Answers are cached for a few minutes, so a busy
room costs one lookup per author, and a revoked email stops counting soon.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from postdesk.channels.matrix.api import MatrixApi, MatrixHttpError, path_part
from postdesk.chat.model import ChatUser

CACHE_SECONDS = 300.0


def verified_email(admin_user: dict[str, Any]) -> str | None:
    """The first validated email of an admin-API user record, lower-cased; None without one."""
    for threepid in admin_user.get("threepids") or ():
        if (isinstance(threepid, dict) and threepid.get("medium") == "email"
                and isinstance(threepid.get("address"), str)
                and isinstance(threepid.get("validated_at"), int)
                and threepid["validated_at"] > 0):
            return str(threepid["address"]).strip().lower()
    return None


class UserDirectory:
    """Resolves user ids to `ChatUser`s through the admin API when allowed, else the profile."""

    def __init__(self, api: MatrixApi, *, cache_seconds: float = CACHE_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._api = api
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._cache: dict[str, tuple[float, ChatUser]] = {}
        self._admin: bool | None = None  # unknown until the first lookup

    async def user(self, user_id: str) -> ChatUser:
        cached = self._cache.get(user_id)
        if cached is not None and self._clock() - cached[0] < self._cache_seconds:
            return cached[1]
        found = await self._lookup(user_id)
        self._cache[user_id] = (self._clock(), found)
        return found

    async def _lookup(self, user_id: str) -> ChatUser:
        if self._admin is not False:
            try:
                record = await self._api.call(
                    "GET", f"/_synapse/admin/v2/users/{path_part(user_id)}")
            except MatrixHttpError as exc:
                if not exc.permanent:
                    raise
                if exc.status == 403:
                    self._admin = False  # the desk's account is no server admin
                # 404: no such user, or a homeserver without Synapse's admin API
                return await self._profile_user(user_id)
            self._admin = True
            return ChatUser(platform="matrix", user_id=user_id, email=verified_email(record),
                            display_name=str(record.get("displayname") or ""),
                            is_bot=record.get("user_type") == "bot")
        return await self._profile_user(user_id)

    async def _profile_user(self, user_id: str) -> ChatUser:
        try:
            profile = await self._api.call("GET",
                                           f"/_matrix/client/v3/profile/{path_part(user_id)}")
        except MatrixHttpError as exc:
            if not exc.permanent:
                raise
            profile = {}  # a profile hidden by the homeserver's settings
        return ChatUser(platform="matrix", user_id=user_id, email=None,
                        display_name=str(profile.get("displayname") or ""))
