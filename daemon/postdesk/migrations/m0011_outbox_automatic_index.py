"""Add the partial index of automatic outbox rows that the desk-wide rate limit counts."""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator

from postdesk.models import AUTOMATIC_OUTBOX_INDEX

VERSION = 11


def apply(database: peewee.Database, migrator: SchemaMigrator) -> None:
    # An index only: plain DDL on both engines, no table rebuild.
    database.execute_sql(AUTOMATIC_OUTBOX_INDEX)
