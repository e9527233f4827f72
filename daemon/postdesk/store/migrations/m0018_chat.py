"""Chat (issue 20): inbound.channel and inbound.dedup_key (a chat event is stored once per
platform event id), and the chat_thread and chat_outbox tables."""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator

from postdesk.store.chat_store import MODELS

VERSION = 18


def apply(database: peewee.Database, migrator: SchemaMigrator) -> None:
    # Nullable columns, no default: plain ALTER on both engines, no table rebuild.
    present = {column.name for column in database.get_columns("inbound")}
    for name, kind in (("channel", "VARCHAR(16)"), ("dedup_key", "VARCHAR(500)")):
        if name not in present:
            database.execute_sql(f'ALTER TABLE "inbound" ADD COLUMN "{name}" {kind}')
    database.execute_sql('CREATE UNIQUE INDEX IF NOT EXISTS "inbound_dedup_key" '
                         'ON "inbound" ("dedup_key")')
    database.create_tables(MODELS, safe=True)
