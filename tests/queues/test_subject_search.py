"""`subject_contains` finds subjects in any case and alphabet; on SQLite through the trigram
index of subjects, which follows every new, edited and deleted ticket."""

from __future__ import annotations

import logging

import peewee
import pytest

from postdesk.store import db, migrations, subject_index
from postdesk.store.db import database, utcnow
from postdesk.store.models import Customer, Ticket
from postdesk.store.queue_pages import page_queries, queue_count
from postdesk.ticket_queues.loader import parse_queues
from postdesk.ticket_queues.query import queue_tickets
from queues.conftest import QueueDesk
from queues.test_queue_query import ids


def _plan(condition: str) -> str:
    queue = parse_queues(f"queues:\n  - name: q\n    if: {condition}\n").get("q")
    assert queue is not None
    sql, params = page_queries(queue, utcnow(), queue.limit)[0].sql()
    return str(database.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall())


def _index_is_consistent() -> bool:
    """FTS5's own check that the index holds exactly the subjects of the ticket table."""
    try:
        # rank 1: compare with the ticket table, not only the index with itself
        database.execute_sql(f"INSERT INTO {subject_index.TABLE} ({subject_index.TABLE}, rank) "
                             "VALUES ('integrity-check', 1)")
    except peewee.DatabaseError:  # SQLITE_CORRUPT_VTAB: index and table differ
        return False
    return True


def _indexed(needle: str) -> list[int]:
    rows = database.execute_sql(f"SELECT rowid FROM {subject_index.TABLE} WHERE "
                                f"{subject_index.TABLE} MATCH ?", (subject_index.phrase(needle),))
    return sorted(row[0] for row in rows)


def test_subjects_match_in_any_case_and_alphabet(queue_desk: QueueDesk) -> None:
    d = queue_desk
    polish = d.ticket("DRUKARKA nie DZIAŁA na 2 piętrze")
    german = d.ticket("Ärger mit dem Drucker")
    russian = d.ticket("ПРИНТЕР не печатает")
    greek = d.ticket("ΟΔΟΣ κλειστη")
    english = d.ticket('Printer says "PC LOAD LETTER"')
    assert ids(d, "{subject_contains: drukarka}") == [polish]
    assert ids(d, "{subject_contains: działa}") == [polish]
    assert ids(d, "{subject_contains: ärger}") == [german]
    assert ids(d, "{subject_contains: ÄRGER MIT}") == [german]  # across words
    assert ids(d, "{subject_contains: принтер}") == [russian]
    assert ids(d, "{subject_contains: STRASSE}") == []  # ASCII needles fold ASCII only
    assert ids(d, "{subject_contains: οδος}") == [greek]  # final sigma folds to σ
    assert ids(d, "{subject_contains: 'says \"pc'}") == [english]  # quotes are text
    assert ids(d, "{subject_contains: [drucker, printer]}") == [german, english]
    assert ids(d, "{subject_contains: pr}") == [english]  # 2 letters: scanned
    assert ids(d, "{subject_contains: 'ь'}") == []
    assert ids(d, "{subject_contains: drukarka, status: [resolved]}") == []
    if not db.is_postgres():
        assert subject_index.TABLE in _plan("{subject_contains: drukarka}")
        assert subject_index.TABLE not in _plan("{subject_contains: pr}")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_edited_and_deleted_subjects_follow_in_the_index(queue_desk: QueueDesk) -> None:
    d = queue_desk
    kept = d.ticket("Toner empty")
    edited = d.ticket("Scanner broken")
    Ticket.update(subject="Plotter broken").where(Ticket.id == edited).execute()
    assert ids(d, "{subject_contains: scanner}") == []
    assert ids(d, "{subject_contains: plotter}") == [edited]
    Ticket.update(status="triage").where(Ticket.id == kept).execute()  # subject untouched
    assert ids(d, "{subject_contains: toner}") == [kept]
    assert _index_is_consistent()
    Ticket.get_by_id(edited).delete_instance(recursive=True)
    assert _indexed("plotter") == [] and _indexed("broken") == []
    assert _index_is_consistent()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_without_the_trigram_tokenizer_queues_scan_and_say_so(
        database_url: str, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    # what an SQLite older than 3.34 answers: "no such tokenizer"
    monkeypatch.setattr(subject_index, "_CREATE", subject_index._CREATE.replace(
        "trigram", "no_such_tokenizer"))
    connected = db.connect(database_url)
    with connected.connection_context(), caplog.at_level(logging.WARNING):
        migrations.migrate(connected)
        assert not subject_index.usable(connected)
        assert "subject search index not created" in caplog.text
        assert "no such tokenizer" in caplog.text
        customer = Customer.create(email="zoe@customer.example", created_at=utcnow())
        ticket = Ticket.create(subject="Drukarka", requester=customer, created_at=utcnow(),
                               updated_at=utcnow())
        queue = parse_queues("queues:\n  - name: q\n    if: {subject_contains: DRUKARKA}\n"
                             ).get("q")
        assert queue is not None
        assert [row["id"] for row in queue_tickets(queue, utcnow())] == [ticket.id]
        assert queue_count(queue, utcnow()) == 1
