"""What became of a stored mail: the worker's claim that ends it, or the failure it met.

The claim is one conditional UPDATE inside the transaction that stored the
mail's ticket data: of two workers given the same mail, only the one whose
UPDATE finds the row still pending keeps its work.
"""

from __future__ import annotations

from datetime import datetime

from postdesk.store import fastsql
from postdesk.store.db import database
from postdesk.store.models import Inbound


def finish(inbound_id: int, *, state: str, reason: str, ticket_id: int | None,
           now: datetime, node: str | None = None) -> bool:
    """Mark the row `state` (done, ignored, duplicate, failed) if it is still pending, as
    processed by `node`; False: another worker finished it first."""
    return fastsql.update_by_id(Inbound, inbound_id, only_if={"state": "pending"},
                                increment="attempts", state=state, reason=reason,
                                ticket=ticket_id, processed_at=now,
                                processed_by=node and node[:200]) == 1


def record_failure(inbound_id: int, reason: str, *, retry: bool, max_attempts: int) -> str:
    """Count a failed attempt, in its own transaction: the row stays pending for another
    try (`retry`, and attempts left) or becomes failed, keeping its bytes. Its new state,
    or "skipped": the row was no longer pending (another worker ended it) and stays so."""
    with database.atomic():
        row = Inbound.get_by_id(inbound_id)
        if row.state != "pending":
            return "skipped"
        attempts = row.attempts + 1
        state = "pending" if retry and attempts < max_attempts else "failed"
        (Inbound.update(state=state, reason=reason, attempts=attempts)
         .where(Inbound.id == inbound_id).execute())
    return state


def sizes(ids: list[int]) -> dict[int, int]:
    """The size in bytes of each of these stored mails (their bytes are not read)."""
    if not ids:
        return {}
    sql = fastsql.prepared(("inbound-sizes", len(ids)), lambda p: (  # every batch: pre-built
        f'SELECT "id", "size" FROM "inbound" WHERE "id" IN ({", ".join([p] * len(ids))})'))
    return {int(inbound_id): int(size)
            for inbound_id, size in database.execute_sql(sql, list(ids)).fetchall()}
