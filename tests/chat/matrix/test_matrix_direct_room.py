"""A direct message needs the desk's direct room with the account, and createRoom takes
no transaction id: against a real Synapse, a desk that died between creating the room
and recording it in its `m.direct` account data finds that room after the restart, so
the customer is invited to one direct room, never two."""

from __future__ import annotations

import asyncio
import json
import secrets
from pathlib import Path
from typing import Any

import pytest

from chat.matrix.conftest import Homeserver, edge_for
from chat.synapse import MatrixUser
from postdesk.channels.matrix import MatrixPlatform
from postdesk.chat.model import ChatPost
from postdesk.chat.platform import ChatPlatformError

pytestmark = pytest.mark.xdist_group("synapse")


def direct_post(user: MatrixUser, text: str, key: str) -> ChatPost:
    return ChatPost(platform="matrix", workspace="localhost", channel="", thread_id=None,
                    text=text, idempotency_key=key, direct_to=user.user_id)


def invitations(user: MatrixUser) -> list[str]:
    """The rooms `user`'s client shows as invitations (a fresh /sync)."""
    answer = user.call("GET", "/_matrix/client/v3/sync", params={
        "timeout": "0", "filter": json.dumps({"room": {"timeline": {"limit": 1}}})})
    return sorted(answer.get("rooms", {}).get("invite", {}))


def dies_after_create_room(edge: MatrixPlatform) -> None:
    """The desk process dies once createRoom has answered, before `m.direct` is written."""
    call = edge.api.call

    async def dying(method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        if method == "PUT" and path.endswith("/account_data/m.direct"):
            raise ChatPlatformError("the desk died here")
        return await call(method, path, **kwargs)

    edge.api.call = dying  # type: ignore[method-assign]


def test_a_direct_room_created_before_a_crash_is_found_not_created_again(
        homeserver: Homeserver, help_room: str, tmp_path: Path) -> None:
    customer = homeserver.server.register(f"dm{secrets.token_hex(4)}")

    async def scenario() -> tuple[str, str]:
        before = edge_for(homeserver, [help_room], tmp_path)
        dies_after_create_room(before)
        try:
            with pytest.raises(ChatPlatformError, match="died here"):
                await before.post(direct_post(customer, "About your request #7", "dm-7"))
        finally:
            await before.stop()
        after = edge_for(homeserver, [help_room], tmp_path)  # the restart
        try:
            first = await after.post(direct_post(customer, "About your request #7", "dm-7"))
            second = await after.post(direct_post(customer, "Request #7 is done", "dm-8"))
        finally:
            await after.stop()
        return first, second

    asyncio.run(scenario())
    [room] = invitations(customer)
    customer.join(room)
    bodies = [str(event["content"].get("body")) for event in customer.room_events(room)
              if event.get("type") == "m.room.message"]
    assert bodies == ["About your request #7", "Request #7 is done"]
