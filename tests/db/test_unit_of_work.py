"""A mail's events are gathered by the unit of work the worker passes down the chain and
inserted with one statement at its end, in the order they were recorded; nothing of them
is inserted when the mail fails."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mailbuild import customer_mail
from postdesk.config.runtime import Runtime
from postdesk.config.settings import Settings
from postdesk.store.db import database
from postdesk.store.inbound import Arrival, store_inbound
from postdesk.store.models import Event, Ticket
from postdesk.tickets import service
from postdesk.worker.process import Outcome, process_many


@pytest.fixture
def runtime(migrated: str, make_settings: Callable[..., Settings]) -> Iterator[Runtime]:
    with database.connection_context():
        yield Runtime(make_settings(migrated))


@pytest.fixture
def event_inserts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The INSERT statements into "event" run from now on."""
    seen: list[str] = []
    database_class: Any = type(database.obj)
    execute = database_class.execute_sql

    def watched(self: Any, sql: str, *args: Any, **kwargs: Any) -> Any:
        if sql.startswith('INSERT INTO "event"'):
            seen.append(sql)
        return execute(self, sql, *args, **kwargs)

    monkeypatch.setattr(database_class, "execute_sql", watched)
    return seen


def stored(**mail: Any) -> int:
    raw = customer_mail(**mail).as_bytes()
    return store_inbound(Arrival(raw=raw, mail_from="zoe@customer.example",
                                 rcpt_to=("support@example.com",), source="smtp"))


def test_each_mail_inserts_its_events_with_one_statement_in_order(runtime: Runtime,
                                                                   event_inserts) -> None:
    first = stored(cc="Bob <bob@customer.example>")
    [opened] = process_many([first], runtime)
    assert isinstance(opened, Outcome) and opened.step == "new ticket"
    ticket = Ticket.get_by_id(opened.ticket_id)
    answer = stored(subject=f"Re: [#{ticket.id}] Printer on fire", body="Still burning.\n",
                    message_id="<second@customer.example>")
    with database.atomic():
        service.set_status(ticket, "resolved", actor="agent@example.com",
                           now=ticket.updated_at)
    event_inserts.clear()

    [reopened] = process_many([answer], runtime)

    assert isinstance(reopened, Outcome) and reopened.step == "reopen"
    assert len(event_inserts) == 1
    events = list(Event.select().where(Event.ticket == ticket.id).order_by(Event.id))
    resolved = next(i for i, e in enumerate(events) if e.actor == "agent@example.com")
    mails = [(e.kind, e.data.get("new")) for e in events[resolved + 1:]]
    assert mails[:2] == [("message.received", None), ("status.changed", "in_progress")]


def test_a_mail_that_fails_leaves_none_of_its_events(runtime: Runtime, monkeypatch) -> None:
    add_participants = service.add_participants

    def breaking(ticket, customers):
        add_participants(ticket, customers)
        raise ValueError("a bug after the ticket was opened")

    monkeypatch.setattr(service, "add_participants", breaking)

    [outcome] = process_many([stored()], runtime)

    assert isinstance(outcome, Outcome) and outcome.state == "failed"
    assert Event.select().count() == 0 and Ticket.select().count() == 0
