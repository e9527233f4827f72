"""Add lease: which node runs the scheduler (sweeper, SLA scan) right now."""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator

VERSION = 5


def apply(database: peewee.Database, migrator: SchemaMigrator) -> None:
    database.execute_sql(
        'CREATE TABLE IF NOT EXISTS "lease" ("name" VARCHAR(64) NOT NULL PRIMARY KEY, '
        '"holder" VARCHAR(255) NOT NULL, "acquired_at" TIMESTAMP NOT NULL, '
        '"expires_at" TIMESTAMP NOT NULL)')
