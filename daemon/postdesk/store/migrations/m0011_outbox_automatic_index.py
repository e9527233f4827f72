"""Index outbox rows for both counts of the automatic-mail rate limit.

Desk-wide, by (automatic, created_at): the count of the window reads the
index alone instead of every recent row. Per address, by (recipient,
automatic, created_at), replacing (recipient, created_at): with both indexes
the planner could take the desk-wide one for a per-address count and read
the whole window; the longer index matches every term of that count.
"""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator

VERSION = 11


def apply(database: peewee.Database, migrator: SchemaMigrator) -> None:
    database.execute_sql('DROP INDEX IF EXISTS "outbox_recipient_created"')
    database.execute_sql('CREATE INDEX IF NOT EXISTS "outbox_recipient_automatic_created" '
                         'ON "outbox" ("recipient", "automatic", "created_at")')
    database.execute_sql('CREATE INDEX IF NOT EXISTS "outbox_automatic_created" '
                         'ON "outbox" ("automatic", "created_at")')
