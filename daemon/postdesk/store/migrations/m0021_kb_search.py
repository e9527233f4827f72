"""Add kb_search: the knowledge base's index in the database (SQLite FTS5, PostgreSQL
tsvector + GIN), filled from `kb/` by the process that polls the live files."""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator

from postdesk.store import kb_index

VERSION = 21


def apply(database: peewee.Database, migrator: SchemaMigrator) -> None:
    kb_index.install(database)
