"""Add inbound.processed_by (the node that processed a mail, for the per-node processing
histogram) and outbox.last_error_at (when the relay last refused or deferred it, for the
last relay error metric), indexed: a scrape reads the newest one; and index
inbound.processed_at, whose MAX() a scrape reads (the last processed mail: a scan of the
whole table without it, 84 ms at 200,000 mails)."""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator

VERSION = 15

_COLUMNS = {
    ("inbound", "processed_by"): "VARCHAR(200)",
    ("outbox", "last_error_at"): "TIMESTAMP",
}


def apply(database: peewee.Database, migrator: SchemaMigrator) -> None:
    # Nullable columns, no default: plain ALTER on both engines, no table rebuild.
    for (table, name), kind in _COLUMNS.items():
        present = {column.name for column in database.get_columns(table)}
        if name not in present:
            database.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN "{name}" {kind}')
    database.execute_sql('CREATE INDEX IF NOT EXISTS "outbox_last_error_at" '
                         'ON "outbox" ("last_error_at")')
    database.execute_sql('CREATE INDEX IF NOT EXISTS "inbound_processed_at" '
                         'ON "inbound" ("processed_at")')
