"""The reports' per-ticket figures, kept in step with the tickets by the database itself.

The KPI and SLA reports read three narrow tables instead of walking every
ticket's events and clocks JSON (issue 22: a million tickets in under 2 s):

* `ticket_figures`, one row per ticket: when it was created; its groups (team,
  agent, request type, channel = the source of its first stored mail, priority;
  '' for none, as the reports group); the acknowledgment (wall-clock seconds
  from its creation to the first thing a person other than the requester did
  on it); whether it has SLA clocks, the state of its first_response,
  resolution and next_response clocks and the business seconds to meeting the
  first two (in time or late); whether the customer solved it with a suggested
  article (`kb.self_served`);
* `ticket_figure_clock`: the state of each other clock (the OLA clocks, `ola:TEAM`);
* `ticket_status_change`: each status change (old, new, when) with the ticket's
  groups copied in, so resolutions and reopenings in a period are counted per
  group from one index.

Triggers (SQLite; PostgreSQL: PL/pgSQL functions) recompute a ticket's rows
from its ticket, events, clocks and first mail whenever one of those changes, in
the same transaction as the change: there is no code path that can forget
them. The statement they run is the one `rebuild` runs over id ranges (the
back-fill of migration 20 and `postdesk report rebuild-figures`), so a row is
always what a from-scratch computation gives. The SQL text is
`ticket_figures_sql`'s.
"""

from __future__ import annotations

from collections.abc import Callable

import peewee as pw

from postdesk.store import ticket_figures_sql as sql
from postdesk.store.models import BaseModel, Event, Ticket, UTCDateTimeField

#: The groupings the reports offer; each is a column of both tables (and indexed).
GROUPS = sql.GROUPS
#: The business times the reports rank (p50, p90) and chart: column per measure.
MEASURE_COLUMNS = {"first_response": "first_response_s", "resolution": "resolution_s",
                   "acknowledgment": "acknowledged_s"}
#: Tickets recomputed per transaction by `rebuild`.
REBUILD_BATCH = 20_000


class TicketFigures(BaseModel):
    ticket = pw.ForeignKeyField(Ticket, primary_key=True, on_delete="CASCADE")
    created_at = UTCDateTimeField()
    team = pw.CharField(max_length=100, default="")
    agent = pw.CharField(max_length=320, default="")
    request_type = pw.CharField(max_length=100, default="")
    channel = pw.CharField(max_length=100, default="")
    priority = pw.CharField(max_length=32, default="")
    acknowledged_s = pw.BigIntegerField(null=True)
    sla = pw.IntegerField(default=0)  # 1: the ticket has SLA clocks
    first_response_state = pw.CharField(max_length=16, null=True)
    first_response_s = pw.BigIntegerField(null=True)  # business seconds, when met
    resolution_state = pw.CharField(max_length=16, null=True)
    resolution_s = pw.BigIntegerField(null=True)
    next_response_state = pw.CharField(max_length=16, null=True)
    self_served = pw.IntegerField(default=0)
    outcome = pw.IntegerField(default=0)  # all of the above the reports count, in one number

    class Meta:
        table_name = "ticket_figures"


class TicketFigureClock(BaseModel):
    ticket = pw.ForeignKeyField(Ticket, on_delete="CASCADE")
    clock = pw.CharField(max_length=200)
    state = pw.CharField(max_length=16, null=True)

    class Meta:
        table_name = "ticket_figure_clock"
        primary_key = pw.CompositeKey("ticket", "clock")


class TicketStatusChange(BaseModel):
    event = pw.ForeignKeyField(Event, primary_key=True, on_delete="CASCADE")
    ticket = pw.ForeignKeyField(Ticket, on_delete="CASCADE")
    at = UTCDateTimeField()
    old = pw.CharField(max_length=64, null=True)
    new = pw.CharField(max_length=64, null=True)
    team = pw.CharField(max_length=100, default="")
    agent = pw.CharField(max_length=320, default="")
    request_type = pw.CharField(max_length=100, default="")
    channel = pw.CharField(max_length=100, default="")
    priority = pw.CharField(max_length=32, default="")

    class Meta:
        table_name = "ticket_status_change"


MODELS: tuple[type[pw.Model], ...] = (TicketFigures, TicketFigureClock, TicketStatusChange)


def install(database: pw.Database) -> None:
    """The reports' indexes and the triggers that keep the tables current (idempotent;
    the tables themselves are MODELS)."""
    postgres = postgres_database(database)
    for statement in (*sql.index_statements(), *sql.trigger_statements(postgres)):
        database.execute_sql(statement)


def uninstall(database: pw.Database) -> None:
    """Drop the triggers and the reports' indexes, as before migration 20: a bulk load
    goes faster without them, then `rebuild` and `install` (the migration's order)."""
    _drop_triggers(database)
    for name in sql.index_names():
        database.execute_sql(f'DROP INDEX IF EXISTS "{name}"')


def reinstall_triggers(database: pw.Database) -> None:
    """Replace the triggers by the current ones (a migration that changes what they do);
    the indexes stay."""
    _drop_triggers(database)
    install(database)


def _drop_triggers(database: pw.Database) -> None:
    postgres = postgres_database(database)
    for name, table in sql.TRIGGERS.items():
        database.execute_sql(f'DROP TRIGGER IF EXISTS "{name}"'
                             + (f' ON "{table}"' if postgres else ""))


def rebuild(database: pw.Database, *, after: int = 0, batch: int = REBUILD_BATCH,
            progress: Callable[[int, int], None] | None = None) -> int:
    """Recompute the rows of every ticket with an id above `after`, `batch` tickets per
    transaction (an interrupted rebuild resumes with `after` = the last id reported);
    `progress(last_id, done)` after each batch. How many tickets were recomputed."""
    postgres = postgres_database(database)
    highest = database.execute_sql('SELECT MAX(id) FROM "ticket"').fetchone()[0] or 0
    done = 0
    low = after
    while low < highest:
        high = min(highest, low + batch)
        with database.atomic():
            for statement in sql.refresh_range_statements(postgres, low, high):
                database.execute_sql(statement)
            done += database.execute_sql(
                f'SELECT COUNT(*) FROM "ticket" WHERE id > {int(low)} AND id <= {int(high)}'
            ).fetchone()[0]
        if progress is not None:
            progress(high, done)
        low = high
    return done


def postgres_database(database: pw.Database) -> bool:
    """Also through the desk's `DatabaseProxy`."""
    return isinstance(getattr(database, "obj", database), pw.PostgresqlDatabase)
