"""Add imap_state: per [[imap]] source, the UIDVALIDITY and the last committed UID."""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator

from postdesk.store.models import ImapState

VERSION = 2


def apply(database: peewee.Database, migrator: SchemaMigrator) -> None:
    database.create_tables([ImapState], safe=True)
