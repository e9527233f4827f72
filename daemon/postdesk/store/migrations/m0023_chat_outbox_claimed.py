"""Add chat_outbox.claimed_at: when a sender first took the post for an attempt.

A post claimed before may have reached the platform even though its row was never
marked sent (the process died between the platform's answer and the commit, or the
answer was lost on the way): the Slack edge then looks for the post in the thread
before posting it again (`channels.slack.web_api`).
"""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator

VERSION = 23


def apply(database: peewee.Database, migrator: SchemaMigrator) -> None:
    # A nullable column without default: plain ALTER on both engines, no table rebuild.
    if "claimed_at" not in {column.name for column in database.get_columns("chat_outbox")}:
        database.execute_sql('ALTER TABLE "chat_outbox" ADD COLUMN "claimed_at" TIMESTAMP')
