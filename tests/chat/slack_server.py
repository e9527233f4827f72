"""A loopback Slack for tests and bench/chat_slack.py: Socket Mode and the Web API on 127.0.0.1.

It speaks Slack's documented wire protocol, so the real `slack_sdk` / `slack_bolt`
clients run against it unchanged (their `base_url` is this server's `/api/`):

- Socket Mode (api.slack.com/apis/socket-mode, "Using Socket Mode"):
  `apps.connections.open` with the app-level token (`xapp-`) answers a `ws://` URL;
  the WebSocket first sends `{"type": "hello", "num_connections", "connection_info",
  "debug_info"}`, then envelopes `{"envelope_id", "type": "events_api" | "interactive",
  "payload", "accepts_response_payload", "retry_attempt", "retry_reason"}`; the app
  acknowledges with `{"envelope_id": ...}`. An `events_api` envelope not acknowledged
  within `ack_timeout` (Slack: 3 s) is delivered again with a new envelope id, the same
  payload (same `event_id`), `retry_attempt` counting up and `retry_reason: "timeout"`,
  at most `max_retries` times (Slack: 3). Interactive envelopes are not retried (Slack
  shows the user an error instead).
- The Events API's `event_callback` payload (api.slack.com/apis/events-api, "Event
  types" and the outer event fields `team_id`, `api_app_id`, `event`, `event_id`,
  `event_time`), and the interactivity payloads (`block_actions`, `message_action`)
  of api.slack.com/reference/interaction-payloads.
- Web API (each method's reference page at api.slack.com/methods/<name>): the token
  from `Authorization: Bearer` or a `token` argument, arguments from the query string,
  a form body or a JSON body; errors as HTTP 200 `{"ok": false, "error"}` except rate
  limits, which are HTTP 429 with `Retry-After` (api.slack.com/apis/rate-limits).
  `auth.test`; `chat.postMessage` (channel, text or blocks, thread_ts, metadata; answers
  `ts`, `channel`, `message`); `chat.update` (channel, ts); `conversations.history`
  (channel, oldest, latest, limit, cursor, include_all_metadata: top-level messages,
  newest first, `has_more` and `response_metadata.next_cursor`) and
  `conversations.replies` (channel, ts of the parent: the parent then its replies, oldest
  first; `thread_not_found` for an unknown ts), whose messages carry their `metadata`
  only with `include_all_metadata` (docs.slack.dev/messaging/message-metadata and the
  two methods' reference pages: `oldest` / `latest` exclusive unless `inclusive`);
  `conversations.open`
  (api.slack.com/methods/conversations.open: `users`, a comma-separated list, one user
  for a direct message, or `channel` to resume one; answers `channel.id`, the same
  `D...` id each time for one user, with `no_op` and `already_open` once it is open;
  errors `users_list_not_supplied`, `user_not_found`, `channel_not_found`; the
  group direct messages of several users are not served here); `users.info` (user,
  include_locale: `locale` only when asked); the v2 upload
  (api.slack.com/messaging/files#upload): `files.getUploadURLExternal` (filename and
  length required) -> an upload URL taking the raw bytes by POST ->
  `files.completeUploadExternal` (files as a JSON array of `{id, title}`, channel_id,
  thread_ts, initial_comment, blocks: a JSON array ignored when initial_comment is
  given; the share is a message with `upload: true`, its `files` as file objects and
  the `blocks` as sent, `block_id`s kept: docs.slack.dev/reference/methods/
  files.completeUploadExternal and docs.slack.dev/reference/block-kit/blocks); and
  `url_private_download` of shared files, which needs the bot token.

What was checked against published descriptions (2026-12): files.getUploadURLExternal
and files.completeUploadExternal (arguments, content types, `upload_url` / `file_id` /
`files` in the answers, thread_ts naming the parent) and users.info (arguments,
`include_locale` defaulting to false, the user object's `tz` and `profile.email`,
errors `user_not_found` / `user_not_visible`, form or query arguments only: a JSON
body is refused here as Slack ignores it) against their reference pages; the Socket
Mode envelope fields against slack_sdk's `SocketModeRequest`. chat.postMessage,
chat.update, auth.test and apps.connections.open follow their reference pages as
known, not re-read for this server. The slack-api-specs OpenAPI description was not
used: it is no longer maintained and predates the v2 upload methods and Socket Mode.
"""

