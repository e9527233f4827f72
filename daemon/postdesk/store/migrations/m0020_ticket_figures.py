"""Add ticket_figures, ticket_figure_clock and ticket_status_change: the reports' figures.

The tables are created, every ticket's rows are computed from its history
(`ticket_figures.rebuild`, batch by batch of ticket ids, each a bounded
statement), then the indexes and the triggers that keep the rows current are
added (an index built once is much faster than one kept up row by row). The
migration is one transaction: an interrupted start leaves the schema as it was
and the next start does it again. `postdesk report rebuild-figures` recomputes them at any time.
"""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator

from postdesk.store import csat_store, ticket_figures

VERSION = 20


def apply(database: peewee.Database, migrator: SchemaMigrator) -> None:
    database.create_tables(ticket_figures.MODELS, safe=True)
    csat_store.add_group_columns(database)  # the figures keep the surveys' groups (m22)
    ticket_figures.rebuild(database)
    ticket_figures.install(database)
