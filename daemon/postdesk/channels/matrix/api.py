"""The few Client-Server API calls the Matrix edge makes, over one aiohttp session.

Every refusal becomes a `ChatPlatformError`: 429 carries `retry_after` from the body's
`retry_after_ms` (or the Retry-After header), 400/403/404 are permanent (the room is gone,
the bot was kicked, the request is malformed: a retry cannot help), everything else
(5xx, timeouts, a homeserver that is down) is worth retrying.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import aiohttp

from postdesk.channels.chat_download import read_at_most
from postdesk.chat.platform import ChatPlatformError

PERMANENT_STATUSES = frozenset({400, 403, 404})


class MatrixHttpError(ChatPlatformError):
    """The homeserver answered with an error status (kept with its Matrix errcode)."""

    def __init__(self, message: str, *, status: int, errcode: str,
                 retry_after: float | None = None) -> None:
        super().__init__(message, retry_after=retry_after,
                         permanent=status in PERMANENT_STATUSES)
        self.status = status
        self.errcode = errcode


def path_part(value: str) -> str:
    """A room id, event id, user id or transaction id made safe for a URL path segment."""
    return quote(value, safe="")


class MatrixApi:
    """Authenticated calls to one homeserver as one account (its access token)."""

    def __init__(self, homeserver: str, access_token: str, *,
                 request_timeout: float = 60.0) -> None:
        self.homeserver = homeserver.rstrip("/")
        self._headers = {"Authorization": f"Bearer {access_token}"}
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers=self._headers, timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def call(self, method: str, path: str, *, body: dict[str, Any] | None = None,
                   params: dict[str, str] | None = None,
                   timeout: float | None = None) -> dict[str, Any]:
        """A JSON call; its decoded answer, or `ChatPlatformError`."""
        what = f"{method} {path}"
        try:
            async with self._client().request(
                    method, self.homeserver + path, json=body, params=params,
                    timeout=aiohttp.ClientTimeout(total=timeout) if timeout else None,
            ) as response:
                return await _json_or_error(response, what)
        except aiohttp.ClientError as exc:
            raise ChatPlatformError(f"Matrix {what}: {exc.__class__.__name__}: {exc}") from exc
        except TimeoutError as exc:
            raise ChatPlatformError(f"Matrix {what}: no answer in time") from exc

    async def upload(self, name: str, content_type: str, content: bytes) -> str:
        """Upload a file to the media repository; its mxc:// URI."""
        what = "POST /_matrix/media/v3/upload"
        try:
            async with self._client().post(
                    self.homeserver + "/_matrix/media/v3/upload", data=content,
                    params={"filename": name}, headers={"Content-Type": content_type},
            ) as response:
                answer = await _json_or_error(response, what)
        except aiohttp.ClientError as exc:
            raise ChatPlatformError(f"Matrix {what}: {exc}") from exc
        uri = answer.get("content_uri")
        if not isinstance(uri, str):
            raise ChatPlatformError(f"Matrix {what}: no content_uri in the answer")
        return uri

    async def download(self, mxc_url: str, limit: int) -> bytes | None:
        """The bytes behind an mxc:// URI through the authenticated media API (Matrix 1.11);
        None when the file is larger than `limit` bytes (read no further than that)."""
        server, _, media_id = mxc_url.removeprefix("mxc://").partition("/")
        path = f"/_matrix/client/v1/media/download/{path_part(server)}/{path_part(media_id)}"
        what = f"GET {path}"
        try:
            async with self._client().get(self.homeserver + path) as response:
                if response.status != 200:
                    await _json_or_error(response, what)
                return await read_at_most(response, limit)
        except aiohttp.ClientError as exc:
            raise ChatPlatformError(f"Matrix {what}: {exc}") from exc


async def _json_or_error(response: aiohttp.ClientResponse, what: str) -> dict[str, Any]:
    text = await response.text()
    try:
        answer = json.loads(text) if text else {}
    except ValueError:
        answer = {}
    if not isinstance(answer, dict):
        answer = {}
    if response.status == 200:
        return answer
    errcode = str(answer.get("errcode", ""))
    reason = f"Matrix {what}: HTTP {response.status} {errcode} " \
             f"{answer.get('error', text[:200])}".rstrip()
    retry_after = _retry_after(answer, response) if response.status == 429 else None
    raise MatrixHttpError(reason, status=response.status, errcode=errcode,
                          retry_after=retry_after)


def _retry_after(answer: dict[str, Any], response: aiohttp.ClientResponse) -> float | None:
    millis = answer.get("retry_after_ms")
    if isinstance(millis, int | float) and not isinstance(millis, bool):
        return millis / 1000
    header = response.headers.get("Retry-After", "")
    return float(header) if header.isdigit() else None
