"""The Slack Web API calls of the edge: post, edit, upload, look up a user, fetch a file.

Every call goes through one `AsyncWebClient` whose `base_url` is `[slack] api_url`,
so an Enterprise Grid proxy or the tests' loopback server sees all of them. Slack's
refusals become `ChatPlatformError`: HTTP 429 with its Retry-After, and the errors a
retry cannot mend (`channel_not_found`, `not_in_channel`, `invalid_auth`...) marked
permanent, so the outbox stops retrying them.

Slack's documentation followed: chat.postMessage, chat.update, conversations.open (a
direct message: `users` is the one account, the answer's `channel.id` the conversation),
users.info (with `include_locale`; the email needs the users:read.email scope), the v2 upload flow
(files.getUploadURLExternal, the upload URL, files.completeUploadExternal; a thread
reply's file goes to the thread's parent ts), and the rate-limit page (HTTP 429 with
Retry-After in seconds).

Never twice: chat.postMessage takes no idempotency key, so each post carries the outbox
row's key as message metadata (docs.slack.dev/messaging/message-metadata: `event_type`
`postdesk_outbox`, `event_payload.key`). The v2 upload takes no metadata, so a share of
files says its words in blocks (`blocks.share_blocks`, not `initial_comment`) whose first
`block_id` carries the key instead (`postdesk_outbox:<key>`; the files of a post with
buttons follow in its thread marked `<key>/files`). A post an earlier attempt may have
made (`ChatPost.tried_since`: the process died between Slack's answer and our commit, or
the answer was lost) is first looked for among the messages since that attempt,
conversations.replies in its thread or conversations.history for a top-level post or a
direct message, both with `include_all_metadata` (the bot's channels:history /
groups:history / im:history scopes); when found, its ts is taken and nothing is posted.
Before files.completeUploadExternal nothing of a share is visible, so an upload cut
short earlier is simply made again.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from postdesk.channels.chat_download import read_at_most
from postdesk.channels.chat_retry import retry_after
from postdesk.channels.slack.blocks import message_blocks, share_blocks
from postdesk.channels.slack.payloads import SlackFileRef, escape_text
from postdesk.chat.model import ChatFile, ChatPost, ChatUser
from postdesk.chat.platform import ChatPlatformError

log = logging.getLogger(__name__)

#: errors after which the same call can never succeed: the outbox gives the row up
PERMANENT_ERRORS = frozenset({
    "channel_not_found", "not_in_channel", "invalid_auth", "not_authed", "account_inactive",
    "token_revoked", "token_expired", "is_archived", "missing_scope", "message_not_found",
    "cant_update_message", "edit_window_closed", "msg_too_long", "invalid_blocks",
    "no_text", "restricted_action", "user_not_found", "user_not_visible",
    "thread_not_found",
})
#: the metadata event type that marks our posts with their outbox row's key
METADATA_EVENT = "postdesk_outbox"
#: the key of the share of files that follows a post with buttons in its thread
FILES_SUFFIX = "/files"
#: an earlier attempt is looked for from this long before it began (clocks differ)
LOOKUP_MARGIN_S = 600.0
#: messages per page and pages read when looking for an earlier attempt
LOOKUP_PAGE = 200
LOOKUP_PAGES = 5
DEFAULT_USER_TTL = 300.0  # seconds a users.info answer is reused
DEFAULT_MAX_FILE_BYTES = 25 * 1024 * 1024
#: file hosts besides the API's own that may receive the bot token
SLACK_FILE_DOMAIN = ".slack.com"


class SlackWebApi:
    """The Web API as the edge uses it, with Slack's errors as `ChatPlatformError`."""

    def __init__(self, client: AsyncWebClient, *, user_ttl: float = DEFAULT_USER_TTL,
                 max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> None:
        self.client = client
        self.user_ttl = user_ttl
        self.max_file_bytes = max_file_bytes
        self._users: dict[str, tuple[float, ChatUser]] = {}

    async def post(self, post: ChatPost) -> str:
        """Post, edit or upload; the ts of the message Slack shows. A direct message goes
        to the conversation `conversations.open` gives for the account (the same one each
        time: Slack reuses an open direct message)."""
        if post.direct_to:
            async with _slack_errors(f"opening a direct message to {post.direct_to}"):
                opened = await self.client.conversations_open(users=post.direct_to)
            post = replace(post, channel=str(opened["channel"]["id"]), thread_id=None,
                           direct_to=None)
        blocks = message_blocks(post.text, post.buttons)
        text = escape_text(post.text)
        async with _slack_errors(f"posting to {post.channel}"):
            if post.edit_of:
                # blocks=[]: an edit without buttons takes the old ones away
                answer = await self.client.chat_update(
                    channel=post.channel, ts=post.edit_of, text=text, blocks=blocks or [])
                return str(answer["ts"])
            if post.files and not post.buttons:
                earlier = await self._earlier_attempt(post, post.thread_id,
                                                      post.idempotency_key)
                if earlier is not None:
                    return earlier
                return await self._upload(post, post.thread_id, post.text or ", ".join(
                    item.name for item in post.files), post.idempotency_key)
            earlier = await self._earlier_attempt(post, post.thread_id, post.idempotency_key)
            if earlier is not None:
                ts = earlier
            else:
                answer = await self.client.chat_postMessage(
                    channel=post.channel, thread_ts=post.thread_id, text=text, blocks=blocks,
                    unfurl_links=False, unfurl_media=False,
                    metadata={"event_type": METADATA_EVENT,
                              "event_payload": {"key": post.idempotency_key}})
                ts = str(answer["ts"])
            if post.files:
                # a post with buttons and files: the buttons' message opens, the files follow
                # in its thread (completeUploadExternal takes no actions block); after a
                # crash the share may be made or not, whatever became of the message
                files_key = post.idempotency_key + FILES_SUFFIX
                thread = post.thread_id or ts
                if earlier is None or await self._earlier_attempt(
                        post, thread, files_key) is None:
                    await self._upload(post, thread, ", ".join(f.name for f in post.files),
                                       files_key)
            if earlier is not None:
                log.info("slack post %s was already made (ts %s): not posted again",
                         post.idempotency_key, earlier)
            return ts

    async def _earlier_attempt(self, post: ChatPost, thread_ts: str | None,
                               key: str) -> str | None:
        """The ts of the message marked `key` an earlier attempt at `post` made in
        `thread_ts` (None: among top-level messages), if Slack has it; None without an
        earlier attempt. A history Slack refuses for good (no history scope) is logged and
        the post made: a post twice rather than none."""
        if post.tried_since is None:
            return None
        oldest = f"{max(post.tried_since.timestamp() - LOOKUP_MARGIN_S, 0):.6f}"
        try:
            async with _slack_errors(f"looking for post {key}"):
                return await self._find_marked(post.channel, thread_ts, key, oldest)
        except ChatPlatformError as error:
            if not error.permanent:
                raise
            log.warning("slack post %s: cannot look for an earlier attempt (%s); posting",
                        key, error)
        return None

    async def _find_marked(self, channel: str, thread_ts: str | None, key: str,
                           oldest: str) -> str | None:
        cursor: str | None = None
        for _page in range(LOOKUP_PAGES):
            if thread_ts:
                answer = await self.client.conversations_replies(
                    channel=channel, ts=thread_ts, oldest=oldest,
                    include_all_metadata=True, limit=LOOKUP_PAGE, cursor=cursor)
            else:
                answer = await self.client.conversations_history(
                    channel=channel, oldest=oldest, include_all_metadata=True,
                    limit=LOOKUP_PAGE, cursor=cursor)
            found = marked_message(answer.get("messages") or [], key)
            if found is not None:
                return found
            cursor = (answer.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        return None

    async def _upload(self, post: ChatPost, thread_ts: str | None, words: str,
                      key: str) -> str:
        """The v2 upload of a post's files in one share that says `words`, marked with
        `key` (files.completeUploadExternal is the point where Slack shows them: before it
        nothing is visible, so a retry repeats none)."""
        answer = await self.client.files_upload_v2(
            channel=post.channel, thread_ts=thread_ts,
            blocks=json.dumps(share_blocks(words, share_block_id(key))),
            file_uploads=[{"content": item.content, "filename": item.name, "title": item.name}
                          for item in post.files])
        return _shared_ts(answer.data if isinstance(answer.data, dict) else {}, post.channel)

    async def user(self, user_id: str) -> ChatUser:
        """The account behind a user id, its email as Slack verified it (cached briefly)."""
        now = time.monotonic()
        cached = self._users.get(user_id)
        if cached and now - cached[0] < self.user_ttl:
            return cached[1]
        async with _slack_errors(f"looking up user {user_id}"):
            answer = await self.client.users_info(user=user_id, include_locale=True)
        found = chat_user(answer["user"])
        self._users[user_id] = (now, found)
        return found

    async def download(self, ref: SlackFileRef) -> ChatFile:
        """A shared file's bytes, fetched with the bot token; over the size limit the file
        comes back empty (its name and type kept) rather than blocking the message."""
        if ref.size > self.max_file_bytes:
            log.warning("slack file %s (%s) is %d bytes, over the limit of %d: not fetched",
                        ref.file_id, ref.name, ref.size, self.max_file_bytes)
            return ChatFile(name=ref.name, content_type=ref.content_type, content=b"",
                            platform_id=ref.file_id)
        if not self._may_receive_token(ref.url):
            raise ChatPlatformError(f"slack file {ref.file_id}: {ref.url} is not a Slack host",
                                    permanent=True)
        headers = {"Authorization": f"Bearer {self.client.token}"}
        timeout = aiohttp.ClientTimeout(total=self.client.timeout)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session, \
                    session.get(ref.url, headers=headers) as response:
                if response.status != 200:
                    raise ChatPlatformError(
                        f"slack file {ref.file_id}: HTTP {response.status}",
                        retry_after=retry_after(response.headers), permanent=response.status
                        in (401, 403, 404))
                content = await read_at_most(response, self.max_file_bytes)
        except aiohttp.ClientError as error:
            raise ChatPlatformError(f"slack file {ref.file_id}: {error}") from error
        if content is None:
            log.warning("slack file %s (%s) grew over the limit of %d bytes: not kept",
                        ref.file_id, ref.name, self.max_file_bytes)
            content = b""
        return ChatFile(name=ref.name, content_type=ref.content_type, content=content,
                        platform_id=ref.file_id)

    def _may_receive_token(self, url: str) -> bool:
        host = urlsplit(url).hostname or ""
        api_host = urlsplit(self.client.base_url).hostname or ""
        return host == api_host or host == SLACK_FILE_DOMAIN[1:] or host.endswith(
            SLACK_FILE_DOMAIN)


def chat_user(user: dict[str, Any]) -> ChatUser:
    """A users.info `user` object as a `ChatUser` (email from the verified profile)."""
    profile = user.get("profile") or {}
    return ChatUser(
        platform="slack", user_id=str(user.get("id") or ""),
        email=str(profile["email"]).strip().lower() if profile.get("email") else None,
        display_name=str(profile.get("display_name") or profile.get("real_name")
                         or user.get("real_name") or ""),
        locale=user.get("locale") or None, timezone=user.get("tz") or None,
        is_bot=bool(user.get("is_bot")))


def share_block_id(key: str) -> str:
    """The block id that marks a share of files with its post's key."""
    return f"{METADATA_EVENT}:{key}"


def marked_message(messages: list[dict[str, Any]], key: str) -> str | None:
    """The ts of the message marked with `key` among `messages`: by our metadata (a
    post) or by its first block's id (a share of files)."""
    block_id = share_block_id(key)
    for message in messages:
        metadata = message.get("metadata") or {}
        if (metadata.get("event_type") == METADATA_EVENT
                and (metadata.get("event_payload") or {}).get("key") == key):
            return str(message["ts"])
        if any(block.get("block_id") == block_id for block in message.get("blocks") or []):
            return str(message["ts"])
    return None


def _shared_ts(answer: dict[str, Any], channel: str) -> str:
    """The ts of the message that shares the uploaded files, when Slack already says it;
    else the first file id (Slack fills `shares` asynchronously)."""
    files = answer.get("files") or []
    for item in files:
        for kind in ("public", "private"):
            shares = ((item.get("shares") or {}).get(kind) or {}).get(channel) or []
            if shares and shares[0].get("ts"):
                return str(shares[0]["ts"])
    return str(files[0]["id"]) if files else ""


@asynccontextmanager
async def _slack_errors(doing: str) -> AsyncIterator[None]:
    """Slack's refusals and network failures as `ChatPlatformError`."""
    try:
        yield
    except SlackApiError as error:
        status = error.response.status_code
        code = str(error.response.get("error") or f"HTTP {status}")
        if status == 429:
            raise ChatPlatformError(f"slack rate limit while {doing}",
                                    retry_after=retry_after(error.response.headers) or 1.0
                                    ) from error
        raise ChatPlatformError(f"slack refused {doing}: {code}",
                                permanent=code in PERMANENT_ERRORS) from error
    except (SlackClientError, aiohttp.ClientError, TimeoutError) as error:
        raise ChatPlatformError(f"slack unreachable while {doing}: {error}") from error
