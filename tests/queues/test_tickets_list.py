"""`postdesk tickets`: `--json` lists every ticket, streamed a chunk at a time; the table
shows the newest 50 and says on stderr when there are more (issue 19)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest

from postdesk.store.db import database, utcnow
from postdesk.store.sla_store import TicketSla
from postdesk.tickets import views
from queues.conftest import QueueDesk


def test_json_lists_every_ticket_and_the_table_says_when_it_is_cut(
        queue_desk: QueueDesk) -> None:
    ids = [queue_desk.ticket(f"Ticket {n}") for n in range(60)]
    listed = queue_desk.cli("tickets", "--json")
    assert listed.exit_code == 0, listed.output
    assert [row["id"] for row in json.loads(listed.stdout)] == ids[::-1]
    assert listed.stderr == ""

    table = queue_desk.cli("tickets")
    assert "Tickets (50)" in table.stdout
    assert "Ticket 10 " in table.stdout and "Ticket 9 " not in table.stdout  # the newest 50
    assert "50 of 60 tickets" in table.stderr and "--json" in table.stderr

    everything = queue_desk.cli("tickets", "--limit", "0")
    assert "Tickets (60)" in everything.stdout and everything.stderr == ""
    asked = queue_desk.cli("tickets", "--json", "--limit", "5")
    assert [row["id"] for row in json.loads(asked.stdout)] == ids[:-6:-1]


def test_an_empty_desk_lists_nothing(queue_desk: QueueDesk) -> None:
    listed = queue_desk.cli("tickets", "--json")
    assert listed.exit_code == 0 and json.loads(listed.stdout) == []


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(views, "CHUNK", 7)
    return 7


def ticket_queries() -> Iterator[list[tuple[str, list]]]:
    """The SELECTs of tickets that peewee runs meanwhile (it logs each with its parameters)."""
    seen: list[tuple[str, list]] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            sql, params = record.msg if isinstance(record.msg, tuple) else ("", [])
            if str(sql).startswith('SELECT "t1"."id", "t1"."subject"'):
                seen.append((str(sql), list(params)))

    logger, handler = logging.getLogger("peewee"), Collect()
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield seen
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_a_long_list_is_read_a_chunk_at_a_time(queue_desk: QueueDesk, small_chunks: int
                                               ) -> None:
    ids = [queue_desk.ticket(f"Ticket {n}") for n in range(30)]
    for queries in ticket_queries():
        rows = views.iter_ticket_summaries()
        assert next(rows)["id"] == ids[-1]
        assert len(queries) == 1  # the first ticket comes before the rest is read
        assert [row["id"] for row in rows] == ids[-2::-1]
        assert len(queries) == 5  # 7 * 4 + 2
        assert all(sql.endswith("LIMIT ?") or sql.endswith("LIMIT %s") for sql, _ in queries)
        assert {params[-1] for _, params in queries} == {7}


def test_by_due_time_every_ticket_comes_once_in_order_across_chunks(
        queue_desk: QueueDesk, small_chunks: int) -> None:
    ids = [queue_desk.ticket(f"Ticket {n}", minutes_ago=n) for n in range(20)]
    paused = [queue_desk.ticket(f"Waiting {n}", status="waiting_for_customer")
              for n in range(4)]
    same = utcnow() + timedelta(hours=1)
    with database.atomic():  # ties across a chunk boundary: the newest ticket first
        TicketSla.update(due_at=same).where(TicketSla.ticket.in_(ids[5:15])).execute()
    due = {row.ticket_id: row.due_at for row in TicketSla.select()}
    expected = sorted(ids, key=lambda i: (due[i], -i)) + paused[::-1]
    listed = queue_desk.cli("tickets", "--sort", "due", "--json")
    assert [row["id"] for row in json.loads(listed.stdout)] == expected
    assert [r["id"] for r in views.iter_ticket_summaries(sort="due", limit=9)] == expected[:9]
    waiting = views.iter_ticket_summaries("waiting_for_customer", sort="due")
    assert [row["id"] for row in waiting] == paused[::-1]