from __future__ import annotations

import asyncio
import importlib.util
import itertools
import json
import os
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import WSMsgType, web

BOT_TOKEN = "xoxb-loopback-bot"
APP_TOKEN = "xapp-loopback-app"
TEAM_ID = "T0LOOP"
APP_ID = "A0LOOP"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
#: methods whose reference page says they take no JSON body (form or query only)
FORM_ONLY = frozenset({"users.info"})


def require_slack_sdk() -> None:
    """Skip a test module without the chat extra locally; fail under CI (which installs it)."""
    if all(importlib.util.find_spec(name) for name in ("slack_bolt", "slack_sdk")):
        return
    reason = "slack_bolt / slack_sdk missing: pip install -e '.[chat]'"
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason, allow_module_level=True)


@dataclass
class Delivery:
    """One envelope sent over the WebSocket, with when it was sent and acknowledged."""

    envelope_id: str
    kind: str
    payload: dict[str, Any]
    retry_attempt: int
    sent_at: float
    acked_at: float | None = None


@dataclass
class WebCall:
    """One Web API request as the server received it."""

    method: str
    args: dict[str, Any]
    token: str
    #: the client's address and port: one per TCP connection
    peer: str = ""


@dataclass
class SlackLoopback:
    """The server; `await start()`, then point the client's base_url at `api_url`."""

    ack_timeout: float = 3.0
    max_retries: int = 3
    channels: set[str] = field(default_factory=lambda: {"C0HELP", "C0TRIAGE"})
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    deliveries: list[Delivery] = field(default_factory=list)
    calls: list[WebCall] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    uploaded: dict[str, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._socket: web.WebSocketResponse | None = None
        self._connected = asyncio.Event()
        self._acks: dict[str, asyncio.Future[float]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._tickets: set[str] = set()
        #: user id -> their direct message conversation (conversations.open)
        self.ims: dict[str, str] = {}
        self._rate_limits: dict[str, list[float]] = {}
        self._files: dict[str, tuple[str, str, bytes]] = {}
        self._pending_uploads: dict[str, tuple[str, int]] = {}
        self._clock = itertools.count(1)
        self.connections = 0
        #: apps.connections.open answers this error instead of a URL (None: it opens)
        self.refuse_connections: str | None = None

    # -- life ------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._web_api)
        app.router.add_get("/link/", self._websocket)
        app.router.add_post("/upload/v1/{file_id}", self._upload)
        app.router.add_get("/files-pri/{file_id}/{name}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._socket is not None:
            await self._socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    async def wait_connected(self, timeout: float = 10.0) -> None:
        await asyncio.wait_for(self._connected.wait(), timeout)

    async def drop_connection(self) -> None:
        """Close the app's WebSocket from Slack's side (as Slack does every few hours)."""
        if self._socket is not None:
            self._connected.clear()
            await self._socket.close()

    # -- what tests put in -----------------------------------------------------------

    def add_user(self, user_id: str, email: str | None, *, locale: str = "en-US",
                 tz: str = "Europe/Warsaw", is_bot: bool = False,
                 display_name: str = "") -> None:
        profile: dict[str, Any] = {"display_name": display_name or user_id,
                                   "real_name": display_name or user_id}
        if email is not None:
            profile["email"] = email
        self.users[user_id] = {"id": user_id, "team_id": TEAM_ID, "name": user_id.lower(),
                               "deleted": False, "real_name": profile["real_name"], "tz": tz,
                               "tz_label": tz, "is_bot": is_bot, "locale": locale,
                               "profile": profile}

    def add_file(self, name: str, mimetype: str, content: bytes) -> dict[str, Any]:
        """A file as a message event's `files` item shows it (with its private URLs)."""
        file_id = f"F{len(self._files) + 1:07d}"
        self._files[file_id] = (name, mimetype, content)
        url = f"{self.base}/files-pri/{TEAM_ID}-{file_id}/{name}"
        return {"id": file_id, "name": name, "title": name, "mimetype": mimetype,
                "size": len(content), "url_private": url,
                "url_private_download": url + "?download=1", "mode": "hosted"}

    def delete_file(self, file_id: str) -> None:
        """The file is deleted in Slack: its URL answers 404 from now on."""
        del self._files[file_id]

    def next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._clock):06d}"

    def rate_limit(self, method: str, retry_after: float, times: int = 1) -> None:
        """The next `times` calls of `method` answer HTTP 429 with this Retry-After."""
        self._rate_limits[method] = [retry_after] * times

    def send_event(self, event: dict[str, Any], event_id: str | None = None) -> str:
        """Deliver an Events API event over the socket; its event_id."""
        event_id = event_id or f"Ev{uuid.uuid4().hex[:10].upper()}"
        payload = {"token": "verification-token-unused", "team_id": TEAM_ID,
                   "api_app_id": APP_ID, "event": event, "type": "event_callback",
                   "event_id": event_id, "event_time": int(time.time()),
                   "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID,
                                       "is_bot": True}]}
        self._spawn(self._deliver("events_api", payload))
        return event_id

    def send_interactive(self, payload: dict[str, Any]) -> None:
        self._spawn(self._deliver("interactive", payload))

    def message_event(self, user: str, text: str, *, channel: str = "C0HELP",
                      thread_ts: str | None = None, files: list[dict[str, Any]] | None = None
                      ) -> dict[str, Any]:
        event: dict[str, Any] = {"type": "message", "channel": channel, "user": user,
                                 "text": text, "ts": self.next_ts(), "team": TEAM_ID,
                                 "channel_type": "channel"}
        event["event_ts"] = event["ts"]
        if thread_ts:
            event["thread_ts"] = thread_ts
        if files:
            event["files"] = files
            event["subtype"] = "file_share"
        return event

    def button_press(self, user: str, message: dict[str, Any], action_id: str,
                     value: str) -> dict[str, Any]:
        """A `block_actions` payload: `user` pressed a button of `message` (a posted one)."""
        return {"type": "block_actions", "user": {"id": user, "team_id": TEAM_ID},
                "api_app_id": APP_ID, "token": "unused", "trigger_id": uuid.uuid4().hex,
                "team": {"id": TEAM_ID, "domain": "loopback"},
                "container": {"type": "message", "message_ts": message["ts"],
                              "channel_id": message["channel"], "is_ephemeral": False},
                "channel": {"id": message["channel"], "name": "help"},
                "message": {"type": "message", "ts": message["ts"], "text": message["text"],
                            "bot_id": BOT_ID, **({"thread_ts": message["thread_ts"]}
                                                  if message.get("thread_ts") else {})},
                "actions": [{"type": "button", "action_id": action_id, "block_id": "b1",
                             "value": value, "action_ts": f"{time.time():.6f}",
                             "text": {"type": "plain_text", "text": action_id}}]}

    # -- Socket Mode -----------------------------------------------------------------

    def _spawn(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, kind: str, payload: dict[str, Any]) -> None:
        retries = self.max_retries if kind == "events_api" else 0
        for attempt in range(retries + 1):
            await self._connected.wait()
            envelope_id = str(uuid.uuid4())
            envelope: dict[str, Any] = {"envelope_id": envelope_id, "type": kind,
                                        "payload": payload,
                                        "accepts_response_payload": kind == "interactive"}
            if kind == "events_api":
                envelope["retry_attempt"] = attempt
                envelope["retry_reason"] = "timeout" if attempt else ""
            acked = asyncio.get_running_loop().create_future()
            self._acks[envelope_id] = acked
            delivery = Delivery(envelope_id, kind, payload, attempt, time.perf_counter())
            self.deliveries.append(delivery)
            assert self._socket is not None
            await self._socket.send_str(json.dumps(envelope))
            try:
                delivery.acked_at = await asyncio.wait_for(acked, self.ack_timeout)
                return
            except TimeoutError:
                continue
            finally:
                self._acks.pop(envelope_id, None)

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        if request.query.get("ticket") not in self._tickets:
            raise web.HTTPUnauthorized(text="unknown ticket")
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        self._socket = socket
        self.connections += 1
        await socket.send_str(json.dumps({
            "type": "hello", "num_connections": 1,
            "debug_info": {"host": "loopback", "approximate_connection_time": 18060},
            "connection_info": {"app_id": APP_ID}}))
        self._connected.set()
        try:
            async for frame in socket:
                if frame.type != WSMsgType.TEXT:
                    continue
                envelope_id = json.loads(frame.data).get("envelope_id")
                future = self._acks.get(envelope_id)
                if future is not None and not future.done():
                    future.set_result(time.perf_counter())
        finally:
            if self._socket is socket:
                self._connected.clear()
                self._socket = None
        return socket

    # -- Web API ---------------------------------------------------------------------

    async def _web_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                if method in FORM_ONLY:
                    return _error("invalid_arguments")
                args.update(await request.json())
            else:
                args.update(await request.post())
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        token = bearer or str(args.pop("token", ""))
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.calls.append(WebCall(method, args, token, str(peer)))
        limits = self._rate_limits.get(method)
        if limits:
            retry_after = limits.pop(0)
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                     headers={"Retry-After": f"{retry_after:g}"})
        wanted = APP_TOKEN if method == "apps.connections.open" else BOT_TOKEN
        if not token:
            return _error("not_authed")
        if token != wanted:
            return _error("invalid_auth")
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return _error("unknown_method")
        answer: dict[str, Any] = handler(args)
        return web.json_response(answer if "error" in answer else {"ok": True, **answer})

    def _m_apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if self.refuse_connections:
            return {"ok": False, "error": self.refuse_connections}
        ticket = uuid.uuid4().hex
        self._tickets.add(ticket)
        return {"url": f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}"}

    def _m_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"url": "https://loopback.slack.com/", "team": "Loopback", "user": "postdesk",
                "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID,
                "is_enterprise_install": False}

    def _m_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(args.get("user", "")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        if str(args.get("include_locale", "")).lower() not in ("true", "1"):
            user = {key: value for key, value in user.items() if key != "locale"}
        return {"user": user}

    def _m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        refused = self._refuse_message(args)
        if refused:
            return refused
        message = {"type": "message", "channel": args["channel"], "ts": self.next_ts(),
                   "text": args.get("text", ""), "blocks": _blocks(args),
                   "thread_ts": args.get("thread_ts"), "bot_id": BOT_ID,
                   "user": BOT_USER_ID, "files": []}
        metadata = args.get("metadata")
        if metadata:
            message["metadata"] = json.loads(metadata) if isinstance(metadata, str) \
                else dict(metadata)
        self.messages.append(message)
        return {"channel": message["channel"], "ts": message["ts"],
                "message": {key: value for key, value in message.items() if value}}

    def _m_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = [user for user in str(args.get("users", "")).split(",") if user]
        if not users:
            channel = str(args.get("channel", ""))
            if not channel:
                return {"ok": False, "error": "users_list_not_supplied"}
            if channel not in self.ims.values():
                return {"ok": False, "error": "channel_not_found"}
            return {"no_op": True, "already_open": True, "channel": {"id": channel}}
        if len(users) > 1:
            return {"ok": False, "error": "not_served_by_the_loopback"}  # group DMs
        (user,) = users
        if user not in self.users:
            return {"ok": False, "error": "user_not_found"}
        if user in self.ims:
            return {"no_op": True, "already_open": True, "channel": {"id": self.ims[user]}}
        self.ims[user] = f"D{len(self.ims) + 1:07d}"
        self.channels.add(self.ims[user])
        return {"channel": {"id": self.ims[user]}}

    def _m_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        refused = self._refuse_message(args)
        if refused:
            return refused
        for message in self.messages:
            if message["channel"] == args["channel"] and message["ts"] == args.get("ts"):
                message.update(text=args.get("text", ""), blocks=_blocks(args), edited=True)
                return {"channel": message["channel"], "ts": message["ts"],
                        "text": message["text"]}
        return {"ok": False, "error": "message_not_found"}

    def _m_conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("channel") not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        found = [m for m in self.messages if m["channel"] == args["channel"]
                 and (not m.get("thread_ts") or m["thread_ts"] == m["ts"])]
        return _page(sorted(found, key=_ts_key, reverse=True), args)

    def _m_conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("channel") not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        parent = next((m for m in self.messages if m["channel"] == args["channel"]
                       and m["ts"] == args.get("ts")), None)
        if parent is None:
            return {"ok": False, "error": "thread_not_found"}
        replies = [m for m in self.messages if m["channel"] == args["channel"]
                   and m.get("thread_ts") == parent["ts"] and m is not parent]
        return _page([parent, *sorted(replies, key=_ts_key)], args)

    def _refuse_message(self, args: dict[str, Any]) -> dict[str, Any] | None:
        if args.get("channel") not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        if not args.get("text") and not args.get("blocks"):
            return {"ok": False, "error": "no_text"}
        for block in _blocks(args) or []:
            if block.get("type") == "actions":
                ids = Counter(element.get("action_id") for element in block["elements"])
                if len(block["elements"]) > 25 or any(n > 1 for n in ids.values()):
                    return {"ok": False, "error": "invalid_blocks"}
        return None

    def _m_files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("filename") or not str(args.get("length", "")).isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{len(self._files) + len(self._pending_uploads) + 1:07d}U"
        self._pending_uploads[file_id] = (str(args["filename"]), int(args["length"]))
        return {"upload_url": f"{self.base}/upload/v1/{file_id}", "file_id": file_id}

    async def _upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        pending = self._pending_uploads.get(file_id)
        body = await request.read()
        if pending is None or len(body) != pending[1]:
            return web.Response(status=400, text="upload refused")
        self.uploaded[file_id] = body
        return web.Response(text=f"OK - {len(body)}")

    def _m_files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        try:
            files = json.loads(str(args.get("files", "")))
        except ValueError:
            return {"ok": False, "error": "invalid_arguments"}
        if not files or any(item.get("id") not in self.uploaded for item in files):
            return {"ok": False, "error": "file_not_found"}
        channel = args.get("channel_id")
        if channel and channel not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        shared = []
        for item in files:
            name, _length = self._pending_uploads.pop(item["id"])
            self._files[item["id"]] = (name, "application/octet-stream",
                                       self.uploaded[item["id"]])
            shared.append({"id": item["id"], "name": name,
                           "title": item.get("title") or name, "shares": {}})
        if channel:
            comment = str(args.get("initial_comment") or "")
            blocks = None if comment else _blocks(args)  # ignored beside initial_comment
            self.messages.append({
                "type": "message", "channel": channel, "ts": self.next_ts(),
                "text": comment, "blocks": blocks, "upload": True,
                "thread_ts": args.get("thread_ts"), "bot_id": BOT_ID, "user": BOT_USER_ID,
                "files": [{key: item[key] for key in ("id", "name", "title")}
                          for item in shared]})
        return {"files": shared}

    async def _download(self, request: web.Request) -> web.StreamResponse:
        file_id = request.match_info["file_id"].removeprefix(f"{TEAM_ID}-")
        if request.headers.get("Authorization") != f"Bearer {BOT_TOKEN}":
            return web.Response(status=403, text="login required")
        if file_id not in self._files:
            return web.Response(status=404)
        _name, mimetype, content = self._files[file_id]
        return web.Response(body=content, content_type=mimetype)


def _error(code: str) -> web.Response:
    return web.json_response({"ok": False, "error": code})


def _ts_key(message: dict[str, Any]) -> tuple[int, int]:
    seconds, _, fraction = str(message["ts"]).partition(".")
    return int(seconds), int(fraction or 0)


def _flag(value: Any) -> bool:
    return str(value).lower() in ("true", "1")


def _page(messages: list[dict[str, Any]], args: dict[str, Any]) -> dict[str, Any]:
    """A conversations.* answer: `messages` within oldest / latest, one page of `limit`
    from `cursor` (an offset here; opaque to clients), metadata only when asked."""
    inclusive = _flag(args.get("inclusive", ""))
    oldest, latest = float(args.get("oldest") or 0), float(args.get("latest") or 0)

    def within(message: dict[str, Any]) -> bool:
        ts = float(message["ts"])
        after = ts >= oldest if inclusive else ts > oldest
        before = not latest or (ts <= latest if inclusive else ts < latest)
        return after and before

    chosen = [m for m in messages if within(m)]
    start = int(args.get("cursor") or 0)
    limit = int(args.get("limit") or 100)
    page = chosen[start:start + limit]
    with_metadata = _flag(args.get("include_all_metadata", ""))
    shown = [{key: value for key, value in m.items()
              if value is not None and (key != "metadata" or with_metadata)} for m in page]
    more = start + limit < len(chosen)
    return {"messages": shown, "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""}}


def _blocks(args: dict[str, Any]) -> list[dict[str, Any]] | None:
    blocks = args.get("blocks")
    if isinstance(blocks, str):
        return list(json.loads(blocks))
    return list(blocks) if blocks else None
