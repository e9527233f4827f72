"""Pre-built SQL for the statements the worker runs for every mail.

peewee builds a statement's SQL from expression objects each time it runs,
which costs several times what SQLite then spends executing it (figures:
bench/README.md, "Figures behind choices in the code"). The worker runs a few
dozen statements per mail, most of them of one fixed shape (insert a row, read
a row by key, update a row by id). Here that SQL is built once per shape and
run with fresh parameters. Values are converted by the model's own fields
(`db_value` on the way in, `python_value` on the way out) and rows come back
as ordinary peewee model instances, so callers cannot tell the difference;
only the building is skipped. SQLite and PostgreSQL alike (their placeholders
and the way a new id comes back differ). A store module whose hot statement has
another shape writes its SQL itself, built once per shape as well (`prepared`,
`select_sql`, `fetch`: the chat store's, the inbound claim).

This reaches into peewee's internals: they are listed, and checked when a
process connects, in `postdesk.store.peewee_internals` (pyproject.toml pins the
peewee they were verified on), and tests/db/test_fastsql.py runs every
statement here against peewee's own on both databases.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import peewee

from postdesk.store.db import database

M = TypeVar("M", bound=peewee.Model)

_sql: dict[tuple[Any, ...], str] = {}


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _statement(key: tuple[Any, ...], build: Callable[[str], str]) -> str:
    """The SQL for one shape on the current database (built on first use)."""
    db = database.obj
    full = (type(db), *key)
    sql = _sql.get(full)
    if sql is None:
        sql = _sql[full] = build(db.param)
    return sql


def prepared(key: tuple[Any, ...], build: Callable[[str], str]) -> str:
    """The SQL of a statement of one shape that a store module writes itself, built by
    `build(placeholder)` on first use on the current database. `key` names the shape
    (a module's own name first, so two modules never share one)."""
    return _statement(("prepared", *key), build)


def select_sql(model: type[peewee.Model], condition: str) -> str:
    """SELECT every column of `model` (as `fetch` reads them) WHERE `condition`, which
    may go on with ORDER BY and LIMIT."""
    meta: Any = model._meta
    return (f"SELECT {', '.join(_quoted(f.column_name) for f in meta.sorted_fields)} "
            f"FROM {_quoted(meta.table_name)} WHERE {condition}")


def fetch(model: type[M], sql: str, params: Sequence[Any]) -> list[M]:
    """The rows of a `select_sql` statement, as model instances; `params` already in their
    database form (`Field.db_value`)."""
    fields = model._meta.sorted_fields
    cursor = database.execute_sql(sql, list(params))
    return [_instance(model, fields, row) for row in cursor.fetchall()]


def create(model: type[M], **values: Any) -> M:
    """`model.create(**values)`: defaults applied and the new id set, as peewee does."""
    instance = _insert(model, values, conflict="")
    assert instance is not None
    return instance


def create_if_absent(model: type[M], **values: Any) -> M | None:
    """`create(**values)` unless the row collides with a unique one: then nothing is
    written and None comes back (INSERT ... ON CONFLICT DO NOTHING)."""
    return _insert(model, values, conflict=" ON CONFLICT DO NOTHING")


def _insert(model: type[M], values: dict[str, Any], conflict: str) -> M | None:
    instance: Any = model(**values)
    data = instance.__data__
    meta: Any = model._meta
    pk = meta.primary_key
    db = database.obj
    key = (type(db), model, tuple(values), conflict, data.get(pk.name) is None)
    shape = _insert_shapes.get(key)
    if shape is None:  # the columns a call of this form sets, and its SQL
        fields = [f for f in meta.sorted_fields
                  if f.name in data and not (f is pk and data[f.name] is None)]
        names = {f.name for f in fields}  # (Field == Field builds SQL: compare names)
        returning = bool(db.returning_clause) and pk.name not in names
        sql = (f"INSERT INTO {_quoted(meta.table_name)} "
               f"({', '.join(_quoted(f.column_name) for f in fields)}) "
               f"VALUES ({', '.join(db.param for _ in fields)}){conflict}")
        if returning:
            sql += f" RETURNING {_quoted(pk.column_name)}"
        shape = _insert_shapes[key] = (fields, returning, pk.name in names, sql)
    fields, returning, pk_given, sql = shape
    cursor = database.execute_sql(sql, [f.db_value(data[f.name]) for f in fields])
    if returning:
        row = cursor.fetchone()
        if row is None:  # the conflict: nothing inserted
            return None
        data[pk.name] = pk.python_value(row[0])
    elif conflict and cursor.rowcount == 0:
        return None
    elif not pk_given:
        data[pk.name] = pk.python_value(cursor.lastrowid)
    instance._dirty.clear()
    return instance


_insert_shapes: dict[tuple[Any, ...], tuple[list[peewee.Field], bool, bool, str]] = {}


def insert_rows(model: type[peewee.Model], fields: Sequence[peewee.Field],
                rows: Sequence[Sequence[Any]]) -> None:
    """INSERT several rows with one statement; each row holds the database values of
    `fields`, in that order. Ids are given in the order of `rows`."""
    if not rows:
        return
    meta: Any = model._meta

    def build(param: str) -> str:
        one = f"({', '.join([param] * len(fields))})"
        return (f"INSERT INTO {_quoted(meta.table_name)} "
                f"({', '.join(_quoted(f.column_name) for f in fields)}) "
                f"VALUES {', '.join([one] * len(rows))}")

    sql = _statement(("insert-rows", model, tuple(f.name for f in fields), len(rows)), build)
    database.execute_sql(sql, [value for row in rows for value in row])


def insert_if_absent(model: type[peewee.Model], **values: Any) -> int:
    """INSERT a row unless it collides with a unique one (`insert(...).on_conflict_ignore()`);
    returns 1 when inserted, 0 when the row was there. `values` name every column set."""
    meta: Any = model._meta
    fields = [meta.fields[name] for name in values]

    def build(param: str) -> str:
        return (f"INSERT INTO {_quoted(meta.table_name)} "
                f"({', '.join(_quoted(f.column_name) for f in fields)}) "
                f"VALUES ({', '.join(param for _ in fields)}) ON CONFLICT DO NOTHING")

    sql = _statement(("insert-if-absent", model, tuple(values)), build)
    return int(database.execute_sql(sql, [f.db_value(v) for f, v in
                                          zip(fields, values.values(), strict=True)]).rowcount)


def _select(meta: Any, fields: list[peewee.Field], field: peewee.Field, condition: str,
            lock: bool) -> str:
    """SELECT every column of `fields` where `field` meets `condition` (FOR UPDATE: `lock`)."""
    return (f"SELECT {', '.join(_quoted(f.column_name) for f in fields)} "
            f"FROM {_quoted(meta.table_name)} WHERE {_quoted(field.column_name)} {condition}"
            + (" FOR UPDATE" if lock else ""))


def get_by(model: type[M], field: peewee.Field, value: Any, *,
           lock: bool = False) -> M | None:
    """The first row whose `field` equals `value` (by id: the row), or None; `lock`:
    locked until the transaction ends (PostgreSQL; SQLite has one writer anyway)."""
    meta: Any = model._meta
    fields = meta.sorted_fields
    lock = lock and isinstance(database.obj, peewee.PostgresqlDatabase)

    def build(param: str) -> str:
        return _select(meta, fields, field, f"= {param} LIMIT 1", lock)

    sql = _statement(("get", model, field.name, lock), build)
    row = database.execute_sql(sql, [field.db_value(value)]).fetchone()
    return None if row is None else _instance(model, fields, row)


def exists(model: type[peewee.Model], field: peewee.Field, value: Any) -> bool:
    """Whether a row's `field` equals `value` (no columns read, nothing converted)."""
    meta: Any = model._meta

    def build(param: str) -> str:
        return (f"SELECT 1 FROM {_quoted(meta.table_name)} "
                f"WHERE {_quoted(field.column_name)} = {param} LIMIT 1")

    sql = _statement(("exists", model, field.name), build)
    return database.execute_sql(sql, [field.db_value(value)]).fetchone() is not None


def rows_by(model: type[M], field: peewee.Field, values: Iterable[Any], *,
            lock: bool = False) -> list[M]:
    """The rows whose `field` is one of `values` (in no particular order), read with one
    statement; `lock` as for `get_by`."""
    wanted = list(dict.fromkeys(values))
    if not wanted:
        return []
    meta: Any = model._meta
    fields = meta.sorted_fields
    lock = lock and isinstance(database.obj, peewee.PostgresqlDatabase)

    def build(param: str) -> str:
        return _select(meta, fields, field, f"IN ({', '.join([param] * len(wanted))})", lock)

    sql = _statement(("rows", model, field.name, len(wanted), lock), build)
    cursor = database.execute_sql(sql, [field.db_value(v) for v in wanted])
    return [_instance(model, fields, row) for row in cursor.fetchall()]


def _instance(model: type[M], fields: list[peewee.Field], row: Any) -> M:
    """A model instance from a row of `fields`, as peewee's own select would give it
    (its field setters, on a new instance, only store the value and mark it dirty)."""
    instance: Any = model(__no_default__=1)
    instance.__data__.update({f.name: (None if v is None else f.python_value(v))
                              for f, v in zip(fields, row, strict=True)})
    return instance


def save_fields(instance: Any, fields: Iterable[peewee.Field]) -> int:
    """`instance.save(only=fields)` for a row that exists: one UPDATE by primary key."""
    model = type(instance)
    meta: Any = model._meta
    pk = meta.primary_key
    chosen = tuple(fields)

    def build(param: str) -> str:
        assignments = ", ".join(f"{_quoted(f.column_name)} = {param}" for f in chosen)
        return (f"UPDATE {_quoted(meta.table_name)} SET {assignments} "
                f"WHERE {_quoted(pk.column_name)} = {param}")

    sql = _statement(("save", model, tuple(f.name for f in chosen)), build)
    data = instance.__data__
    params = [f.db_value(data.get(f.name)) for f in chosen]
    params.append(pk.db_value(data[pk.name]))
    cursor = database.execute_sql(sql, params)
    for f in chosen:
        instance._dirty.discard(f.name)
    return int(cursor.rowcount)


def related(instance: peewee.Model, field: peewee.ForeignKeyField) -> Any:
    """`instance.<field>` (the row a foreign key points at), read once and kept."""
    cached = instance.__rel__.get(field.name)
    if cached is not None:
        return cached
    value = instance.__data__.get(field.name)
    if value is None:
        return None
    row = get_by(field.rel_model, field.rel_field, value)
    if row is None:
        return getattr(instance, field.name)  # peewee's own error for a dangling key
    instance.__rel__[field.name] = row
    return row


def known_related(instance: peewee.Model, field: peewee.ForeignKeyField,
                  row: peewee.Model | None) -> None:
    """Tell `related` that `instance.<field>` is `row`, read already (when it is)."""
    if row is not None and instance.__data__.get(field.name) == getattr(
            row, field.rel_field.name):
        instance.__rel__[field.name] = row


def prime_related(instances: Iterable[peewee.Model], field: peewee.ForeignKeyField) -> None:
    """Read, with one statement, the rows `field` points at for every instance that has
    not read its row yet, so that `related` has them."""
    missing = [i for i in instances
               if i.__rel__.get(field.name) is None and i.__data__.get(field.name) is not None]
    if len(missing) < 2:
        return  # `related` reads a single row just as well
    key = field.rel_field.name
    rows = {getattr(row, key): row for row in
            rows_by(field.rel_model, field.rel_field, [i.__data__[field.name] for i in missing])}
    for instance in missing:
        row = rows.get(instance.__data__[field.name])
        if row is not None:
            instance.__rel__[field.name] = row


def update_by_id(model: type[peewee.Model], row_id: int, *, only_if: dict[str, Any] | None = None,
                 increment: str | None = None, **values: Any) -> int:
    """UPDATE one row by id, setting `values`, adding 1 to the `increment` column, when
    the columns named in `only_if` hold those values (the claim pattern); returns the
    number of rows changed (0 or 1)."""
    meta: Any = model._meta
    fields = meta.fields
    setting = tuple(values)
    guards = tuple(only_if or ())

    def build(param: str) -> str:
        assignments = [f"{_quoted(fields[n].column_name)} = {param}" for n in setting]
        if increment is not None:
            column = _quoted(fields[increment].column_name)
            assignments.append(f"{column} = {column} + 1")
        conditions = [f"{_quoted(meta.primary_key.column_name)} = {param}",
                      *(f"{_quoted(fields[n].column_name)} = {param}" for n in guards)]
        return (f"UPDATE {_quoted(meta.table_name)} SET {', '.join(assignments)} "
                f"WHERE {' AND '.join(conditions)}")

    sql = _statement(("update", model, setting, guards, increment), build)
    params = [fields[n].db_value(v) for n, v in values.items()]
    params.append(meta.primary_key.db_value(row_id))
    params += [fields[n].db_value(v) for n, v in (only_if or {}).items()]
    return int(database.execute_sql(sql, params).rowcount)


def placeholders(count: int) -> str:
    """'?, ?, ?' (or '%s, ...'): the parameter list of an IN (...) of `count` values."""
    return ", ".join([database.obj.param] * count)
