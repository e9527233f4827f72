"""Add link (tickets that belong together) and outbox.automatic (for the rate limit)."""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator

VERSION = 3


def apply(database: peewee.Database, migrator: SchemaMigrator) -> None:
    # Plain DDL that SQLite and PostgreSQL both accept: no table rebuild, so no
    # foreign-key cascade can touch existing rows.
    database.execute_sql(
        'ALTER TABLE "outbox" ADD COLUMN "automatic" BOOLEAN NOT NULL DEFAULT FALSE')
    database.execute_sql('CREATE INDEX IF NOT EXISTS "outbox_recipient_created" '
                         'ON "outbox" ("recipient", "created_at")')
    database.execute_sql('CREATE INDEX IF NOT EXISTS "outbox_created_at" '
                         'ON "outbox" ("created_at")')
    database.execute_sql(
        'CREATE TABLE IF NOT EXISTS "link" ('
        '"id" ' + ("SERIAL" if isinstance(database, peewee.PostgresqlDatabase)
                   else "INTEGER") + ' NOT NULL PRIMARY KEY, '
        '"ticket_id" INTEGER NOT NULL REFERENCES "ticket" ("id") ON DELETE CASCADE, '
        '"other_id" INTEGER NOT NULL REFERENCES "ticket" ("id") ON DELETE CASCADE, '
        '"kind" VARCHAR(32) NOT NULL, "created_at" TIMESTAMP NOT NULL)')
    database.execute_sql('CREATE UNIQUE INDEX IF NOT EXISTS "link_ticket_id_other_id_kind" '
                         'ON "link" ("ticket_id", "other_id", "kind")')
    database.execute_sql('CREATE INDEX IF NOT EXISTS "link_ticket_id" ON "link" ("ticket_id")')
    database.execute_sql('CREATE INDEX IF NOT EXISTS "link_other_id" ON "link" ("other_id")')
