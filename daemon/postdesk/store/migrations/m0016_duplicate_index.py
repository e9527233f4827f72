"""Add ticket_term, ticket_fingerprint and duplicate_term: duplicates caught at intake.

Tickets opened before this migration are not indexed: duplicate detection
sees the tickets opened from now on (it looks back a few days anyway).
"""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator

from postdesk.store.duplicate_index import MODELS

VERSION = 16


def apply(database: peewee.Database, migrator: SchemaMigrator) -> None:
    database.create_tables(MODELS, safe=True)
