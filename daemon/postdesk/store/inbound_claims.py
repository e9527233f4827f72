"""A worker's claim on the mails it is working on: `inbound.working_until`.

The queue may hand one id out twice (the sweeper re-dispatches a mail whose
dispatch is older than `[broker] redispatch_after`, and a slow mail is still
being worked on then). Before reading its mails, a worker claims them with
one UPDATE: a mail another worker holds a live claim on is left to it, so one
mail never occupies two workers, and the sweeper passes over a mail whose
claim has not run out. A worker that dies leaves its claim to run out; the
sweeper then hands the mail out again.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from postdesk.store.db import database
from postdesk.store.models import Inbound


def claim(ids: Collection[int], now: datetime, until: datetime) -> set[int]:
    """Claim, until `until`, those of `ids` still pending and held by no live claim; the
    ids now ours (own transaction)."""
    if not ids:
        return set()
    free = Inbound.working_until.is_null() | (Inbound.working_until < now)
    with database.atomic():
        claimed = (Inbound.update(working_until=until)
                   .where(Inbound.id.in_(list(ids)) & (Inbound.state == "pending") & free)
                   .returning(Inbound.id).execute())
        return {row.id for row in claimed}


def extend(ids: Collection[int], until: datetime) -> None:
    """Keep the claims on `ids` (ours) until `until`: a batch that takes long."""
    if ids:
        with database.atomic():
            Inbound.update(working_until=until).where(Inbound.id.in_(list(ids))).execute()


def release(ids: Collection[int]) -> None:
    """Give up the claims on `ids` (ours, still pending): the queue's retry may take them
    at once."""
    if ids:
        with database.atomic():
            (Inbound.update(working_until=None)
             .where(Inbound.id.in_(list(ids)) & (Inbound.state == "pending")).execute())
