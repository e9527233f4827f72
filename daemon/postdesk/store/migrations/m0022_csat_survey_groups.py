"""Satisfaction surveys carry their groups: the agent of the resolution and the
ticket's team, request type, channel and priority (`store.csat_store`).

The columns are added (with a database default, so neither engine rebuilds the
table), filled for the surveys already there (the agent: the ticket's assignee
now, the best that is known of an older resolution; the other groups from the
ticket's figures), the figures index is replaced by one holding them, and the
reports' triggers are replaced by ones that keep the copied groups in step.
"""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator

from postdesk.store import ticket_figures
from postdesk.store.csat_store import FIGURES_INDEX, CsatSurvey, add_group_columns
from postdesk.store.ticket_figures_sql import SURVEY_GROUP_COLUMNS, survey_groups_update

VERSION = 22

#: the index of migration 19, without the groups
_OLD_INDEX = "csat_survey_asked_at_state_sent_at_scale_rating"


def apply(database: peewee.Database, migrator: SchemaMigrator) -> None:
    table = CsatSurvey._meta.table_name
    add_group_columns(database)
    database.execute_sql(
        f'UPDATE "{table}" SET agent = COALESCE((SELECT t.assignee FROM "ticket" t '
        f'WHERE t.id = "{table}".ticket_id), \'\') WHERE agent = \'\'')
    postgres = ticket_figures.postgres_database(database)
    database.execute_sql(survey_groups_update(postgres, lambda _: "1 = 1"))
    database.execute_sql(f'DROP INDEX IF EXISTS "{_OLD_INDEX}"')
    columns = ", ".join(f'"{c}"' for c in ("asked_at", "state", "sent_at", "scale", "rating",
                                            *SURVEY_GROUP_COLUMNS.values()))
    database.execute_sql(f'CREATE INDEX IF NOT EXISTS "{FIGURES_INDEX}" ON "{table}" ({columns})')
    ticket_figures.reinstall_triggers(database)
