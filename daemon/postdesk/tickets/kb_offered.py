"""What a `kb.suggested` event says was offered: the shape of its data, read in one place.

A new ticket's suggestions are one event carrying each of them in order
(`{"suggestions": [{article, language, score, rank}, ...]}`): one event row, not
one per suggestion, since a row costs a new ticket about as much as the search.
A rule's `answer_with_article`, and the events desks recorded before, carry one
suggestion in the data itself (`{article, language, score, rank}`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SUGGESTED = "kb.suggested"


def suggested_event(suggestions: list[dict[str, Any]]) -> dict[str, Any]:
    """The data of the event that records `suggestions` (in the order offered)."""
    return {"suggestions": suggestions}


def offered(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The suggestions a `kb.suggested` event's data records, in the order offered."""
    listed = data.get("suggestions")
    return list(listed) if isinstance(listed, list) else [data]
