"""A worker's batch of mails: on SQLite stored in one transaction, each mail in its own
savepoint; on PostgreSQL one transaction per mail. Either way every mail gets its own
outcome, and a mail sees what the mails before it in the batch stored."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace

import peewee
import pytest

from mailbuild import customer_mail
from postdesk.config.runtime import Runtime
from postdesk.config.settings import Settings
from postdesk.store.db import database, is_postgres
from postdesk.store.inbound import Arrival, store_inbound
from postdesk.store.models import Attachment, Customer, Inbound, Message, Ticket
from postdesk.tickets import service
from postdesk.tickets.receive import customers
from postdesk.worker import process as processing
from postdesk.worker.process import Outcome, process_many


@pytest.fixture
def runtime(migrated: str, make_settings: Callable[..., Settings]) -> Iterator[Runtime]:
    with database.connection_context():
        yield Runtime(make_settings(migrated))


def stored(n: int, *, sender: str | None = None, subject: str = "Printer on fire",
           body: str = "Hello,\nmy printer is on fire.\n",
           headers: dict[str, str] | None = None) -> int:
    sender = sender or f"c{n}@customer.example"
    raw = customer_mail(sender=f"Customer {n} <{sender}>", subject=subject, body=body,
                        message_id=f"<m{n}@customer.example>", headers=headers).as_bytes()
    return store_inbound(Arrival(raw=raw, mail_from=sender, rcpt_to=("support@example.com",),
                                 source="smtp"))


def states(ids: list[int]) -> list[str]:
    return [Inbound.get_by_id(i).state for i in ids]


def test_a_mail_that_breaks_fails_alone_and_keeps_its_bytes(runtime, monkeypatch) -> None:
    open_ticket = service.open_ticket

    def breaking(customer, subject, **kwargs):
        if subject == "boom":
            raise ValueError("a bug in ticket opening")
        return open_ticket(customer, subject, **kwargs)

    monkeypatch.setattr(service, "open_ticket", breaking)
    ids = [stored(1), stored(2, subject="boom"), stored(3)]

    outcomes = process_many(ids, runtime)

    assert [o.state for o in outcomes if isinstance(o, Outcome)] == ["done", "failed", "done"]
    assert states(ids) == ["done", "failed", "done"]
    broken = Inbound.get_by_id(ids[1])
    assert broken.reason == "ValueError: a bug in ticket opening"
    assert b"Subject: boom" in bytes(broken.raw)
    # what the broken mail wrote before it failed is gone with it: no customer, no ticket
    assert Customer.get_or_none(Customer.email == "c2@customer.example") is None
    assert sorted(t.subject for t in Ticket.select()) == ["Printer on fire"] * 2
    assert all(o.ticket_id for o in (outcomes[0], outcomes[2]) if isinstance(o, Outcome))


def test_a_mail_sees_what_the_mails_before_it_in_the_batch_stored(runtime) -> None:
    first = stored(1, sender="ann@customer.example")
    answer = stored(2, sender="ann@customer.example", subject="Re: Printer on fire",
                    body="It is still burning.\n",
                    headers={"In-Reply-To": "<m1@customer.example>"})

    opened, followed = process_many([first, answer], runtime)

    assert isinstance(opened, Outcome) and isinstance(followed, Outcome)
    assert followed.state == "done" and followed.ticket_id == opened.ticket_id
    assert Customer.select().where(Customer.email == "ann@customer.example").count() == 1
    assert Message.select().where(Message.ticket == opened.ticket_id).count() == 2


def test_a_database_error_leaves_the_mails_it_spoilt_pending(runtime, monkeypatch) -> None:
    finish = processing._finish
    failing = stored(2)

    def locked(inbound_id, outcome, now, *node):
        if inbound_id == failing:
            raise peewee.OperationalError("database is locked")
        return finish(inbound_id, outcome, now, *node)

    monkeypatch.setattr(processing, "_finish", locked)
    monkeypatch.setattr(processing, "WRITE_HOLD_S", 3600.0)  # the batch in one transaction
    ids = [stored(1), failing, stored(3)]

    outcomes = process_many(ids, runtime)

    assert isinstance(outcomes[1], peewee.OperationalError)
    if is_postgres():  # a transaction per mail: the others are stored
        assert states(ids) == ["done", "pending", "done"]
        assert Ticket.select().count() == 2
    else:  # one transaction: nothing of it is kept, every mail goes back to the queue
        assert all(isinstance(o, peewee.OperationalError) for o in outcomes)
        assert states(ids) == ["pending"] * 3
        assert Ticket.select().count() == 0 and Customer.select().count() == 0


def test_a_new_senders_language_is_guessed_outside_the_write_transaction(
        runtime, monkeypatch) -> None:
    seen: list[bool] = []
    language_of = customers.new_customer_language

    def watched(parsed, rt):
        seen.append(database.obj.in_transaction())
        return language_of(parsed, rt)

    monkeypatch.setattr(customers, "new_customer_language", watched)
    german = ("Guten Tag, mein Drucker brennt seit heute Morgen und ich weiß nicht, "
              "was ich tun soll. Können Sie mir bitte helfen?\n")
    ids = [stored(1, body=german), stored(2, body=german)]

    outcomes = process_many(ids, runtime)

    assert seen == [False, False]
    assert [o.state for o in outcomes if isinstance(o, Outcome)] == ["done", "done"]
    assert {c.language for c in Customer.select()} == {"de"}


def test_a_batch_of_large_mails_is_processed_in_runs_in_order(runtime, monkeypatch) -> None:
    """The worker process reads a batch in runs of at most [broker] batch_megabytes (here
    1 MB): each run is one call of process_many, and every mail keeps its outcome."""
    from postdesk.config import runtime as runtime_module
    from postdesk.worker import pool

    large = runtime_module.install(Runtime(replace(
        runtime.settings, broker=replace(runtime.settings.broker, batch_megabytes=1))))
    body = "x" * 700_000 + "\n"
    ids = [stored(1, body=body), stored(2, body=body), stored(3), stored(4, body=body)]
    runs: list[list[int]] = []
    real = pool.process_many

    def spying(inbound_ids, current):
        runs.append(list(inbound_ids))
        return real(inbound_ids, current)

    monkeypatch.setattr(pool, "process_many", spying)
    monkeypatch.setattr(pool, "_read_bytes", 0)  # as in a freshly forked worker process
    done = pool._child_run_batch(ids)
    assert runs == [[ids[0]], [ids[1], ids[2]], [ids[3]]]
    assert all(isinstance(result, tuple) for result in done.results)
    assert done.read_bytes > 3 * 700_000  # what [broker] recycle_megabytes is weighed on
    assert states(ids) == ["done"] * 4
    assert large.settings.broker.batch_megabytes == 1


def test_the_daemons_own_worker_threads_give_memory_back_after_a_large_mail(
        runtime, monkeypatch) -> None:
    """With `[broker] worker_processes = 0` the daemon's threads process the mail: after a
    large one they give memory back to the system as a worker process does, once mail
    stops coming (before, only worker processes did)."""
    from postdesk import memory_release
    from postdesk.config import runtime as runtime_module
    from postdesk.worker import pool

    runtime_module.install(runtime)
    given_back: list[bool] = []
    monkeypatch.setattr(memory_release, "give_back_soon", lambda: given_back.append(True))
    small, large = stored(1), stored(2, body="x" * (5 * 1024 * 1024) + "\n")
    runner = pool.ThreadRunner()

    runner.run(small)
    assert given_back == []  # a small mail costs no collection
    runner.run(large)
    assert given_back == [True]
    assert states([small, large]) == ["done", "done"]


def test_a_mail_that_loses_a_deadlock_on_postgresql_is_stored_at_once(
        runtime, monkeypatch, migrated: str) -> None:
    """PostgreSQL rolls back one of two deadlocked transactions. When that is a mail's (it
    happened with the SLA catch-up, which holds a ticket's mark while it waits for the
    ticket's clock row), the worker runs the mail again instead of leaving it to the queue."""
    if not is_postgres():
        pytest.skip("deadlocks are PostgreSQL's; SQLite has one writer")
    import psycopg

    database.execute_sql('DROP TABLE IF EXISTS "lock_pair"')
    database.execute_sql('CREATE TABLE "lock_pair" ("id" integer PRIMARY KEY)')
    database.execute_sql('INSERT INTO "lock_pair" VALUES (1), (2)')
    other_holds_two, mail_waits = threading.Event(), threading.Event()

    def other_transaction() -> None:
        # the other side: holds row 2, then wants row 1; it waits long before it checks
        # for a deadlock, so PostgreSQL picks the mail's transaction as the one to undo
        with psycopg.connect(migrated) as conn:
            conn.execute("SET deadlock_timeout = '20s'")
            conn.execute('UPDATE "lock_pair" SET "id" = "id" WHERE "id" = 2')
            other_holds_two.set()
            mail_waits.wait(10)
            conn.execute('UPDATE "lock_pair" SET "id" = "id" WHERE "id" = 1')

    open_ticket = service.open_ticket
    calls = []

    def deadlocking(customer, subject, **kwargs):
        calls.append(subject)
        if len(calls) == 1:
            other_holds_two.wait(10)
            database.execute_sql('UPDATE "lock_pair" SET "id" = "id" WHERE "id" = 1')
            threading.Timer(0.3, mail_waits.set).start()
            database.execute_sql('UPDATE "lock_pair" SET "id" = "id" WHERE "id" = 2')
        return open_ticket(customer, subject, **kwargs)

    monkeypatch.setattr(service, "open_ticket", deadlocking)
    other = threading.Thread(target=other_transaction)
    other.start()
    try:
        [outcome] = process_many([mail := stored(1)], runtime)
    finally:
        other.join(30)
        database.execute_sql('DROP TABLE IF EXISTS "lock_pair"')

    assert len(calls) == 2  # the first attempt was the deadlock's victim
    assert isinstance(outcome, Outcome) and outcome.state == "done"
    assert states([mail]) == ["done"]
    assert Ticket.get_by_id(outcome.ticket_id).subject == "Printer on fire"
