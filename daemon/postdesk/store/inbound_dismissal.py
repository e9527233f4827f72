"""Dismissing a failed mail: an operator has looked at it and sets it aside.

A failed mail (spam without a From, a mail the desk could not read) stays
failed with its reason and raw bytes; dismissing it records who, when and why
on the row, so that `postdesk inbound --failed` and `postdesk status` count
only the failures nobody has looked at yet. Nothing is deleted: `postdesk
inbound --failed --dismissed` still lists it, and `postdesk ingest --replay
ID` still works.
"""

from __future__ import annotations

from datetime import datetime

from postdesk.store.db import database
from postdesk.store.models import Inbound


class NotDismissable(Exception):
    """The mail is missing, not failed, or dismissed already (the message says which)."""


def dismiss(inbound_id: int, *, by: str, reason: str, now: datetime) -> None:
    """Record on failed mail `inbound_id` that `by` dismissed it at `now` for `reason`."""
    with database.atomic():
        changed = (Inbound.update(dismissed_at=now, dismissed_by=by, dismiss_reason=reason)
                   .where((Inbound.id == inbound_id) & (Inbound.state == "failed")
                          & Inbound.dismissed_at.is_null()).execute())
        if changed == 1:
            return
        row = (Inbound.select(Inbound.state, Inbound.dismissed_at, Inbound.dismissed_by)
               .where(Inbound.id == inbound_id).first())
    if row is None:
        raise NotDismissable(f"inbound {inbound_id}: no such mail")
    if row.state != "failed":
        raise NotDismissable(f"inbound {inbound_id} is {row.state}, not failed: only a "
                             "failed mail can be dismissed")
    raise NotDismissable(f"inbound {inbound_id} was dismissed already, by "
                         f"{row.dismissed_by} at {row.dismissed_at:%Y-%m-%d %H:%M} UTC")
