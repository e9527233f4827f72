"""Add ticket.merged_into: a merged ticket points at the ticket it was merged into.

`postdesk ticket merge` and the agent command `#merge N` move a ticket's thread
into another; the merged ticket stays as a pointer so that mail to it (its
signed reply address, its Message-IDs, its `[#n]` tag) threads into the target.
"""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator

VERSION = 13


def apply(database: peewee.Database, migrator: SchemaMigrator) -> None:
    # A nullable column, no default: plain ALTER on both engines, no table rebuild.
    if "merged_into" not in {column.name for column in database.get_columns("ticket")}:
        database.execute_sql('ALTER TABLE "ticket" ADD COLUMN "merged_into" INTEGER')
