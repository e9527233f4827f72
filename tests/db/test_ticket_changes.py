"""One vocabulary for ticket changes: an agent's command and a rule's action that mean the
same change are the same effect, applied by the same applier, with the same result but
for who made it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from postdesk.automation import EventFacts
from postdesk.automation.actions import ACTIONS
from postdesk.config.runtime import Runtime
from postdesk.config.settings import Settings
from postdesk.mail.parse import parse_message
from postdesk.store.db import database
from postdesk.store.models import Customer, Event, Ticket
from postdesk.tickets import effects, service
from postdesk.tickets.agent_mail import AgentLetter, handle_agent_mail
from postdesk.tickets.agents import AgentIdentity
from postdesk.tickets.automation import MAIL_ACTIONS, Trigger, run_automations
from postdesk.tickets.teams import Agent
from postdesk.tickets.unit_of_work import UnitOfWork

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
AGENT = AgentIdentity(Agent("agent.en@example.com", "Support EN"), "reply_address")
RESOLVE_AT_ONCE = """rules:
  - name: resolve-at-once
    on: ticket.created
    then:
      - set_status: resolved
"""


@pytest.fixture
def runtime(migrated: str, make_settings: Callable[..., Settings]) -> Iterator[Runtime]:
    settings = make_settings(migrated)
    (Path(settings.path(settings.paths.rules)) / "automation.yaml").write_text(RESOLVE_AT_ONCE)
    with database.connection_context():
        yield Runtime(settings)


def agent_mail(text: str) -> AgentLetter:
    raw = (f"From: Support EN <agent.en@example.com>\r\nTo: support@example.com\r\n"
           f"Subject: Re: [#1] Printer\r\nMessage-ID: <a1@example.com>\r\n\r\n{text}"
           ).encode()
    return AgentLetter(AGENT, parse_message(raw), text, None, "support@example.com")


def status_events(ticket: Ticket) -> list[tuple[dict[str, Any], str, str | None]]:
    return [(e.data, e.actor, e.rule) for e in
            Event.select().where((Event.ticket == ticket.id) & (Event.kind == "status.changed"))]


def test_status_resolved_from_an_agent_and_from_a_rule_is_one_effect_through_one_applier(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, dict[str, Any], str, str | None]] = []
    applier = effects.APPLIERS["set_status"]

    def watched(ticket: Ticket, params: Any, by: effects.ChangedBy) -> Any:
        calls.append((ticket.id, dict(params), by.actor, by.rule))
        return applier(ticket, params, by)

    monkeypatch.setitem(effects.APPLIERS, "set_status", watched)
    with database.atomic():
        customer = service.create_customer("zoe@customer.example", "Zoë", language="en",
                                           timezone=None, now=NOW)
        by_agent = service.open_ticket(customer, "Printer", now=NOW)
        by_rule = service.open_ticket(customer, "Scanner", now=NOW)
        with UnitOfWork() as work:
            handle_agent_mail(by_agent, agent_mail("#status resolved\n"), runtime, NOW, work)
            run_automations(by_rule, Trigger(EventFacts("ticket.created",
                                                        author_role="customer")),
                            runtime, NOW, work=work)

    assert [(ticket, params["status"], actor, rule) for ticket, params, actor, rule in calls
            ] == [(by_agent.id, "resolved", "agent.en@example.com", None),
                  (by_rule.id, "resolved", "system", "resolve-at-once")]
    assert {Ticket.get_by_id(t.id).status for t in (by_agent, by_rule)} == {"resolved"}
    change = {"old": "new", "new": "resolved"}
    assert status_events(by_agent) == [(change, "agent.en@example.com", None)]
    assert status_events(by_rule) == [(change, "system", "resolve-at-once")]


def test_an_agents_language_command_changes_the_customer_and_says_who(
        runtime: Runtime) -> None:
    with database.atomic():
        customer = service.create_customer("zoe@customer.example", "Zoë", language="en",
                                           timezone=None, now=NOW)
        ticket = service.open_ticket(customer, "Printer", now=NOW)
        with UnitOfWork() as work:
            handle_agent_mail(ticket, agent_mail("#language de\n"), runtime, NOW, work)

    assert Customer.get_by_id(customer.id).language == "de"
    [event] = Event.select().where(Event.kind == "customer.language_changed")
    assert (event.data, event.actor) == ({"language": "de"}, "agent.en@example.com")


def test_every_registered_action_has_one_way_to_be_applied() -> None:
    for action in ACTIONS:
        ways = [action.name in effects.APPLIERS, action.name in MAIL_ACTIONS, action.desk_level]
        assert ways.count(True) == 1, action.name
