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

from postdesk.store import fastsql
from postdesk.store.db import database
from postdesk.store.models import Inbound


def claim(ids: Collection[int], now: datetime, until: datetime) -> set[int]:
    """Claim, until `until`, those of `ids` still pending and held by no live claim; the
    ids now ours (own transaction)."""
    if not ids:
        return set()
    wanted = list(ids)
    sql = fastsql.prepared(("inbound-claim", len(wanted)), lambda p: (  # every mail: pre-built
        f'UPDATE "inbound" SET "working_until" = {p} WHERE "id" IN '
        f'({", ".join([p] * len(wanted))}) AND "state" = {p} '
        f'AND ("working_until" IS NULL OR "working_until" < {p}) RETURNING "id"'))
    when = Inbound.working_until.db_value
    with database.atomic():
        return {int(inbound_id) for (inbound_id,) in database.execute_sql(
            sql, [when(until), *wanted, "pending", when(now)]).fetchall()}


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
