"""The index duplicate detection reads at intake: each ticket's terms, kept by term.

`ticket_term` holds (term, ticket, count) with the term first in its key, so the
tickets sharing a new mail's rarer terms are found by index, never by scanning
the open tickets; `ticket_fingerprint` holds each ticket's `exact_key` (sender
and words: the same mail again) and its vector's norm; `duplicate_term` counts
the tickets that have each term (the empty term counts all indexed tickets),
for the weights. A ticket is indexed once, when it opens; its first mail says
what it is about. The statements run for every new ticket, so they are written
out once with the database's placeholders (see `ticket_lookups`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

import peewee as pw

from postdesk.duplicates.detect import Candidate
from postdesk.store import fastsql
from postdesk.store.db import database
from postdesk.store.models import BaseModel, Ticket

#: The term under which `duplicate_term` counts every indexed ticket.
ALL_TICKETS = ""


class TicketTerm(BaseModel):
    term = pw.CharField(max_length=32)
    ticket = pw.ForeignKeyField(Ticket, on_delete="CASCADE")
    count = pw.IntegerField()

    class Meta:
        table_name = "ticket_term"
        primary_key = pw.CompositeKey("term", "ticket")


class TicketFingerprint(BaseModel):
    ticket = pw.ForeignKeyField(Ticket, primary_key=True, on_delete="CASCADE")
    exact_key = pw.CharField(max_length=64, index=True)
    norm = pw.FloatField()

    class Meta:
        table_name = "ticket_fingerprint"


class DuplicateTerm(BaseModel):
    term = pw.CharField(max_length=32, primary_key=True)
    tickets = pw.IntegerField()

    class Meta:
        table_name = "duplicate_term"


MODELS: tuple[type[pw.Model], ...] = (TicketTerm, TicketFingerprint, DuplicateTerm)


def term_counts(terms: Collection[str]) -> tuple[dict[str, int], int]:
    """How many indexed tickets have each of the terms, and how many are indexed."""
    wanted = [ALL_TICKETS, *terms]
    rows = database.execute_sql(
        f'SELECT "term", "tickets" FROM "duplicate_term" WHERE "term" IN '
        f'({fastsql.placeholders(len(wanted))})', wanted).fetchall()
    df = dict(rows)
    return df, df.pop(ALL_TICKETS, 0)


def _window_start() -> str:
    """SQL for the lowest ticket id opened at or after a time (one parameter): ids grow with
    time, so it is the first entry of the `created_at` index from there, an index seek, not
    a MIN over the whole window. NULL when no ticket is that recent (then nothing is in the
    window: `id >= NULL` holds for no row)."""
    param = database.obj.param
    return (f'(SELECT "id" FROM "ticket" WHERE "created_at" >= {param} '
            f'ORDER BY "created_at", "id" LIMIT 1)')


def alike_open_tickets(weighted: Mapping[str, float], since: datetime, limit: int,
                       terms: Collection[str], open_statuses: Collection[str],
                       exclude: int) -> list[Candidate]:
    """The open tickets (not merged away) opened from `since` on that are among the `limit`
    sharing the most weight of these rarer terms (the database sums, so a common term's
    long list never reaches Python), but not `exclude`; each with the counts of the
    `terms` it shares and its stored norm. One statement: the ranking and the reading."""
    if not weighted or not terms or not open_statuses:
        return []
    param = database.obj.param
    cases = " ".join(f"WHEN {param} THEN CAST({param} AS DOUBLE PRECISION)" for _ in weighted)
    rows = database.execute_sql(
        f'WITH ranked AS (SELECT "ticket_id" FROM "ticket_term" WHERE "term" IN '
        f'({fastsql.placeholders(len(weighted))}) AND "ticket_id" >= {_window_start()} '
        f'GROUP BY "ticket_id" ORDER BY SUM(CASE "term" {cases} ELSE 0 END) DESC, '
        f'"ticket_id" DESC LIMIT {int(limit)}) '
        f'SELECT tt."ticket_id", f."norm", tt."term", tt."count" FROM "ticket_term" tt '
        f'JOIN "ticket_fingerprint" f ON f."ticket_id" = tt."ticket_id" '
        f'JOIN "ticket" t ON t."id" = tt."ticket_id" '
        f'WHERE tt."ticket_id" IN (SELECT "ticket_id" FROM ranked) '
        f'AND tt."ticket_id" != {param} '
        f'AND tt."term" IN ({fastsql.placeholders(len(terms))}) '
        f'AND t."status" IN ({fastsql.placeholders(len(open_statuses))}) '
        f'AND t."merged_into" IS NULL',
        [*weighted, Ticket.created_at.db_value(since),
         *(v for pair in weighted.items() for v in pair), exclude, *terms,
         *open_statuses]).fetchall()
    norms: dict[int, float] = {}
    shared: dict[int, dict[str, int]] = {}
    for ticket_id, norm, term, count in rows:
        norms[ticket_id] = norm
        shared.setdefault(ticket_id, {})[term] = count
    return [Candidate(ticket_id, shared[ticket_id], norms[ticket_id])
            for ticket_id in sorted(norms)]


def repeated_ticket(exact_key: str, since: datetime | None, open_statuses: Collection[str],
                    terms: Collection[str] = ()) -> tuple[int | None, dict[str, int], int]:
    """The open ticket opened from `since` on (None: look for none) whose first mail had this
    exact key, and the `term_counts` of `terms`: one statement, as a mail that is no repeat
    opens a ticket whose comparison needs those counts next."""
    wanted = [ALL_TICKETS, *terms]
    param = database.obj.param
    look = since is not None and bool(open_statuses)
    repeat = (f'SELECT f."ticket_id" FROM "ticket_fingerprint" f '
              f'JOIN "ticket" t ON t."id" = f."ticket_id" '
              f'WHERE f."exact_key" = {param} AND f."ticket_id" >= {_window_start()} '
              f'AND t."status" IN ({fastsql.placeholders(len(open_statuses))}) '
              f'AND t."merged_into" IS NULL ORDER BY f."ticket_id" LIMIT 1') if look else "NULL"
    rows = database.execute_sql(
        f'SELECT "term", "tickets" FROM "duplicate_term" WHERE "term" IN '
        f'({fastsql.placeholders(len(wanted))}) UNION ALL SELECT NULL, ({repeat})',
        [*wanted, *([exact_key, Ticket.created_at.db_value(since), *open_statuses]
                    if look else [])]).fetchall()
    df = {term: count for term, count in rows if term is not None}
    found = next((count for term, count in rows if term is None), None)
    return found, df, df.pop(ALL_TICKETS, 0)


def index_ticket(ticket_id: int, exact_key: str, counts: Mapping[str, int],
                 norm: float) -> None:
    """Record a new ticket's terms, fingerprint and norm, and count its terms."""
    param = database.obj.param
    database.execute_sql(
        f'INSERT INTO "ticket_fingerprint" ("ticket_id", "exact_key", "norm") '
        f'VALUES ({param}, {param}, {param}) ON CONFLICT DO NOTHING',
        [ticket_id, exact_key, norm])
    if counts:
        row = f"({param}, {param}, {param})"
        database.execute_sql(
            f'INSERT INTO "ticket_term" ("term", "ticket_id", "count") VALUES '
            f'{", ".join([row] * len(counts))} ON CONFLICT DO NOTHING',
            [value for term, count in counts.items() for value in (term, ticket_id, count)])
    counted = [ALL_TICKETS, *counts]
    database.execute_sql(
        f'INSERT INTO "duplicate_term" ("term", "tickets") VALUES '
        f'{", ".join([f"({param}, 1)"] * len(counted))} ON CONFLICT ("term") '
        f'DO UPDATE SET "tickets" = "duplicate_term"."tickets" + 1', counted)