def _sqlite_memory_used() -> int:
    """Bytes SQLite holds in this process (every connection: bound values, page caches)."""
    library = ctypes.CDLL(ctypes.util.find_library("sqlite3") or "libsqlite3.so.0")
    library.sqlite3_memory_used.restype = ctypes.c_int64
    return int(library.sqlite3_memory_used())


def test_a_worker_thread_keeps_no_copy_of_a_large_attachment_after_storing_it(runtime) -> None:
    """With `[broker] worker_processes = 0` a worker thread stores a large mail's
    attachment: SQLite kept a copy of its bytes (bound to the cached INSERT statement of
    the thread's connection) and the pages it read and wrote, for as long as the thread
    lived: after ten 25 MB mails about 100 MiB of a daemon that idles at 120. Now the
    thread lets go of its connection after large mail; its next mail connects afresh."""
    if is_postgres():
        pytest.skip("SQLite's own memory")
    from postdesk.config import runtime as runtime_module
    from postdesk.worker import pool

    mail = customer_mail(sender="Customer <big@customer.example>", subject="Logs",
                         message_id="<big@customer.example>")
    mail.add_attachment(os.urandom(6 * 1024 * 1024), maintype="application",
                        subtype="octet-stream", filename="printer.log")
    large = store_inbound(Arrival(raw=mail.as_bytes(), mail_from="big@customer.example",
                                  rcpt_to=("support@example.com",), source="smtp"))
    small = stored(1)
    runtime_module.install(runtime)
    runner = pool.ThreadRunner()
    measured, done = threading.Event(), threading.Event()

    def worker_thread() -> None:  # as the embedded broker's: no connection context
        runner.run(large)
        done.set()
        measured.wait(60)  # the thread lives on, as a worker thread does
        runner.run(small)  # and its next mail connects afresh

    before = _sqlite_memory_used()
    thread = threading.Thread(target=worker_thread)
    thread.start()
    try:
        assert done.wait(60)
        held = _sqlite_memory_used() - before
    finally:
        measured.set()
        thread.join(60)
    assert held < 2 * 1024 * 1024  # before: over 6 MB (the attachment's copy and pages)
    assert states([large, small]) == ["done", "done"]
    assert Attachment.select().where(Attachment.filename == "printer.log").count() == 1
