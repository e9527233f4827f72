"""Add ticket.tags, ticket.sla_paused and ticket.status_changed_at (for the rules)."""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator

VERSION = 4


def apply(database: peewee.Database, migrator: SchemaMigrator) -> None:
    # ADD COLUMN with a constant default: no table rebuild on SQLite.
    database.execute_sql("""ALTER TABLE "ticket" ADD COLUMN "tags" TEXT NOT NULL DEFAULT '[]'""")
    database.execute_sql(
        'ALTER TABLE "ticket" ADD COLUMN "sla_paused" BOOLEAN NOT NULL DEFAULT FALSE')
    database.execute_sql('ALTER TABLE "ticket" ADD COLUMN "status_changed_at" TIMESTAMP')
