"""The reads behind the rules' snapshot of a ticket (`tickets.automation.facts_for`) and
their round-robin: a handful of statements for any number of tickets."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from postdesk.store import fastsql
from postdesk.store.db import database
from postdesk.store.models import Message


def last_customer_messages(ticket_ids: Sequence[int]) -> dict[int, datetime]:
    """When each ticket's customers last wrote (its newest public incoming message)."""
    p = database.obj.param
    among = f"IN ({fastsql.placeholders(len(ticket_ids))})"
    sql = (  # one ticket (the worker's case): its newest such message, straight from the index
        'SELECT "ticket_id", "created_at" FROM "message" WHERE "ticket_id" = '
        f'{p} AND "direction" = {p} AND "visibility" = {p} ORDER BY "id" DESC LIMIT 1'
        if len(ticket_ids) == 1 else
        'SELECT "ticket_id", "created_at" FROM "message" WHERE "id" IN '
        f'(SELECT MAX("id") FROM "message" WHERE "ticket_id" {among} '
        f'AND "direction" = {p} AND "visibility" = {p} GROUP BY "ticket_id")')
    return {ticket_id: Message.created_at.python_value(at) for ticket_id, at in
            database.execute_sql(sql, [*ticket_ids, "in", "public"])}


def links_touching(ticket_ids: Sequence[int], kinds: Collection[str]
                   ) -> list[tuple[int, int, str]]:
    """(ticket, other, kind) of every link from or to one of the tickets, oldest first."""
    among = f"IN ({fastsql.placeholders(len(ticket_ids))})"
    return [(int(ticket_id), int(other_id), str(kind)) for ticket_id, other_id, kind in
            database.execute_sql(
                'SELECT "ticket_id", "other_id", "kind" FROM "link" WHERE '
                f'("ticket_id" {among} OR "other_id" {among}) '
                f'AND "kind" IN ({fastsql.placeholders(len(kinds))}) ORDER BY "id"',
                [*ticket_ids, *ticket_ids, *kinds])]


def last_assigned(team: str) -> str | None:
    """The agent of the team's most recently updated assigned ticket (round-robin)."""
    param = database.obj.param
    latest = database.execute_sql(
        f'SELECT "assignee" FROM "ticket" WHERE "team" = {param} AND "assignee" IS '
        'NOT NULL ORDER BY "updated_at" DESC LIMIT 1', [team]).fetchone()
    return None if latest is None else str(latest[0])