def test_a_long_batch_lets_the_intake_commit_between_its_mails(runtime, monkeypatch) -> None:
    """A batch that has held the write lock for WRITE_HOLD_S commits what it has and lets
    go of the lock: a mail (or chat event) arriving meanwhile is stored, and acknowledged,
    without waiting for the rest of the batch."""
    monkeypatch.setattr(processing, "WRITE_HOLD_S", 0.0)  # every mail a turn of its own
    pauses: list[tuple[bool, int]] = []

    def intake_meanwhile() -> None:
        seen: dict[str, int] = {}

        def store() -> None:
            with database.connection_context():
                seen["tickets"] = Ticket.select().count()
                seen["stored"] = stored(9 + len(pauses))

        intake = threading.Thread(target=store)
        intake.start()
        intake.join(20)  # it would wait for the lock until the batch ends
        pauses.append((not intake.is_alive(), seen.get("tickets", -1)))

    monkeypatch.setattr(processing, "_let_others_write", intake_meanwhile)
    ids = [stored(1), stored(2), stored(3)]

    outcomes = process_many(ids, runtime)

    assert [o.state for o in outcomes if isinstance(o, Outcome)] == ["done"] * 3
    if is_postgres():  # a transaction per mail, writers side by side: no turns needed
        assert pauses == []
    else:  # the intake stored its mail between the turns, seeing what they committed
        assert pauses == [(True, 1), (True, 2)]
        assert Inbound.select().where(Inbound.state == "pending").count() == 2
