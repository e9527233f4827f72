"""A substring index of ticket subjects on SQLite, so that `subject_contains` queues do
not read every ticket's subject.

An FTS5 table with the `trigram` tokenizer (SQLite >= 3.34) holds each ticket's
subject, kept in step with `ticket.subject` by triggers on INSERT, UPDATE OF
subject and DELETE; it is an external-content table, so the text itself is
not stored twice. A phrase query for a needle of three or more characters
finds the tickets whose subject contains it, case-folded per Unicode letter
(Latin, Cyrillic, Greek...). The index only narrows: `postdesk.store.queue_sql`
still applies its exact test to the rows it finds, so results are those of a
full scan. Created for new databases and by migration 10; where SQLite lacks
the trigram tokenizer the desk logs a warning and queues scan as before.
PostgreSQL needs none of this: ILIKE over its statistics-planned query is fast.
"""

from __future__ import annotations

import logging

import peewee

log = logging.getLogger(__name__)

TABLE = "ticket_subject_search"
#: a trigram phrase needs three characters; shorter needles scan
MIN_NEEDLE = 3

_CREATE = (
    f'CREATE VIRTUAL TABLE IF NOT EXISTS "{TABLE}" USING fts5('
    "subject, content='ticket', content_rowid='id', tokenize='trigram')")
_REMOVE_OLD = (f'INSERT INTO "{TABLE}" ("{TABLE}", rowid, subject) '
               "VALUES ('delete', old.id, old.subject);")
_ADD_NEW = f'INSERT INTO "{TABLE}" (rowid, subject) VALUES (new.id, new.subject);'
_TRIGGERS = {
    "ticket_subject_search_insert": f"AFTER INSERT ON ticket BEGIN {_ADD_NEW} END",
    "ticket_subject_search_delete": f"AFTER DELETE ON ticket BEGIN {_REMOVE_OLD} END",
    "ticket_subject_search_update": (f"AFTER UPDATE OF subject ON ticket BEGIN "
                                     f"{_REMOVE_OLD} {_ADD_NEW} END"),
}


def install(database: peewee.Database, *, backfill: bool = False) -> bool:
    """Create the index and its triggers (SQLite only; idempotent); `backfill` indexes
    the tickets already there. False when this SQLite cannot build it."""
    if not isinstance(database, peewee.SqliteDatabase):
        return False
    try:
        with database.atomic():
            database.execute_sql(_CREATE)
            for name, body in _TRIGGERS.items():
                database.execute_sql(f'CREATE TRIGGER IF NOT EXISTS "{name}" {body}')
            if backfill:
                _command(database, "rebuild")
                merge(database)
    except peewee.OperationalError as error:  # no FTS5, or no trigram tokenizer
        log.warning("subject search index not created (%s): subject_contains queues "
                    "will scan every ticket's subject", error)
        return False
    return True


def merge(database: peewee.Database) -> None:
    """Merge the index into one segment. A bulk fill leaves large segments that FTS5
    would otherwise keep merging into on each new ticket (figures: bench/README.md,
    "Figures behind choices in the code")."""
    _command(database, "optimize")


def _command(database: peewee.Database, command: str) -> None:
    database.execute_sql(f'INSERT INTO "{TABLE}" ("{TABLE}") VALUES (\'{command}\')')


def usable(database: peewee.Database) -> bool:
    """Whether this database has the index with all its triggers (a cheap catalogue read)."""
    if not isinstance(database, peewee.SqliteDatabase):
        return False
    names = {TABLE, *_TRIGGERS}
    found = database.execute_sql(
        f"SELECT count(*) FROM sqlite_master WHERE name IN ({', '.join('?' * len(names))})",
        sorted(names)).fetchone()[0]
    return int(found) == len(names)


def indexable(needle: str) -> bool:
    """Whether the index finds every subject the exact test would: three characters or
    more, and none whose full case folding is more than a lower-case letter (ß -> ss),
    which the tokenizer's per-letter folding does not know."""
    return (len(needle) >= MIN_NEEDLE
            and all(c.casefold() == c.lower() and len(c.lower()) == 1 for c in needle))


def phrase(needle: str) -> str:
    """The FTS5 query for subjects containing `needle`: one quoted phrase."""
    return '"' + needle.replace('"', '""') + '"'


def found_by_index(ticket_id: peewee.Field, needle: str) -> peewee.NodeList:
    """`ticket.id IN (SELECT rowid FROM the index WHERE it MATCHes the phrase)`."""
    return peewee.NodeList((
        ticket_id, peewee.SQL(f'IN (SELECT rowid FROM "{TABLE}" WHERE "{TABLE}" MATCH'),
        peewee.Value(phrase(needle)), peewee.SQL(")")))
