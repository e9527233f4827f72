"""What a status change means to the customer: the `change` of their mail's context.

A customer reads "resolved" or "closed" as an outcome, and a move out of it as
the ticket being reopened; `kind` tells the templates which of the three they
explain (``closed``, ``reopened``, or the new status's own kind, ``open`` or
``paused``). Public names only: customers never see the internal status.
"""

from __future__ import annotations

from typing import Any

from postdesk.tickets.statuses import StatusBook


def status_change(old: str | None, new: str | None, statuses: StatusBook) -> dict[str, Any]:
    """The `change` context of a mail about the status moving from `old` to `new`."""
    new_kind = statuses.kind(new or "")
    reopened = old is not None and statuses.kind(old) == "closed" and new_kind != "closed"
    # titled statuses keep their texts by language (`translate` picks the reader's)
    return {"old": statuses.public_title(old) if old else "",
            "new": statuses.public_title(new or ""),
            "kind": "reopened" if reopened else new_kind}
