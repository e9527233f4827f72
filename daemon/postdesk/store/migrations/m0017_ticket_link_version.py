"""Add ticket.link_version: the version signed links to the ticket's page carry.

`postdesk ticket revoke-links ID` bumps it, so every link handed out before is
refused (postdesk.mail.page_token).
"""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator

VERSION = 17


def apply(database: peewee.Database, migrator: SchemaMigrator) -> None:
    # A column with a constant default: plain ALTER on both engines, no table rebuild.
    if "link_version" not in {column.name for column in database.get_columns("ticket")}:
        database.execute_sql(
            'ALTER TABLE "ticket" ADD COLUMN "link_version" INTEGER NOT NULL DEFAULT 0')
