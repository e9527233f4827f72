"""Add inbound.working_until (a worker's claim on a mail it is working on) and the
dismissal of a failed mail (dismissed_at, dismissed_by, dismiss_reason)."""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator

VERSION = 14

_COLUMNS = {
    "working_until": "TIMESTAMP",
    "dismissed_at": "TIMESTAMP",
    "dismissed_by": "VARCHAR(320)",
    "dismiss_reason": "TEXT",
}


def apply(database: peewee.Database, migrator: SchemaMigrator) -> None:
    # Nullable columns, no default: plain ALTER on both engines, no table rebuild.
    present = {column.name for column in database.get_columns("inbound")}
    for name, kind in _COLUMNS.items():
        if name not in present:
            database.execute_sql(f'ALTER TABLE "inbound" ADD COLUMN "{name}" {kind}')
