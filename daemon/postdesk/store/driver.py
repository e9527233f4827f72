"""peewee with only the database driver the desk uses, for a process that serves one desk.

peewee imports every driver it can find when it is itself first imported, and
psycopg (with libpq) takes longer to import than all the rest of a CLI command on
an SQLite desk. `load_peewee(url)`, called before anything imports the store (the
CLI calls it once it has read the desk's settings), imports peewee for that URL:
for an SQLite desk psycopg is hidden from it, so peewee takes it for absent. The
process can then open no PostgreSQL database (`store.db.open_database` says so),
which it has no reason to: a command opens only its desk's.
"""

from __future__ import annotations

import importlib
import sys

#: The drivers peewee looks for that an SQLite desk never uses.
_SERVER_DRIVERS = ("psycopg", "psycopg2", "psycopg2cffi", "pymysql")


def load_peewee(url: str) -> None:
    """Import peewee for a database URL (nothing to do once peewee is imported)."""
    if "peewee" in sys.modules or not url.startswith("sqlite:"):
        return
    hidden = {name: sys.modules.get(name) for name in _SERVER_DRIVERS}
    try:
        for name in _SERVER_DRIVERS:
            sys.modules[name] = None  # type: ignore[assignment]  # makes `import name` fail
        importlib.import_module("peewee")
    finally:
        for name, module in hidden.items():
            if module is None:
                del sys.modules[name]
            else:
                sys.modules[name] = module


def server_drivers_absent() -> bool:
    """Was peewee imported without any server driver (`load_peewee` for an SQLite desk, or
    none installed)? Such a process can open no PostgreSQL database."""
    peewee = sys.modules.get("peewee")
    return peewee is not None and all(getattr(peewee, name, None) is None
                                      for name in ("psycopg", "psycopg2"))
