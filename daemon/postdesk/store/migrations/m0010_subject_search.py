"""Add the SQLite substring index of ticket subjects (FTS5 trigram) and index every ticket.

PostgreSQL: nothing (ILIKE is planned with statistics there). A SQLite
without the trigram tokenizer gets no index and a logged warning; queues
then scan subjects as before.
"""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator

from postdesk.store import subject_index

VERSION = 10


def apply(database: peewee.Database, migrator: SchemaMigrator) -> None:
    subject_index.install(database, backfill=True)
