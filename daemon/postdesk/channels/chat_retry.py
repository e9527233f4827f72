"""How long a chat platform asked us to wait: the `Retry-After` header of its HTTP 429,
read the same way by the chat edges (Slack, Teams)."""

from __future__ import annotations

from collections.abc import Mapping


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds from a `Retry-After` header; None when absent or not a number (an HTTP
    date is not used by these platforms)."""
    value = headers.get("Retry-After") if headers else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
