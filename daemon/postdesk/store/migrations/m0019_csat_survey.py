"""Add csat_survey: the satisfaction surveys asked after resolutions and their ratings
(postdesk.store.csat_store)."""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator

from postdesk.store.csat_store import MODELS

VERSION = 19


def apply(database: peewee.Database, migrator: SchemaMigrator) -> None:
    database.create_tables(MODELS, safe=True)
