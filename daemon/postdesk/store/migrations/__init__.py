"""Numbered schema migrations, applied at start and by `postdesk migrate`.

A new database is created from the current models and stamped with the
newest number (plus what models do not describe: the SQLite index of ticket
subjects, `postdesk.store.subject_index`). An existing one gets, in
order, every migration module `mNNNN_<what>.py` above its recorded number;
each has `VERSION` and `apply(database, migrator)`. SQLite table rebuilds
(which drop the ticket table's triggers: call `subject_index.install` and
`ticket_figures.install` after one) must run inside
`migrator.database`'s `migration_context()` (peewee), or foreign keys
cascade-delete child rows.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType
from typing import TYPE_CHECKING

import peewee

from postdesk.store import kb_index, subject_index, ticket_figures
from postdesk.store.models import SchemaVersion
from postdesk.store.schema import MODELS

if TYPE_CHECKING:
    from playhouse.migrate import SchemaMigrator

#: PostgreSQL advisory lock key so that two nodes starting together migrate once.
_PG_LOCK_KEY = 0x706F7374  # "post"


def _migration_names() -> list[str]:
    """The migration modules' names, `mNNNN_<what>`, without importing them."""
    return [info.name for info in pkgutil.iter_modules(__path__)
            if info.name.startswith("m") and info.name[1:5].isdigit()]


def _migration_modules() -> list[ModuleType]:
    modules = [importlib.import_module(f"{__name__}.{name}") for name in _migration_names()]
    return sorted(modules, key=lambda module: module.VERSION)


def head_version() -> int:
    """The newest schema version, from the modules' names (each one's `VERSION` is the
    number in its name): a database already there is checked without importing them."""
    return max((int(name[1:5]) for name in _migration_names()), default=1)


def current_version(db: peewee.Database) -> int | None:
    if not db.table_exists(SchemaVersion._meta.table_name):
        return None
    row = SchemaVersion.select(peewee.fn.MAX(SchemaVersion.version)).scalar()
    return int(row) if row is not None else None


def _migrator(db: peewee.Database) -> SchemaMigrator:
    from playhouse.migrate import PostgresqlMigrator, SqliteMigrator

    if isinstance(db, peewee.PostgresqlDatabase):
        return PostgresqlMigrator(db)
    return SqliteMigrator(db)


def migrate(db: peewee.Database) -> tuple[int | None, int]:
    """Bring the schema to the newest version; return (before, after)."""
    with db.atomic():
        if isinstance(db, peewee.PostgresqlDatabase):
            db.execute_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK_KEY})")
        before = current_version(db)
        if before is None:
            db.create_tables(MODELS, safe=True)
            subject_index.install(db)  # SQLite: the subject search index and its triggers
            kb_index.install(db)  # the knowledge base's full-text table
            ticket_figures.install(db)  # the reports' indexes and the triggers keeping them
            head = head_version()
            SchemaVersion.create(version=head)
            return None, head
        version = before
        if version >= head_version():
            return before, version
        for module in _migration_modules():
            if version < module.VERSION:
                module.apply(db, _migrator(db))
                SchemaVersion.create(version=module.VERSION)
                version = module.VERSION
        return before, version
