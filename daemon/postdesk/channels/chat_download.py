"""Reading a chat platform's file download without trusting its size: the chat edges
(Slack, Matrix) stop at their limit instead of holding an unbounded body in memory."""

from __future__ import annotations

import aiohttp


async def read_at_most(response: aiohttp.ClientResponse, limit: int) -> bytes | None:
    """The body of `response`, or None as soon as it is known to exceed `limit` bytes."""
    if (response.content_length or 0) > limit:
        return None
    chunks: list[bytes] = []
    total = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        total += len(chunk)
        if total > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