def prune(window_from: datetime | None, closed_statuses: Collection[str],
          closed_before: datetime, limit: int) -> int:
    """Take out of the index (terms, fingerprint, their share of the counts) up to `limit`
    tickets that no new one can be compared with again: opened before the window (which
    starts with the first ticket opened at `window_from`; None: no window, age counts
    for nothing) or closed since before `closed_before`. Returns how many."""
    param = database.obj.param
    before_window = (f'f."ticket_id" < COALESCE({_window_start()}, f."ticket_id" + 1) OR '
                     if window_from is not None else "")
    closed = (f'(t."status" IN ({fastsql.placeholders(len(closed_statuses))}) AND '
              f'COALESCE(t."status_changed_at", t."created_at") < {param})'
              if closed_statuses else "1 = 0")
    params: list[object] = [Ticket.created_at.db_value(window_from)] if window_from else []
    params += [*closed_statuses, Ticket.created_at.db_value(closed_before)] if closed_statuses \
        else []
    ids = [row[0] for row in database.execute_sql(
        f'SELECT f."ticket_id" FROM "ticket_fingerprint" f '
        f'JOIN "ticket" t ON t."id" = f."ticket_id" WHERE {before_window}{closed} '
        f'ORDER BY f."ticket_id" LIMIT {int(limit)}', params).fetchall()]
    if not ids:
        return 0
    listed = fastsql.placeholders(len(ids))
    database.execute_sql(
        f'UPDATE "duplicate_term" SET "tickets" = "tickets" - (SELECT COUNT(*) FROM '
        f'"ticket_term" tt WHERE tt."term" = "duplicate_term"."term" AND tt."ticket_id" IN '
        f'({listed})) WHERE "term" IN (SELECT "term" FROM "ticket_term" WHERE "ticket_id" '
        f'IN ({listed}))', [*ids, *ids])
    database.execute_sql(
        f'UPDATE "duplicate_term" SET "tickets" = "tickets" - {param} WHERE "term" = {param}',
        [len(ids), ALL_TICKETS])
    database.execute_sql(
        f'DELETE FROM "duplicate_term" WHERE "tickets" <= 0 AND "term" != {param}',
        [ALL_TICKETS])
    database.execute_sql(f'DELETE FROM "ticket_term" WHERE "ticket_id" IN ({listed})', ids)
    database.execute_sql(f'DELETE FROM "ticket_fingerprint" WHERE "ticket_id" IN ({listed})',
                         ids)
    return len(ids)
