"""Postdesk refuses to run its pre-built SQL on a peewee whose internals it was not verified on."""

from __future__ import annotations

import tomllib
import types
from pathlib import Path

import peewee
import pytest

from postdesk.store import db
from postdesk.store import peewee_internals as internals
from postdesk.store.peewee_internals import (
    REQUIREMENT,
    PeeweeMismatch,
    check_peewee,
    missing_internals,
)

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_the_installed_peewee_is_a_verified_one_with_every_internal_we_use() -> None:
    check_peewee()
    assert missing_internals(peewee) == []


def test_the_pin_of_pyproject_is_the_one_the_error_asks_for() -> None:
    dependencies = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["dependencies"]
    assert REQUIREMENT in dependencies


def test_another_series_is_refused_with_what_to_install() -> None:
    with pytest.raises(PeeweeMismatch) as error:
        check_peewee("4.6.0")
    message = str(error.value)
    assert "peewee 4.6.0 is installed" in message and "only 4.5.x is verified" in message
    assert f"pip install '{REQUIREMENT}'" in message
    check_peewee("4.5.9")  # a patch release of the verified series is taken


def test_missing_internals_are_named() -> None:
    class Model(peewee.Model):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            del self.__rel__  # a peewee that no longer caches related rows there

        def save(self, only: object = None, force_insert: bool = False) -> int:  # type: ignore[override]
            return 0

    fake = types.SimpleNamespace(**{name: getattr(peewee, name) for name in (
        "CharField", "ForeignKeyField", "Database", "SqliteDatabase", "PostgresqlDatabase",
        "DatabaseProxy")})
    fake.Model = Model
    assert missing_internals(fake) == ["Model().__rel__ (the related rows read)",
                                       "Model.save(force_insert, only)"]
    assert missing_internals(types.SimpleNamespace())[:2] == ["peewee.Model", "peewee.CharField"]


def test_a_changed_placeholder_is_named() -> None:
    class Sqlite(peewee.SqliteDatabase):
        param = "%s"

    fake = types.SimpleNamespace(**{name: getattr(peewee, name) for name in (
        "Model", "CharField", "ForeignKeyField", "Database", "PostgresqlDatabase",
        "DatabaseProxy")})
    fake.SqliteDatabase = Sqlite
    assert missing_internals(fake) == ["Database.param ('?' for SQLite, '%s' for PostgreSQL)"]


def test_a_process_stops_when_it_connects(monkeypatch: pytest.MonkeyPatch,
                                          tmp_path: Path) -> None:
    monkeypatch.setattr(internals, "_verified", False)
    monkeypatch.setattr(internals.importlib.metadata, "version", lambda name: "5.0.1")
    with pytest.raises(PeeweeMismatch, match=r"peewee 5\.0\.1 is installed"):
        db.connect(f"sqlite:///{tmp_path / 'postdesk.db'}")


def test_a_peewee_that_keeps_connection_contexts_elsewhere_is_refused() -> None:
    """release_memory() closes a thread's SQLite connection unless the thread is inside a
    connection_context(), which it learns from Database._state.ctx: a peewee that keeps
    them elsewhere would have it close a connection under a running context."""

    class Contexts:
        def __init__(self, db: peewee.Database) -> None:
            self.db = db

        def __enter__(self) -> None:
            self.db.connect(reuse_if_open=True)

        def __exit__(self, *exc: object) -> None:
            self.db.close()

    class ElsewhereDatabase(peewee.SqliteDatabase):
        def connection_context(self) -> Contexts:  # type: ignore[override]
            return Contexts(self)

    fake = types.SimpleNamespace(**{name: getattr(peewee, name) for name in (
        "Model", "CharField", "ForeignKeyField", "Database", "PostgresqlDatabase",
        "DatabaseProxy")})
    fake.SqliteDatabase = ElsewhereDatabase
    assert missing_internals(fake) == [
        "Database._state.ctx (the thread's open connection contexts)"]
