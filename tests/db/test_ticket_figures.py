"""The reports' per-ticket figures (migration 20), on SQLite and PostgreSQL: kept in step by
the database's triggers as tickets change, they are what a from-scratch computation gives
(`postdesk report rebuild-figures`, the migration's back-fill). The history, with a pause
and a reopening, is `tests/kpi_history.py`; the figures by hand are in its docstring."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from kpi_history import ANN, BOB, at, make_history
from postdesk.cli.main import main
from postdesk.store import migrations, ticket_figures
from postdesk.store.db import database
from postdesk.store.models import SchemaVersion, Ticket
from postdesk.tickets import service

TABLES = {"ticket_figures": "ticket_id", "ticket_figure_clock": "ticket_id, clock",
          "ticket_status_change": "event_id"}


@pytest.fixture
def desk(migrated: str, make_settings: Callable[..., Any]) -> Iterator[Any]:
    settings = make_settings(migrated)
    make_history(settings)
    with database.connection_context(), database.atomic():
        # after the history: a ticket moves to another team and agent, one is self-served
        t2 = Ticket.get(Ticket.subject == "Printer")
        service.change_ticket(t2, "ticket.assigned", actor=ANN, now=at(9, 9),
                              team="support", assignee=ANN)
        service.record_event(t2, "kb.self_served", {"how": "reply"},
                             actor="amy@customer.example", now=at(9, 10))
    yield settings


def snapshot() -> dict[str, list[tuple[str, ...]]]:
    with database.connection_context():
        return {table: [tuple(str(v) for v in row) for row in database.execute_sql(
            f'SELECT * FROM "{table}" ORDER BY {order}').fetchall()]
            for table, order in TABLES.items()}


def figures_of(subject: str) -> dict[str, Any]:
    with database.connection_context():
        cursor = database.execute_sql(
            'SELECT f.* FROM "ticket_figures" f JOIN "ticket" t ON t.id = f.ticket_id '
            "WHERE t.subject = ?".replace("?", "%s" if database.param == "%s" else "?"),
            [subject])
        names = [d[0] for d in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def test_each_ticket_has_its_figures_as_computed_by_hand(desk: Any) -> None:
    vpn = figures_of("VPN")  # T1: paused while waiting for the customer, reopened once
    assert (vpn["team"], vpn["agent"], vpn["channel"]) == ("hardware", ANN, "smtp")
    assert vpn["acknowledged_s"] == 18 * 3600
    assert (vpn["first_response_state"], vpn["first_response_s"]) == ("met", 2 * 3600)
    assert vpn["resolution_s"] == 6 * 3600 and vpn["self_served"] == 0
    printer = figures_of("Printer")  # T2, moved to support and ann after it was resolved
    assert (printer["team"], printer["agent"], printer["channel"]) == ("support", ANN, "")
    assert (printer["acknowledged_s"], printer["resolution_s"]) == (1800, 5 * 3600)
    assert printer["self_served"] == 1
    assert figures_of("Hello")["acknowledged_s"] is None  # T4: only a rule touched it
    changes = {row[4]: row[5:7] for row in snapshot()["ticket_status_change"]
               if row[1] == str(Ticket.get(Ticket.subject == "Printer").id)}
    # the status changes carry the ticket's groups as they are now
    assert set(changes.values()) == {("support", ANN)} and BOB not in str(changes)


def test_the_figures_kept_by_the_triggers_are_those_of_a_rebuild(desk: Any) -> None:
    kept = snapshot()
    assert len(kept["ticket_figures"]) == 5 and len(kept["ticket_status_change"]) == 9
    with database.connection_context():
        for table in TABLES:
            database.execute_sql(f'DELETE FROM "{table}"')
        assert ticket_figures.rebuild(database, batch=2) == 5
    assert snapshot() == kept


def test_the_migration_fills_the_figures_of_a_desk_from_before_it(desk: Any) -> None:
    kept = snapshot()
    with database.connection_context():
        ticket_figures.uninstall(database)  # as before migration 20
        for table in TABLES:
            database.execute_sql(f'DROP TABLE "{table}"')
        SchemaVersion.delete().execute()
        SchemaVersion.create(version=17)
        assert migrations.migrate(database) == (17, migrations.head_version())
    assert snapshot() == kept


def test_rebuild_figures_resumes_after_the_last_ticket_it_reported(
        desk: Any, migrated: str, tmp_path: Any) -> None:
    kept = snapshot()
    with database.connection_context():
        database.execute_sql('DELETE FROM "ticket_figures"')
    runner = CliRunner(env={"POSTDESK_DATABASE_URL": migrated})
    config = str(tmp_path / "desk" / "postdesk.toml")
    first = runner.invoke(main, ["--config", config, "report", "rebuild-figures",
                                 "--batch", "2"])
    assert first.exit_code == 0, first.output
    assert "5 tickets" in first.output
    with database.connection_context():
        highest = Ticket.select().order_by(Ticket.id.desc()).first().id
        database.execute_sql('DELETE FROM "ticket_figures" WHERE ticket_id = ?'.replace(
            "?", "%s" if database.param == "%s" else "?"), [highest])
    again = runner.invoke(main, ["--config", config, "report", "rebuild-figures",
                                 "--after", str(highest - 1)])
    assert again.exit_code == 0, again.output
    assert "1 ticket" in again.output
    assert snapshot() == kept
