"""The peewee internals the pre-built SQL relies on, and the check that they are there.

`postdesk.store.fastsql` skips peewee's building of SQL for the statements run
for every mail, and `postdesk.store.models.BaseModel.save` hands the update of a
stored row to it. Both reach past peewee's public API:

* a model's metadata: `_meta.primary_key`, `sorted_fields`, `fields`,
  `table_name`, `composite_key`, `only_save_dirty`;
* its fields: `name`, `column_name`, `db_value`, `python_value`, and a foreign
  key's `rel_model` and `rel_field`;
* an instance's state: `__data__` (its values), `_dirty` (the names changed),
  `__rel__` (the related rows read), `_pk`, `_populate_unsaved_relations()`,
  and `Model(__no_default__=1)`, an instance without the defaults filled in;
* a database's placeholder (`param`) and `returning_clause`, and the proxy's `obj`;
* the list of the thread's open `connection_context()`s, `Database._state.ctx`, which
  `postdesk.store.db.release_memory` reads to know whether it may close a connection.

They were verified on peewee 4.5 (pyproject.toml pins it). `check_peewee()` runs
when a process connects to the database (`postdesk.store.db.connect`): with
another peewee, or with one of these gone or behaving otherwise, the process
stops with a clear error instead of running SQL built on wrong assumptions.
"""

from __future__ import annotations

import importlib.metadata
import inspect
from typing import Any

import peewee

from postdesk.errors import PostdeskError

#: The peewee release series whose internals fastsql was verified on (4.5.3, with the
#: tests of tests/db on SQLite and PostgreSQL); a series' patch releases keep them, and
#: the check below looks at the internals themselves anyway.
VERIFIED_SERIES = ("4.5",)
#: What pyproject.toml asks for (tests/unit/test_peewee_internals.py keeps them equal).
REQUIREMENT = "peewee>=4.5.3,<4.6"

_META = ("primary_key", "sorted_fields", "fields", "table_name", "composite_key",
         "only_save_dirty")
_FIELD = ("name", "column_name", "db_value", "python_value")
_MODULE = ("Model", "CharField", "ForeignKeyField", "Database", "SqliteDatabase",
           "PostgresqlDatabase", "DatabaseProxy")

_verified = False  # per process: the check passed once


class PeeweeMismatch(PostdeskError):
    """The installed peewee is not one whose internals the pre-built SQL was verified on."""


def check_peewee(version: str | None = None) -> None:
    """Raise PeeweeMismatch unless peewee is of a verified series with our internals
    (the installed one is checked once per process)."""
    global _verified
    if _verified and version is None:
        return
    installed = version or importlib.metadata.version("peewee")
    fix = (f"install a verified one: pip install '{REQUIREMENT}' (Postdesk's pre-built SQL "
           "uses its internals; see postdesk.store.peewee_internals)")
    if ".".join(installed.split(".")[:2]) not in VERIFIED_SERIES:
        raise PeeweeMismatch(f"database: peewee {installed} is installed, but only "
                             f"{', '.join(s + '.x' for s in VERIFIED_SERIES)} is verified; {fix}")
    missing = missing_internals(peewee)
    if missing:
        raise PeeweeMismatch(f"database: peewee {installed} lacks internals Postdesk needs "
                             f"({', '.join(missing)}); {fix}")
    if version is None:
        _verified = True


def missing_internals(module: Any) -> list[str]:
    """What of the peewee internals fastsql relies on `module` lacks or does otherwise."""
    missing = [f"peewee.{name}" for name in _MODULE if not hasattr(module, name)]
    if missing:
        return missing
    try:
        probe = _probe_model(module)
    except Exception as exc:  # a model class can no longer be made the way we make one
        return [f"peewee.Model subclass ({exc})"]
    meta: Any = getattr(probe, "_meta", None)
    missing += [f"Model._meta.{name}" for name in _META if not hasattr(meta, name)]
    if missing:
        return missing
    parent = meta.fields["parent"]
    missing += [f"Field.{name}" for name in _FIELD if not hasattr(parent, name)]
    if getattr(parent, "rel_model", None) is not probe \
            or getattr(parent, "rel_field", None) is not meta.primary_key:
        missing.append("ForeignKeyField.rel_model/rel_field")
    if getattr(parent, "column_name", None) != "parent_id":
        missing.append("ForeignKeyField.column_name ('<name>_id')")
    missing += _instance_state(probe)
    missing += _database_internals(module)
    if list(inspect.signature(module.Model.save).parameters)[1:3] != ["force_insert", "only"]:
        missing.append("Model.save(force_insert, only)")
    return missing


def _probe_model(module: Any) -> Any:
    """A model like ours (a default, a foreign key), bound to no database."""

    class Meta:
        table_name = "postdesk_probe"

    attributes = {"name": module.CharField(default="default"),
                  "parent": module.ForeignKeyField("self", null=True), "Meta": Meta,
                  "__module__": __name__}
    return type("Probe", (module.Model,), attributes)


def _instance_state(probe: Any) -> list[str]:
    """What fastsql reads and writes on instances, and how a new one starts."""
    missing = []
    bare = probe(__no_default__=1)
    if getattr(bare, "__data__", None) != {}:
        missing.append("Model(__no_default__=1) (an instance without defaults)")
    row = probe()
    data = getattr(row, "__data__", None)
    if not isinstance(data, dict) or data.get("name") != "default":
        missing.append("Model().__data__ (the values, defaults filled in)")
    row.name = "changed"
    if not isinstance(getattr(row, "_dirty", None), set) or "name" not in row._dirty:
        missing.append("Model()._dirty (the names of changed fields)")
    if not isinstance(getattr(row, "__rel__", None), dict):
        missing.append("Model().__rel__ (the related rows read)")
    if not hasattr(row, "_pk"):
        missing.append("Model()._pk")
    if not callable(getattr(row, "_populate_unsaved_relations", None)):
        missing.append("Model()._populate_unsaved_relations")
    return missing


def _database_internals(module: Any) -> list[str]:
    missing = []
    if getattr(module.SqliteDatabase, "param", None) != "?" \
            or getattr(module.PostgresqlDatabase, "param", None) != "%s":
        missing.append("Database.param ('?' for SQLite, '%s' for PostgreSQL)")
    if not hasattr(module.Database, "returning_clause"):
        missing.append("Database.returning_clause")
    proxy = module.DatabaseProxy()
    if not hasattr(proxy, "obj") or not callable(getattr(proxy, "initialize", None)):
        missing.append("DatabaseProxy.obj/initialize")
    if not _tracks_connection_contexts(module):
        missing.append("Database._state.ctx (the thread's open connection contexts)")
    return missing


def open_connection_contexts(db: Any) -> Any:
    """The thread's open `connection_context()`s of `db` (verified by `check_peewee`)."""
    return getattr(getattr(db, "_state", None), "ctx", None)


def _tracks_connection_contexts(module: Any) -> bool:
    """Whether a database lists the thread's open `connection_context()`s where
    `release_memory` looks: one inside a context, none after it."""
    db = module.SqliteDatabase(":memory:")
    try:
        with db.connection_context():
            inside = open_connection_contexts(db)
            inside = list(inside) if isinstance(inside, list) else None
        after = open_connection_contexts(db)
    except Exception:
        return False
    finally:
        db.close()
    return inside is not None and len(inside) == 1 and after == []
