"""Add ticket_sla: each ticket's SLA clocks and the indexed moment of its next threshold."""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator

VERSION = 6


def apply(database: peewee.Database, migrator: SchemaMigrator) -> None:
    # Plain DDL that SQLite and PostgreSQL both accept: a new table, no rebuild.
    # The rows are filled by the worker as tickets change, or at once by
    # `postdesk sla recompute`.
    serial = "SERIAL" if isinstance(database, peewee.PostgresqlDatabase) else "INTEGER"
    database.execute_sql(
        'CREATE TABLE IF NOT EXISTS "ticket_sla" ('
        f'"id" {serial} NOT NULL PRIMARY KEY, '
        '"ticket_id" INTEGER NOT NULL REFERENCES "ticket" ("id") ON DELETE CASCADE, '
        '"policy" VARCHAR(200) NOT NULL, '
        '"clocks" TEXT NOT NULL, '
        '"fired" TEXT NOT NULL, '
        '"next_at" TIMESTAMP, '
        '"checked_until" TIMESTAMP, '
        '"updated_at" TIMESTAMP NOT NULL)')
    database.execute_sql('CREATE UNIQUE INDEX IF NOT EXISTS "ticket_sla_ticket_id" '
                         'ON "ticket_sla" ("ticket_id")')
    database.execute_sql('CREATE INDEX IF NOT EXISTS "ticket_sla_next_at" '
                         'ON "ticket_sla" ("next_at")')
