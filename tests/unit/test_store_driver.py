"""peewee loaded for an SQLite desk leaves psycopg out; a PostgreSQL desk gets it. Each
case in a fresh interpreter, since peewee looks for its drivers once per process."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from postdesk.store.driver import load_peewee
load_peewee(sys.argv[1])
import peewee
from postdesk.errors import ConfigError
from postdesk.store import db
print("psycopg loaded:", "psycopg" in sys.modules)
try:
    db.open_database("postgresql://postdesk@127.0.0.1/postdesk")
    print("postgresql: ready")
except ConfigError as exc:
    print("postgresql:", exc)
import psycopg  # anyone else may still import it
"""


def probe(url: str) -> str:
    done = subprocess.run([sys.executable, "-c", PROBE, url], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.decode()


def test_an_sqlite_desk_loads_no_postgresql_driver() -> None:
    said = probe("sqlite:////tmp/desk/var/postdesk.db")
    assert "psycopg loaded: False" in said
    assert "postgresql: [database] url 'postgresql://postdesk@127.0.0.1/postdesk': psycopg " \
           "is not available in this process" in said


def test_a_postgresql_desk_gets_its_driver() -> None:
    said = probe("postgresql://postdesk@127.0.0.1/postdesk")
    assert "psycopg loaded: True" in said and "postgresql: ready" in said
