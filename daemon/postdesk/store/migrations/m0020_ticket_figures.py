"""Add ticket_figures, ticket_figure_clock and ticket_status_change: the reports' figures.

The tables, their indexes and the triggers that keep them current are created,
then every ticket's rows are computed from its history (`ticket_figures.rebuild`,
batch by batch of ticket ids, each a bounded statement; the migration is one
transaction, so an interrupted start leaves the schema at 19 and the next start
does it again). `postdesk report rebuild-figures` recomputes them at any time.
"""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator

from postdesk.store import ticket_figures

VERSION = 20


def apply(database: peewee.Database, migrator: SchemaMigrator) -> None:
    database.create_tables(ticket_figures.MODELS, safe=True)
    ticket_figures.install(database)
    ticket_figures.rebuild(database)
