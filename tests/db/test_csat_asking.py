"""When the desk asks for satisfaction (rule ask-for-satisfaction, `[csat]`), on the
shipped rules and a real database: an agent's resolution is asked about once, held for
the delay; a rule's resolution, a self-served one and an agent's own ticket are not
(each with its reason on the ticket), unless `[csat]` says so."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from postdesk.automation import EventFacts
from postdesk.config.runtime import Runtime
from postdesk.config.settings import Settings
from postdesk.store import csat_store
from postdesk.store.db import database
from postdesk.store.models import Event, Outbox, Ticket
from postdesk.tickets import service
from postdesk.tickets.automation import Trigger, run_automations, run_rules_for_changes
from postdesk.tickets.effects import Change
from postdesk.tickets.unit_of_work import UnitOfWork

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
AGENT = "agent.en@example.com"
TEAMS = """teams:
  - name: support
    agents:
      - {email: agent.en@example.com, name: "Support EN"}
"""


@pytest.fixture
def desk(migrated: str, make_settings: Callable[..., Settings]
         ) -> Iterator[Callable[..., Runtime]]:
    def runtime(**overrides: Any) -> Runtime:
        settings = make_settings(migrated, **overrides)
        (Path(settings.path(settings.paths.rules)) / "teams.yaml").write_text(TEAMS)
        return Runtime(settings)

    with database.connection_context():
        yield runtime


def ticket_of(email: str, status: str = "in_progress", since: datetime = NOW) -> Ticket:
    customer = service.find_or_create_customer(email, "", language="en", timezone=None,
                                               now=NOW - timedelta(days=30))
    ticket = service.open_ticket(customer, "Printer", now=NOW - timedelta(days=20))
    service.set_status(ticket, status, actor=AGENT, now=since)
    return ticket


def resolve_by_agent(ticket: Ticket, runtime: Runtime, new: str = "resolved",
                     at: datetime = NOW) -> list[int]:
    old = ticket.status
    service.set_status(ticket, new, actor=AGENT, now=at)
    outbox: list[int] = []
    with UnitOfWork() as work:
        run_rules_for_changes(ticket, [Change("status.changed", old, new)], author_email=AGENT,
                              desk_address="support@example.com", outbox_ids=outbox,
                              runtime=runtime, now=at, work=work)
    return outbox


def not_asked(ticket: Ticket) -> list[str]:
    return [e.data["reason"] for e in Event.select().where(
        (Event.ticket == ticket.id) & (Event.kind == "satisfaction.not_asked"))]


def test_an_agent_s_resolution_is_asked_about_once_after_the_delay(desk) -> None:
    runtime = desk(csat_delay_minutes=90)
    with database.atomic():
        ticket = ticket_of("zoe@customer.example")
        dispatched = resolve_by_agent(ticket, runtime)
        survey = csat_store.latest(ticket.id)
        assert survey is not None and (survey.resolution, survey.scale) == (1, "1-5")
        held = Outbox.get_by_id(survey.outbox_id)
        assert held.kind == "satisfaction_survey" and held.automatic
        assert held.not_before == NOW + timedelta(minutes=90)
        assert held.id not in dispatched  # the sweeper sends it when due
        assert held.headers["auto_submitted"] == "auto-replied"
        # closing the resolved ticket later is the same resolution: no second survey
        resolve_by_agent(ticket, runtime, "closed", NOW + timedelta(hours=1))
        assert csat_store.next_resolution(ticket.id) == 2
        assert not_asked(ticket) == ["resolution 1 was asked about already"]


def test_a_reopened_and_resolved_again_ticket_is_asked_about_its_second_resolution(
        desk) -> None:
    runtime = desk(csat_scale="faces")
    with database.atomic():
        ticket = ticket_of("zoe@customer.example")
        resolve_by_agent(ticket, runtime)
        service.set_status(ticket, "in_progress", actor="zoe@customer.example",
                           now=NOW + timedelta(hours=2))
        resolve_by_agent(ticket, runtime, at=NOW + timedelta(hours=3))
        survey = csat_store.latest(ticket.id)
        assert (survey.resolution, survey.scale) == (2, "faces")
        choices = Outbox.get_by_id(survey.outbox_id).context["survey"]["choices"]
        assert [c["label"] for c in choices] == ["😞", "😐", "🙂"]
        assert all("/csat/" in c["url"] for c in choices)


def assign(ticket: Ticket, agent: str) -> None:
    Ticket.update(assignee=agent).where(Ticket.id == ticket.id).execute()
    ticket.assignee = agent


def test_each_resolution_s_rating_belongs_to_the_agent_who_had_the_ticket_then(desk) -> None:
    """Ann resolves, the ticket is reopened, given to Bob and resolved again, then goes
    back to Ann: each rating stays with its resolution's agent in `report kpi --by agent`."""
    from postdesk.store.csat_figures import csat_counts

    runtime = desk(csat_delay_minutes=0)
    with database.atomic():
        ticket = ticket_of("zoe@customer.example")
        assign(ticket, "ann@desk.example")
        resolve_by_agent(ticket, runtime)
        csat_store.rate(csat_store.latest(ticket.id), 5, "", "web", NOW + timedelta(hours=1))
        service.set_status(ticket, "in_progress", actor="zoe@customer.example",
                           now=NOW + timedelta(hours=2))
        assign(ticket, "bob@desk.example")
        resolve_by_agent(ticket, runtime, at=NOW + timedelta(hours=3))
        csat_store.rate(csat_store.latest(ticket.id), 1, "", "web", NOW + timedelta(hours=4))
        assign(ticket, "ann@desk.example")
    assert sorted((agent, surveyed, rated, satisfied) for _, agent, surveyed, rated, satisfied
                  in csat_counts("agent", None, None, {"1-5": 4})) == [
        ("ann@desk.example", 1, 1, 1), ("bob@desk.example", 1, 1, 0)]


