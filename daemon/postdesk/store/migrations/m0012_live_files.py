"""Add live_file and live_file_text: what each live file has in force, and its last good text.

A desk migrated from an older version has no last good version yet: the
first `postdesk serve` records the files it finds good at start.
"""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator

VERSION = 12


def apply(database: peewee.Database, migrator: SchemaMigrator) -> None:
    database.execute_sql(
        'CREATE TABLE IF NOT EXISTS "live_file" ('
        '"name" VARCHAR(255) NOT NULL PRIMARY KEY, '
        '"in_force" VARCHAR(16) NOT NULL, '
        '"summary" TEXT NOT NULL, '
        '"error" TEXT, '
        '"broken_since" TIMESTAMP, '
        '"good_sha256" VARCHAR(64), '
        '"validated_at" TIMESTAMP, '
        '"recorded_at" TIMESTAMP NOT NULL)')
    database.execute_sql(
        'CREATE TABLE IF NOT EXISTS "live_file_text" ('
        '"name" VARCHAR(255) NOT NULL, '
        '"position" INTEGER NOT NULL, '
        '"file" VARCHAR(255) NOT NULL, '
        '"text" TEXT NOT NULL, '
        '"sha256" VARCHAR(64) NOT NULL, '
        'PRIMARY KEY ("name", "position"))')
