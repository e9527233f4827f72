"""Numbered schema migrations, applied at start and by `postdesk migrate`.

A new database is created from the current models and stamped with the
newest number (plus what models do not describe: the SQLite index of ticket
subjects, `postdesk.store.subject_index`). An existing one gets, in
order, every migration module `mNNNN_<what>.py` above its recorded number;
each has `VERSION` and `apply(database, migrator)`. SQLite table rebuilds
(which drop the ticket table's triggers: call `subject_index.install` after
one) must run inside
`migrator.database`'s `migration_context()` (peewee), or foreign keys
cascade-delete child rows.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import peewee
from playhouse.migrate import PostgresqlMigrator, SchemaMigrator, SqliteMigrator

from postdesk.store import subject_index
from postdesk.store.models import SchemaVersion
from postdesk.store.schema import MODELS

#: PostgreSQL advisory lock key so that two nodes starting together migrate once.
_PG_LOCK_KEY = 0x706F7374  # "post"


def _migration_modules() -> list[ModuleType]:
    modules = [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in pkgutil.iter_modules(__path__)
        if info.name.startswith("m") and info.name[1:5].isdigit()
    ]
    return sorted(modules, key=lambda module: module.VERSION)


def head_version() -> int:
    modules = _migration_modules()
    return modules[-1].VERSION if modules else 1


def current_version(db: peewee.Database) -> int | None:
    if not db.table_exists(SchemaVersion._meta.table_name):
        return None
    row = SchemaVersion.select(peewee.fn.MAX(SchemaVersion.version)).scalar()
    return int(row) if row is not None else None


def _migrator(db: peewee.Database) -> SchemaMigrator:
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
            head = head_version()
            SchemaVersion.create(version=head)
            return None, head
        version = before
        for module in _migration_modules():
            if version < module.VERSION:
                module.apply(db, _migrator(db))
                SchemaVersion.create(version=module.VERSION)
                version = module.VERSION
        return before, version
