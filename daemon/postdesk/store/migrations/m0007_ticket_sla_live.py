"""Queues: the indexed SLA summary of each ticket (state, due_at, warn_at) and indexes on
the ticket columns queues filter by (team, assignee, request_type, priority, and status
with each of the first three).

Existing rows get `state` and `due_at` from their stored clocks; `warn_at` needs the
policies, so it is filled at the ticket's next change or by `postdesk sla recompute`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import peewee
from playhouse.migrate import SchemaMigrator, migrate

VERSION = 7

_TICKET_INDEXES = ("team", "assignee", "request_type", "priority")
_BATCH = 1000


def apply(database: peewee.Database, migrator: SchemaMigrator) -> None:
    present = {column.name for column in database.get_columns("ticket_sla")}
    wanted = {"state": peewee.CharField(max_length=16, null=True),
              "due_at": peewee.DateTimeField(null=True),
              "warn_at": peewee.DateTimeField(null=True)}
    # add_column with null=True needs no table rebuild on either engine; a table made
    # by migration 6 from today's models has the columns already
    migrate(*(migrator.add_column("ticket_sla", name, field)
              for name, field in wanted.items() if name not in present))
    for column in ("state", "due_at", "warn_at"):
        database.execute_sql(f'CREATE INDEX IF NOT EXISTS "ticket_sla_{column}" '
                             f'ON "ticket_sla" ("{column}")')
    for column in _TICKET_INDEXES:
        database.execute_sql(f'CREATE INDEX IF NOT EXISTS "ticket_{column}" '
                             f'ON "ticket" ("{column}")')
    for column in _TICKET_INDEXES[:3]:  # queues name statuses, then a team, assignee, type
        database.execute_sql(f'CREATE INDEX IF NOT EXISTS "ticket_status_{column}" '
                             f'ON "ticket" ("status", "{column}")')
    _backfill(database)


def _backfill(database: peewee.Database) -> None:
    mark = database.param
    last = 0
    while True:
        rows = database.execute_sql(
            f'SELECT "id", "clocks" FROM "ticket_sla" WHERE "id" > {mark} ORDER BY "id" '
            f'LIMIT {_BATCH}', (last,)).fetchall()
        if not rows:
            return
        for row_id, clocks in rows:
            state, due = summary_of_stored(json.loads(clocks or "{}"))
            database.execute_sql(
                f'UPDATE "ticket_sla" SET "state" = {mark}, "due_at" = {mark} '
                f'WHERE "id" = {mark}', (state, due, row_id))
        last = rows[-1][0]


def summary_of_stored(clocks: dict[str, Any]) -> tuple[str | None, datetime | None]:
    """(worst state, earliest due as naive UTC) from clocks stored before migration 7."""
    states = {c.get("state") for c in clocks.values()}
    dues = [datetime.fromisoformat(c["due"]).astimezone(UTC).replace(tzinfo=None)
            for c in clocks.values() if c.get("state") == "running" and c.get("due")]
    state = next((live for stored, live in (("breached", "breached"), ("running", "ok"),
                                            ("paused", "paused"), ("met", "met"))
                  if stored in states), None)
    return state, min(dues, default=None)
