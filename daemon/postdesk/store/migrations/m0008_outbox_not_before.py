"""Add outbox.not_before: a notification held until the recipient's business hours."""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator

VERSION = 8


def apply(database: peewee.Database, migrator: SchemaMigrator) -> None:
    # A nullable column, no default: plain ALTER on both engines, no table rebuild.
    if "not_before" not in {column.name for column in database.get_columns("outbox")}:
        database.execute_sql('ALTER TABLE "outbox" ADD COLUMN "not_before" TIMESTAMP')
