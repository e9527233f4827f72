"""fastsql's pre-built statements give exactly what peewee's own queries give.

Every statement `postdesk.store.fastsql` replaces is run both ways on the same data,
on SQLite and PostgreSQL: the instances handed back (their values, which fields
count as changed) and the rows left in the database must be equal, ids aside
(PostgreSQL does not give back the ids of a rolled-back insert). A peewee whose
internals changed shows up here before a mail is stored wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import peewee
import pytest

from postdesk.store import fastsql
from postdesk.store.db import database, is_postgres
from postdesk.store.models import (
    Blob,
    Customer,
    Event,
    Inbound,
    Outbox,
    Participant,
    Ticket,
)
from postdesk.store.sla_pending import SlaPending
from postdesk.store.sla_store import TicketSla

T = TypeVar("T")
NOW = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)
RAW = b"From: z\xc3\xb6e@customer.example\r\n\r\n\x00\xff binary as stored\r\n"


@pytest.fixture
def connected(migrated: str) -> Iterator[None]:
    with database.connection_context():
        yield


def rolled_back(make: Callable[[], T], model: type[peewee.Model]) -> tuple[T, list[dict]]:
    """What `make` returns, and every row of `model` as it then stood; then undone."""
    with database.atomic() as transaction:
        made = make()
        rows = table(model)
        transaction.rollback()
    return made, rows


def table(model: type[peewee.Model]) -> list[dict[str, Any]]:
    """Every row of `model` as peewee reads it, in key order, ids left out."""
    pk = model._meta.primary_key
    auto = isinstance(pk, peewee.AutoField)
    return [{k: v for k, v in row.__data__.items() if not (auto and k == pk.name)}
            for row in model.select().order_by(pk)]


def state(instance: peewee.Model | None) -> tuple[Any, ...] | None:
    """An instance as the caller sees it: class, values (the new id aside), changed fields."""
    if instance is None:
        return None
    pk = instance._meta.primary_key
    values = {k: v for k, v in instance.__data__.items()
              if not (isinstance(pk, peewee.AutoField) and k == pk.name)}
    return type(instance), values, set(instance._dirty)


def desk() -> tuple[Customer, Ticket]:
    """A customer and a ticket, stored by peewee."""
    customer = Customer.create(email="zoe@customer.example", name="Zoë Kowalska",
                               language="pl", created_at=NOW)
    ticket = Ticket.create(subject="Drukarka płonie", requester=customer, tags=["printer"],
                           created_at=NOW, updated_at=NOW)
    return customer, ticket


def creations(customer: Customer, ticket: Ticket) -> list[tuple[type[peewee.Model], dict]]:
    """One of each kind of row the worker creates: defaults, JSON, bytes, nulls, a foreign
    key given as a row or as an id, a primary key given."""
    return [
        (Customer, {"email": "ann@customer.example", "created_at": NOW}),
        (Ticket, {"subject": "Re: Drukarka", "requester": customer, "created_at": NOW,
                  "updated_at": NOW}),
        (Inbound, {"received_at": NOW, "source": "smtp", "mail_from": "", "rcpt_to":
                   ["support@example.com"], "raw": RAW, "size": len(RAW), "sha256": "ab" * 32,
                   "dispatched_at": None}),
        (Outbox, {"ticket": ticket, "kind": "acknowledgment", "recipient": "zoe@x.example",
                  "message_id": "<1@example.com>", "automatic": True,
                  "context": {"ticket": {"id": 1, "subject": "Żółw"}, "sla_due": None},
                  "headers": {"from_address": "support@example.com"}, "next_attempt_at": NOW,
                  "created_at": NOW}),
        (Event, {"ticket": ticket.id, "kind": "status.changed", "data": {"old": "new"},
                 "actor": "rule:x", "rule": None, "created_at": NOW}),
        (Blob, {"sha256": "cd" * 32, "data": RAW, "size": len(RAW)}),
        (SlaPending, {"ticket": ticket.id, "marked_at": NOW}),
        (TicketSla, {"ticket": ticket.id, "policy": "default", "clocks": {"resolution": {}},
                     "fired": [], "next_at": NOW + timedelta(hours=1), "updated_at": NOW}),
    ]


def test_create_gives_what_model_create_gives(connected) -> None:
    customer, ticket = desk()
    for model, values in creations(customer, ticket):
        ours, our_rows = rolled_back(lambda m=model, v=values: fastsql.create(m, **v), model)
        theirs, their_rows = rolled_back(lambda m=model, v=values: m.create(**v), model)
        assert state(ours) == state(theirs), model.__name__
        assert our_rows == their_rows, model.__name__
        pk = model._meta.primary_key.name
        assert ours.__data__[pk] is not None, model.__name__


def test_create_if_absent_inserts_once_as_insert_on_conflict_ignore_does(connected) -> None:
    customer, ticket = desk()
    for model, values in creations(customer, ticket):
        if model not in (Customer, Blob, SlaPending, TicketSla, Outbox):
            continue  # (no unique column to collide on)

        def ours(m: Any = model, v: dict = values) -> tuple[Any, Any]:
            return fastsql.create_if_absent(m, **v), fastsql.create_if_absent(m, **v)

        def theirs(m: Any = model, v: dict = values) -> tuple[Any, Any]:
            return (m.insert(**v).on_conflict_ignore().execute(),
                    m.insert(**v).on_conflict_ignore().execute())

        (first, second), our_rows = rolled_back(ours, model)
        _, their_rows = rolled_back(theirs, model)
        _, created = rolled_back(lambda m=model, v=values: m.create(**v), model)
        assert our_rows == their_rows == created, model.__name__
        assert state(first) == state(rolled_back(lambda m=model, v=values: m.create(**v),
                                                 model)[0]), model.__name__
        assert second is None, model.__name__


def test_insert_rows_stores_what_insert_many_stores(connected) -> None:
    _, ticket = desk()
    fields = (Event.ticket, Event.kind, Event.data, Event.actor, Event.rule, Event.created_at)
    values = [(ticket.id, f"kind.{n}", {"n": n, "text": "zażółć"}, "system",
               "r" if n % 2 else None, NOW + timedelta(seconds=n)) for n in range(5)]
    _, ours = rolled_back(lambda: fastsql.insert_rows(
        Event, fields, [[f.db_value(v) for f, v in zip(fields, row, strict=True)]
                        for row in values]), Event)
    _, theirs = rolled_back(lambda: Event.insert_many(values, fields=list(fields)).execute(),
                            Event)
    assert ours == theirs and len(ours) == 5


def test_insert_if_absent_counts_and_stores_as_insert_on_conflict_ignore(connected) -> None:
    customer, ticket = desk()
    cases: list[tuple[type[peewee.Model], dict]] = [
        (Blob, {"sha256": "ef" * 32, "data": RAW, "size": len(RAW)}),
        (Participant, {"ticket": ticket.id, "customer": customer.id}),
    ]
    for model, values in cases:
        counts, ours = rolled_back(lambda m=model, v=values: [
            fastsql.insert_if_absent(m, **v), fastsql.insert_if_absent(m, **v)], model)
        _, theirs = rolled_back(lambda m=model, v=values: [
            m.insert(**v).on_conflict_ignore().execute() for _ in range(2)], model)
        assert counts == [1, 0], model.__name__
        assert ours == theirs and len(ours) == 1, model.__name__


def stored_rows() -> tuple[Customer, Ticket, list[int]]:
    """Committed rows to read back: two customers, tickets, an inbound mail, its SLA row."""
    customer, ticket = desk()
    other = Customer.create(email="ann@customer.example", created_at=NOW, bouncing=True)
    tickets = [ticket.id] + [Ticket.create(subject=f"T{n}", requester=other if n % 2 else
                                           customer, created_at=NOW, updated_at=NOW).id
                             for n in range(3)]
    Inbound.create(received_at=NOW, source="imap:support", rcpt_to=["a@b.example"], raw=RAW,
                   size=len(RAW), sha256="00" * 32, ticket=ticket)
    TicketSla.create(ticket=ticket, policy="vip", clocks={"first_response": {"state": "ok"}},
                     fired=["first_response#1:75%"], next_at=NOW, updated_at=NOW)
    return customer, ticket, tickets


def test_get_by_and_exists_read_what_select_reads(connected) -> None:
    customer, ticket, tickets = stored_rows()
    lookups: list[tuple[type[peewee.Model], Any, Any]] = [
        (Customer, Customer.email, customer.email),
        (Customer, Customer.email, "nobody@customer.example"),
        (Ticket, Ticket.id, tickets[2]),
        (Ticket, Ticket.id, 10**6),
        (Inbound, Inbound.ticket, ticket.id),
        (TicketSla, TicketSla.ticket, ticket.id),
    ]
    for model, field, value in lookups:
        theirs = model.select().where(field == value).first()
        assert state(fastsql.get_by(model, field, value)) == state(theirs), (model, value)
        assert fastsql.exists(model, field, value) is model.select().where(
            field == value).exists(), (model, value)
        if theirs is not None:
            assert fastsql.get_by(model, field, value).__data__ == theirs.__data__


def test_a_locked_read_reads_what_select_for_update_reads(connected) -> None:
    _, ticket, _ = stored_rows()
    with database.atomic():
        ours = fastsql.get_by(TicketSla, TicketSla.ticket, ticket.id, lock=True)
        many = fastsql.rows_by(TicketSla, TicketSla.ticket, [ticket.id], lock=True)
        query = TicketSla.select().where(TicketSla.ticket == ticket.id)
        theirs = (query.for_update() if is_postgres() else query).first()
    assert state(ours) == state(theirs) == state(many[0])
    assert ours.__data__ == theirs.__data__


def test_rows_by_reads_what_select_in_reads(connected) -> None:
    customer, _, tickets = stored_rows()
    wanted = [tickets[3], tickets[0], 10**6, tickets[3], tickets[1]]  # a repeat, a missing one
    for model, field, values in [(Ticket, Ticket.id, wanted),
                                 (Ticket, Ticket.requester, [customer.id]),
                                 (Inbound, Inbound.source, ["imap:support", "smtp"]),
                                 (Customer, Customer.email, [])]:
        ours = sorted(fastsql.rows_by(model, field, values), key=lambda r: r.id)
        theirs = list(model.select().where(field.in_(values)).order_by(model.id)) \
            if values else []
        assert [state(r) for r in ours] == [state(r) for r in theirs], (model, values)
        assert [r.__data__ for r in ours] == [r.__data__ for r in theirs]


def twins() -> tuple[Ticket, Ticket]:
    """Two equal tickets (stored by peewee), each read fresh."""
    customer, _ = desk()
    made = [Ticket.create(subject="Twin", requester=customer, priority="high", tags=["a"],
                          created_at=NOW, updated_at=NOW).id for _ in range(2)]
    return Ticket.get_by_id(made[0]), Ticket.get_by_id(made[1])


def change(ticket: Ticket) -> None:
    ticket.status = "waiting"
    ticket.tags = ["a", "żółw"]
    ticket.assignee = None
    ticket.updated_at = ticket.status_changed_at = NOW + timedelta(minutes=5)


def test_save_fields_updates_what_save_only_updates(connected) -> None:
    ours, theirs = twins()
    only = [Ticket.status, Ticket.updated_at, Ticket.status_changed_at]
    for ticket in (ours, theirs):
        change(ticket)
    assert fastsql.save_fields(ours, only) == peewee.Model.save(theirs, only=only) == 1
    assert state(ours) == state(theirs)
    assert state(Ticket.get_by_id(ours.id)) == state(Ticket.get_by_id(theirs.id))


def test_saving_a_stored_row_updates_what_peewee_save_updates(connected) -> None:
    ours, theirs = twins()
    for ticket in (ours, theirs):
        change(ticket)
    assert ours.save() == peewee.Model.save(theirs) == 1  # BaseModel.save: pre-built SQL
    assert state(ours) == state(theirs)
    assert state(Ticket.get_by_id(ours.id)) == state(Ticket.get_by_id(theirs.id))


def test_related_rows_are_the_rows_peewee_follows_the_key_to(connected) -> None:
    _, _, tickets = stored_rows()
    fresh = [Ticket.get_by_id(t) for t in tickets]
    fastsql.prime_related(fresh, Ticket.requester)
    for ticket in fresh:
        theirs = Ticket.get_by_id(ticket.id).requester  # peewee's own lookup
        assert state(fastsql.related(ticket, Ticket.requester)) == state(theirs)
        assert fastsql.related(Ticket.get_by_id(ticket.id), Ticket.requester).__data__ \
            == theirs.__data__


def test_update_by_id_claims_as_a_guarded_update_does(connected) -> None:
    _, ticket, _ = stored_rows()
    made = [Inbound.create(received_at=NOW, source="smtp", rcpt_to=["s@x.example"], raw=RAW,
                           size=len(RAW), sha256="11" * 32).id for _ in range(2)]
    change_to = {"state": "done", "reason": "", "ticket": ticket.id, "processed_at": NOW}
    ours = [fastsql.update_by_id(Inbound, made[0], only_if={"state": "pending"},
                                 increment="attempts", **change_to) for _ in range(2)]
    theirs = [Inbound.update(**change_to, attempts=Inbound.attempts + 1)
              .where((Inbound.id == made[1]) & (Inbound.state == "pending")).execute()
              for _ in range(2)]
    assert ours == theirs == [1, 0]
    assert state(Inbound.get_by_id(made[0])) == state(Inbound.get_by_id(made[1]))
