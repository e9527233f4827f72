"""The Matrix edge: room events in through /sync, thread messages out through /send.

In: one long-poll `/sync` loop over the configured rooms. Every desk event of a batch is
awaited through the intake (which commits it) before the batch's `next_batch` token is
saved; an intake or homeserver error leaves the token where it was and the loop retries
the same batch with backoff, so a crash or an outage replays events (the intake
deduplicates by event id) and never skips one. A timeline the homeserver cut short
(`limited`) is filled in from `/messages` back to the previous token.
Out: `PUT /rooms/{room}/send/m.room.message/{txnId}` with the outbox row's idempotency key
as transaction id, which the homeserver deduplicates: a retry after a crash posts once.

Rooms: the rooms of rules/channels.yaml are read afresh (the file reloads live) before
each /sync and every `ROOMS_CHECK_S` while one waits: a room added there is joined and
read from then on without a restart, one removed is no longer read (the desk stays in
it, so listing it again needs no new invitation; what was said there meanwhile is not
read). Direct messages (`ChatPost.direct_to`): the desk's direct room with the account,
found in its `m.direct` account data, or created (`createRoom` with `is_direct` and an
invitation, preset `trusted_private_chat`) and recorded there, so later messages reuse
it. An account that rejected the invitation or left that room is sent no more direct
messages (the post fails for good with that reason; the mail went anyway), rather than
invited again at each notification. createRoom takes no transaction id, so the intent
is written first (account data `org.postdesk.direct_creating`: account -> when) and the
room carries its account in its creation content (`org.postdesk.direct_to`); when an
intent is found and `m.direct` names no room (the process died between createRoom and
recording the room, or the answer was lost), the desk's joined rooms are looked through
for one made for the account before another is created: the customer gets one direct
room, never two.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from postdesk.channels.matrix.api import MatrixApi, MatrixHttpError, path_part
from postdesk.channels.matrix.events import (
    RoomEventFacts,
    chat_event,
    room_event_facts,
    server_name,
)
from postdesk.channels.matrix.identity import UserDirectory
from postdesk.channels.matrix.render import (
    DEFAULT_ACTION_REACTIONS,
    file_content,
    message_content,
)
from postdesk.channels.matrix.sync_state import SyncState, load_sync_state, save_sync_state
from postdesk.chat.model import ChatFile, ChatPost, ChatUser, Platform
from postdesk.chat.platform import ChatIntake, ChatPlatformError

log = logging.getLogger(__name__)

#: files larger than this are not downloaded (the message still reaches the desk)
DEFAULT_MAX_FILE_BYTES = 25 * 1024 * 1024
SYNC_TIMEOUT_MS = 30_000
STATE_FILE = "matrix-sync.json"
#: what the edge reads of a room's timeline: desk events, and encrypted ones to say that
#: it cannot read them (a room must not be end-to-end encrypted)
TIMELINE_TYPES = ["m.room.message", "m.reaction", "m.room.encrypted"]
#: how often the rooms of channels.yaml are looked at while a /sync waits
ROOMS_CHECK_S = 1.0
#: a direct room whose other member is in one of these states is reused
_STILL_THERE = ("join", "invite")
#: ... and one they are in one of these states asks for no more direct messages
_DECLINED = ("leave", "ban")
#: account data of the desk: direct rooms being created (account -> ms since the epoch)
CREATING_DIRECT = "org.postdesk.direct_creating"
#: the key of a direct room's creation content naming the account it was made for
DIRECT_TO_KEY = "org.postdesk.direct_to"


class MatrixPlatform:
    """One Matrix account of the desk, in the rooms of rules/channels.yaml."""

    platform: Platform = "matrix"

    def __init__(self, homeserver: str, user_id: str, access_token: str,
                 rooms: Sequence[str] | Callable[[], Sequence[str]], state_dir: Path, *,
                 max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
                 action_reactions: Mapping[str, str] = DEFAULT_ACTION_REACTIONS,
                 sync_timeout_ms: int = SYNC_TIMEOUT_MS,
                 timeline_limit: int = 100,
                 backoff: tuple[float, float] = (1.0, 60.0)) -> None:
        self.user_id = user_id
        #: the rooms to read: channels.yaml's as they are now (a fixed list in tests)
        fixed = () if callable(rooms) else tuple(rooms)
        self._rooms_now: Callable[[], Sequence[str]] = (
            rooms if callable(rooms) else lambda: fixed)
        self.rooms = tuple(self._rooms_now())  # the rooms read by the current /sync
        self._joined: set[str] = set()
        self._direct_rooms: dict[str, str] = {}  # account -> its direct room
        self._direct_lock = asyncio.Lock()
        self.state_path = Path(state_dir) / STATE_FILE
        self.max_file_bytes = max_file_bytes
        self.action_reactions = action_reactions
        self.sync_timeout_ms = sync_timeout_ms
        self.timeline_limit = timeline_limit
        self.backoff = backoff
        self.workspace = server_name(user_id)
        self.api = MatrixApi(homeserver, access_token,
                             request_timeout=sync_timeout_ms / 1000 + 30)
        self.users = UserDirectory(self.api)
        self._stopping = asyncio.Event()
        self._synced_at: float | None = None
        self._failing_since: float | None = None
        self._last_error = ""
        self._encrypted_rooms: set[str] = set()

    # -- the loop --------------------------------------------------------------------

    async def start(self, intake: ChatIntake) -> None:
        """Join the rooms, then hand every new event to `intake` until `stop`."""
        state = load_sync_state(self.state_path, now_ms=int(time.time() * 1000))
        await self._join_rooms()
        delay = self.backoff[0]
        while not self._stopping.is_set():
            try:
                await self._follow_rooms()
                state = await self._sync_once(state, intake)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the loop outlives any one failure; health says why
                if self._stopping.is_set():
                    break  # stop() closed the connection under a waiting /sync
                self._note_failure(exc)
                if await self._sleep_or_stop(delay):
                    break
                delay = min(delay * 2, self.backoff[1])
            else:
                delay = self.backoff[0]
                self._synced_at = time.time()
                self._failing_since = None

    async def stop(self) -> None:
        self._stopping.set()
        await self.api.close()

    async def _sleep_or_stop(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            return False
        return True

    async def _join_rooms(self) -> None:
        for room in self.rooms:
            if room not in self._joined:
                await self._join(room)

    async def _follow_rooms(self) -> None:
        """Take up the rooms channels.yaml lists now: join the new ones."""
        rooms = tuple(self._rooms_now())
        if rooms == self.rooms:
            return
        added = sorted(set(rooms) - set(self.rooms))
        removed = sorted(set(self.rooms) - set(rooms))
        log.info("Matrix rooms of channels.yaml changed: reading %s%s",
                 ", ".join(added) or "no new room",
                 f"; no longer reading {', '.join(removed)}" if removed else "")
        self.rooms = rooms
        await self._join_rooms()

    def _rooms_changed(self) -> bool:
        return tuple(self._rooms_now()) != self.rooms

    async def _join(self, room_id: str) -> None:
        """Join a configured room; a refusal (not invited yet, banned) is logged and shown
        by health, and never holds up the other rooms."""
        try:
            await self.api.call("POST", f"/_matrix/client/v3/join/{path_part(room_id)}",
                                body={})
        except ChatPlatformError as exc:
            self._note_failure(exc)
        else:
            self._joined.add(room_id)

    async def _sync_once(self, state: SyncState, intake: ChatIntake) -> SyncState:
        params = {"filter": json.dumps(self._filter()),
                  "timeout": str(self.sync_timeout_ms if state.next_batch else 0)}
        if state.next_batch:
            params["since"] = state.next_batch
        answer = await self._unless_rooms_change(self.api.call(
            "GET", "/_matrix/client/v3/sync", params=params,
            timeout=self.sync_timeout_ms / 1000 + 30))
        if answer is None:
            return state  # channels.yaml changed: sync again with its rooms
        rooms = answer.get("rooms") or {}
        for room_id in (rooms.get("invite") or {}):
            if room_id in self.rooms:
                await self._join(room_id)
        for room_id, room in (rooms.get("join") or {}).items():
            if self.rooms and room_id not in self.rooms:
                continue
            for event in await self._timeline(room_id, room.get("timeline") or {}, state):
                if self._stopping.is_set():
                    return state  # nothing saved: the batch comes again next time
                await self._hand_in(room_id, event, state, intake)
        next_batch = answer.get("next_batch")
        if not isinstance(next_batch, str):
            raise ChatPlatformError("Matrix /sync: the answer has no next_batch")
        new_state = SyncState(next_batch=next_batch,
                              listening_since_ms=state.listening_since_ms)
        save_sync_state(self.state_path, new_state)
        return new_state

    async def _unless_rooms_change(self, request: Awaitable[dict[str, Any]]
                                   ) -> dict[str, Any] | None:
        """The answer of a waiting /sync, or None when channels.yaml's rooms changed first
        (the /sync is given up: nothing of it was handed in, nothing saved)."""
        sync = asyncio.ensure_future(request)
        try:
            while True:
                done, _ = await asyncio.wait({sync}, timeout=ROOMS_CHECK_S)
                if done:
                    return sync.result()
                if self._rooms_changed():
                    sync.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await sync
                    return None
        finally:
            sync.cancel()

    def _filter(self) -> dict[str, Any]:
        room_filter: dict[str, Any] = {
            "timeline": {"types": TIMELINE_TYPES,
                         "limit": self.timeline_limit},
            "state": {"types": []}, "ephemeral": {"types": []},
            "account_data": {"types": []},
        }
        if self.rooms:
            room_filter["rooms"] = list(self.rooms)
        return {"room": room_filter, "presence": {"types": []},
                "account_data": {"types": []}}

    async def _timeline(self, room_id: str, timeline: dict[str, Any],
                        state: SyncState) -> list[dict[str, Any]]:
        """The room's new events in order, filled in when the homeserver cut them short."""
        events = list(timeline.get("events") or [])
        if timeline.get("limited") and state.next_batch and timeline.get("prev_batch"):
            events = await self._events_between(room_id, state.next_batch,
                                                timeline["prev_batch"]) + events
        return events

    async def _events_between(self, room_id: str, since: str, before: str) -> list[dict[str, Any]]:
        older: list[dict[str, Any]] = []
        token: str | None = before
        while token:
            page = await self.api.call(
                "GET", f"/_matrix/client/v3/rooms/{path_part(room_id)}/messages",
                params={"from": token, "to": since, "dir": "b",
                        "limit": str(self.timeline_limit),
                        "filter": json.dumps({"types": TIMELINE_TYPES})})
            chunk = page.get("chunk") or []
            older.extend(chunk)
            token = page.get("end") if chunk else None
        return list(reversed(older))

    async def _hand_in(self, room_id: str, event: dict[str, Any], state: SyncState,
                       intake: ChatIntake) -> None:
        if event.get("type") == "m.room.encrypted" and room_id not in self._encrypted_rooms:
            self._encrypted_rooms.add(room_id)
            log.error("Matrix room %s is end-to-end encrypted: the desk cannot read it "
                      "(make a help room without encryption)", room_id)
        facts = room_event_facts(room_id, event, self.user_id)
        if facts is None:
            return
        if facts.sent_at and facts.sent_at.timestamp() * 1000 < state.listening_since_ms:
            return  # history from before the desk listened: not a request to it
        author = await self.users.user(facts.sender)
        await intake(chat_event(facts, author, self.workspace, await self._files(facts)))

    async def _files(self, facts: RoomEventFacts) -> tuple[ChatFile, ...]:
        media = facts.media
        if media is None:
            return ()
        if media.size is not None and media.size > self.max_file_bytes:
            content = None
        else:
            try:
                content = await self.api.download(media.mxc_url, self.max_file_bytes)
            except ChatPlatformError as exc:
                if not exc.permanent:
                    raise  # the homeserver may serve it later: the batch is retried
                log.warning("Matrix %s in %s: %s cannot be fetched (%s); the message goes "
                            "on without it", facts.event_id, facts.room_id, media.name, exc)
                return ()
        if content is None:
            log.warning("Matrix %s in %s: %s is larger than %d bytes, not downloaded",
                        facts.event_id, facts.room_id, media.name, self.max_file_bytes)
            return ()
        return (ChatFile(name=media.name, content_type=media.content_type, content=content,
                         platform_id=media.mxc_url),)

    # -- out -------------------------------------------------------------------------

    async def post(self, post: ChatPost) -> str:
        """Send `post` (text, then its files) into its thread, or as a direct message to
        `post.direct_to`; the text event's id."""
        room = await self.direct_room(post.direct_to) if post.direct_to else post.channel
        event_id = await self._send(room, post.idempotency_key,
                                    message_content(post, self.action_reactions))
        for number, file in enumerate(post.files, start=1):
            mxc_url = await self.api.upload(file.name, file.content_type, file.content)
            await self._send(room, f"{post.idempotency_key}.file{number}",
                             file_content(file, mxc_url, post.thread_id))
        return event_id

    async def direct_room(self, user_id: str) -> str:
        """The desk's direct room with `user_id` (see the module docstring)."""
        async with self._direct_lock:
            known = self._direct_rooms.get(user_id)
            if known is not None and await self._membership(known, user_id) in _STILL_THERE:
                return known
            direct = await self._account_data("m.direct")
            found = await self._usable_direct_room(direct, user_id)
            if found is not None:
                return found
            creating = await self._account_data(CREATING_DIRECT)
            if user_id in creating:  # an earlier attempt may have made the room unrecorded
                made = [room for room in await self._rooms_made_for(user_id)
                        if room not in (direct.get(user_id) or ())]
                if made:
                    log.info("Matrix direct room %s with %s was made by an earlier attempt: "
                             "not made again", made[0], user_id)
                    await self._record_direct(direct, user_id, made[0])
                    await self._forget_creating(creating, user_id)
                    found = await self._usable_direct_room(direct, user_id)
                    if found is not None:
                        return found
            creating[user_id] = int(time.time() * 1000)
            await self.api.call("PUT", self._account_data_path(CREATING_DIRECT), body=creating)
            created = await self.api.call("POST", "/_matrix/client/v3/createRoom", body={
                "is_direct": True, "invite": [user_id], "preset": "trusted_private_chat",
                "creation_content": {DIRECT_TO_KEY: user_id}})
            room_id = created.get("room_id")
            if not isinstance(room_id, str):
                raise ChatPlatformError("Matrix createRoom: no room_id in the answer")
            await self._record_direct(direct, user_id, room_id)
            await self._forget_creating(creating, user_id)
            self._direct_rooms[user_id] = room_id
            return room_id

    async def _usable_direct_room(self, direct: dict[str, Any], user_id: str) -> str | None:
        """The first room of `m.direct` for `user_id` that they are in or invited to; an
        error for good when they rejected or left it."""
        for room_id in direct.get(user_id) or ():
            if not isinstance(room_id, str):
                continue
            membership = await self._membership(room_id, user_id)
            if membership in _STILL_THERE:
                self._direct_rooms[user_id] = room_id
                return room_id
            if membership in _DECLINED:
                raise ChatPlatformError(
                    f"Matrix {user_id} rejected or left the desk's direct room {room_id}: "
                    "no direct messages to them", permanent=True)
        return None

    async def _rooms_made_for(self, user_id: str) -> list[str]:
        """The desk's joined rooms created as direct rooms for `user_id` (by the mark in
        their creation content), besides the help rooms."""
        joined = await self.api.call("GET", "/_matrix/client/v3/joined_rooms")
        made = []
        for room_id in joined.get("joined_rooms") or ():
            if not isinstance(room_id, str) or room_id in self.rooms:
                continue
            try:
                create = await self.api.call(
                    "GET", f"/_matrix/client/v3/rooms/{path_part(room_id)}/state/"
                           "m.room.create")
            except MatrixHttpError as exc:
                if not exc.permanent:
                    raise
                continue
            if create.get(DIRECT_TO_KEY) == user_id:
                made.append(room_id)
        return made

    async def _record_direct(self, direct: dict[str, Any], user_id: str,
                             room_id: str) -> None:
        rooms = [r for r in direct.get(user_id) or () if isinstance(r, str)]
        direct[user_id] = [room_id, *rooms]
        await self.api.call("PUT", self._account_data_path("m.direct"), body=direct)

    async def _forget_creating(self, creating: dict[str, Any], user_id: str) -> None:
        creating.pop(user_id, None)
        await self.api.call("PUT", self._account_data_path(CREATING_DIRECT), body=creating)

    def _account_data_path(self, kind: str) -> str:
        return (f"/_matrix/client/v3/user/{path_part(self.user_id)}/account_data/"
                f"{path_part(kind)}")

    async def _account_data(self, kind: str) -> dict[str, Any]:
        """The desk account's account data of this type (`m.direct`: account -> its
        direct rooms); empty when never set."""
        try:
            found = await self.api.call("GET", self._account_data_path(kind))
        except MatrixHttpError as exc:
            if exc.status != 404:
                raise
            return {}  # never set
        return dict(found)

    async def _membership(self, room_id: str, user_id: str) -> str:
        """`user_id`'s membership of the room as the desk sees it ("join", "invite",
        "leave", ...); "" when the desk is no longer in it or it is gone."""
        try:
            member = await self.api.call(
                "GET", f"/_matrix/client/v3/rooms/{path_part(room_id)}/state/"
                       f"m.room.member/{path_part(user_id)}")
        except MatrixHttpError as exc:
            if not exc.permanent:
                raise
            return ""
        return str(member.get("membership") or "")

    async def _send(self, room_id: str, txn_id: str, content: dict[str, Any]) -> str:
        answer = await self.api.call(
            "PUT", f"/_matrix/client/v3/rooms/{path_part(room_id)}/send/m.room.message/"
                   f"{path_part(txn_id)}", body=content)
        event_id = answer.get("event_id")
        if not isinstance(event_id, str):
            raise ChatPlatformError(f"Matrix send to {room_id}: no event_id in the answer")
        return event_id

    async def user(self, user_id: str) -> ChatUser:
        return await self.users.user(user_id)

    # -- health ----------------------------------------------------------------------

    def _note_failure(self, exc: BaseException) -> None:
        if self._failing_since is None:
            self._failing_since = time.time()
        self._last_error = str(exc) or exc.__class__.__name__
        log.warning("Matrix edge (%s): %s", self.user_id, self._last_error)

    def health(self) -> str:
        if self._failing_since is not None:
            return (f"reconnecting since {_clock(self._failing_since)}, "
                    f"last error: {self._last_error}")
        if self._synced_at is None:
            return "connecting"
        line = f"connected (synced {_clock(self._synced_at)})"
        if self._encrypted_rooms:
            line += f"; cannot read encrypted {', '.join(sorted(self._encrypted_rooms))}"
        return line


def _clock(stamp: float) -> str:
    return time.strftime("%H:%M:%S", time.gmtime(stamp))
