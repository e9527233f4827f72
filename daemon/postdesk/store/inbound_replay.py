"""A stored mail made ready to be processed again (`postdesk ingest --replay ID`).

The raw bytes of every mail are kept, so after a fix a failed or ignored mail
can go through the worker once more: its row goes back to `pending` with its
reason and attempts cleared, as if it had just arrived.
"""

from __future__ import annotations

from postdesk.store.db import database
from postdesk.store.models import Inbound


def stored_inbound(inbound_id: int) -> Inbound | None:
    """The stored mail (None: no such id)."""
    return Inbound.get_or_none(Inbound.id == inbound_id)


def reset_for_replay(inbound_id: int) -> None:
    """Back to pending, reason, attempts and the last worker's claim cleared (own
    transaction): a mail failed by a worker keeps its claim, which would make the replay
    skip it until the claim ran out."""
    with database.atomic():
        (Inbound.update(state="pending", reason="", attempts=0, working_until=None)
         .where(Inbound.id == inbound_id).execute())
