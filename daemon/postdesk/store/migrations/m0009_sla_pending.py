"""Add sla_pending: tickets whose SLA clocks the worker will recompute after its commit."""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator

VERSION = 9


def apply(database: peewee.Database, migrator: SchemaMigrator) -> None:
    # A new table, plain DDL for both engines. It starts empty: clocks stored
    # before this migration were computed inside the worker's transaction.
    database.execute_sql(
        'CREATE TABLE IF NOT EXISTS "sla_pending" ('
        '"ticket_id" INTEGER NOT NULL PRIMARY KEY REFERENCES "ticket" ("id") '
        'ON DELETE CASCADE, '
        '"marked_at" TIMESTAMP NOT NULL)')