def test_a_rule_s_resolution_is_asked_about_only_when_configured(desk) -> None:
    for overrides, asked in (({}, False), ({"csat_for_auto_closed": "true"}, True)):
        runtime = desk(**overrides)
        with database.atomic():
            ticket = ticket_of(f"quiet{asked}@customer.example", "waiting_for_customer",
                               since=NOW - timedelta(days=8))
            with UnitOfWork() as work:
                run_automations(ticket, Trigger(EventFacts("schedule")), runtime, NOW,
                                work=work)
            assert Ticket.get_by_id(ticket.id).status == "resolved"  # rule 4 did it
            assert (csat_store.latest(ticket.id) is not None) is asked
            assert not_asked(ticket) == ([] if asked else [
                "a rule resolved it ([csat] for_auto_closed)"])


def test_a_self_served_resolution_and_an_agent_s_own_ticket_are_not_asked_about(
        desk) -> None:
    runtime = desk()
    with database.atomic():
        served = ticket_of("zoe@customer.example")
        service.record_event(served, "kb.self_served", {"how": "reply"},
                             actor="zoe@customer.example", now=NOW)
        resolve_by_agent(served, runtime)
        own = ticket_of(AGENT)
        resolve_by_agent(own, runtime)
        assert (csat_store.latest(served.id), csat_store.latest(own.id)) == (None, None)
        assert not_asked(served) == [
            "the customer solved it with an article ([csat] for_self_served)"]
        assert not_asked(own) == ["the requester is an agent"]


def test_a_desk_with_csat_off_asks_nothing(desk) -> None:
    runtime = desk(csat_enabled="false")
    with database.atomic():
        ticket = ticket_of("zoe@customer.example")
        resolve_by_agent(ticket, runtime)
        assert csat_store.latest(ticket.id) is None
        assert not Outbox.select().where(Outbox.kind == "satisfaction_survey").exists()


def test_a_rating_is_changeable_for_change_days_and_only_the_requester_s(desk) -> None:
    from postdesk.store.models import Customer
    from postdesk.tickets.satisfaction import record_rating

    runtime = desk(csat_change_days=3)
    with database.atomic():
        ticket = ticket_of("zoe@customer.example")
        resolve_by_agent(ticket, runtime)
        survey = csat_store.latest(ticket.id)
        zoe = Customer.get(Customer.email == "zoe@customer.example")
        agent = service.find_or_create_customer(AGENT, "", language=None, timezone=None,
                                                now=NOW)
        stranger = service.find_or_create_customer("eve@elsewhere.example", "",
                                                   language=None, timezone=None, now=NOW)

        def rate(who: Customer, rating: int, days: float) -> str:
            return record_rating(survey, who, rating, "", channel="web", runtime=runtime,
                                 now=NOW + timedelta(days=days),
                                 desk_address="support@example.com").outcome

        # rated by a reply before the held survey went: the survey is not sent any more
        assert rate(zoe, 4, 0.01) == "recorded"
        assert Outbox.get_by_id(survey.outbox_id).state == "dropped"
        assert rate(agent, 1, 1) == "agent"
        assert rate(stranger, 1, 1) == "not_requester"
        assert rate(zoe, 6, 1) == "out_of_scale"
        assert rate(zoe, 2, 2.9) == "changed"
        assert rate(zoe, 5, 3.1) == "too_late"  # 3 days after the first answer
        assert csat_store.latest(ticket.id).rating == 2
        events = [e.data for e in Event.select().where(Event.kind == "satisfaction.rated")
                  .order_by(Event.id)]
        assert [(e["rating"], e["changed"]) for e in events] == [(4, False), (2, True)]


def test_a_rating_from_chat_joins_the_current_resolution_s_survey_or_makes_one(desk) -> None:
    from postdesk.tickets.csat_survey import survey_to_rate

    runtime = desk()
    with database.atomic():
        asked = ticket_of("zoe@customer.example")
        resolve_by_agent(asked, runtime)
        assert survey_to_rate(asked, "1-5", runtime, NOW).id == csat_store.latest(asked.id).id
        unasked = ticket_of("carl@customer.example")
        service.set_status(unasked, "resolved", actor=AGENT, now=NOW)
        made = survey_to_rate(unasked, "1-5", runtime, NOW)
        assert (made.resolution, made.outbox_id) == (1, None)
        assert survey_to_rate(unasked, "1-5", runtime, NOW).id == made.id
