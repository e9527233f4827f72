"""`send_queue_digest` rules: a queue mailed at 08:00 in each agent's time zone, once a day."""

from __future__ import annotations

import email
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path

import pytest

from postdesk.automation.loader import parse_rules
from postdesk.channels.email.sender import send_outbox
from postdesk.config.runtime import Runtime
from postdesk.config.settings import Settings
from postdesk.errors import RuleError
from postdesk.store.db import database
from postdesk.store.models import Outbox
from postdesk.ticket_queues.schedule import send_scheduled_digests
from postdesk.tickets import service

TEAMS = """teams:
  - name: support
    agents:
      - {email: agent.pl@example.com, name: "Support PL", language: pl, timezone: Europe/Warsaw}
      - {email: agent.en@example.com, name: "Support EN", timezone: UTC}
"""
DIGEST_RULE = """\
rules:
  - name: morning-digest
    on: schedule
    then:
      - send_queue_digest:
          queue: unassigned
          to: [support]
          at: "08:00"
          days: [mon, tue, wed, thu, fri]
"""
MONDAY = datetime(2026, 11, 23, tzinfo=UTC)  # winter: Warsaw is UTC+1


@pytest.fixture
def desk(migrated: str, make_settings: Callable[..., Settings]) -> Iterator[Runtime]:
    settings = make_settings(migrated)
    rules = Path(settings.path(settings.paths.rules))
    (rules / "teams.yaml").write_text(TEAMS)
    (rules / "automation.yaml").write_text(DIGEST_RULE)
    with database.connection_context():
        with database.atomic():
            customer = service.find_or_create_customer("zoe@customer.example", "Zoë",
                                                       language="en", timezone=None,
                                                       now=MONDAY)
            service.open_ticket(customer, "Printer on fire", now=MONDAY)
        yield Runtime(settings)


def at(hours: float, day: datetime = MONDAY) -> datetime:
    return day + timedelta(hours=hours)


def digests() -> list[tuple[str, str]]:
    return [(o.recipient, o.message_id) for o in
            Outbox.select().where(Outbox.kind == "queue_digest").order_by(Outbox.id)]


def test_each_agent_gets_it_at_eight_in_their_zone_once_a_weekday(desk: Runtime) -> None:
    assert send_scheduled_digests(at(6.5), desk) == []  # 07:30 in Warsaw
    assert len(send_scheduled_digests(at(7.1), desk)) == 1  # 08:06 in Warsaw
    assert [r for r, _ in digests()] == ["agent.pl@example.com"]
    assert send_scheduled_digests(at(7.2), desk) == []  # the next scan: already sent
    assert len(send_scheduled_digests(at(8.02), desk)) == 1  # 08:01 UTC
    assert [r for r, _ in digests()] == ["agent.pl@example.com", "agent.en@example.com"]
    assert send_scheduled_digests(at(9.5), desk) == []
    assert len(send_scheduled_digests(at(7.1 + 24), desk)) == 1  # Tuesday
    saturday = MONDAY + timedelta(days=5)
    assert send_scheduled_digests(at(7.1, saturday), desk) == []
    assert send_scheduled_digests(at(8.1, saturday), desk) == []


def test_a_desk_that_was_down_sends_it_late_within_the_hour_only(desk: Runtime) -> None:
    assert len(send_scheduled_digests(at(7.9), desk)) == 1  # 08:54 in Warsaw
    assert len(send_scheduled_digests(at(9.1), desk)) == 0  # 10:06 Warsaw, 09:06 UTC


def test_the_scheduled_digest_is_the_localized_queue_mail(desk: Runtime) -> None:
    [outbox_id] = send_scheduled_digests(at(7.1), desk)
    assert send_outbox(outbox_id, desk) == "sent"
    outgoing = Path(desk.settings.outgoing_transport.removeprefix("maildir:"))
    [path] = [p for p in outgoing.rglob("*") if p.is_file()]
    mail = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert mail["Subject"] == "Kolejka „Nieprzypisane”: 1 zgłoszenie"
    text = mail.get_body(("plain",)).get_content()
    assert "#1  Printer on fire" in text and "Adres do odpowiedzi: support+1-a." in text


@pytest.mark.parametrize(("text", "message"), [
    (DIGEST_RULE.replace("on: schedule", "on: ticket.created"),
     "rules/automation.yaml:3: 'send_queue_digest' runs from the schedule"),
    (DIGEST_RULE.replace("    then:", "    if: {status: new}\n    then:"),
     "rules/automation.yaml:4: a rule with 'send_queue_digest' takes no `if:`"),
    (DIGEST_RULE + "      - set_status: resolved\n",
     "rules/automation.yaml:2: 'send_queue_digest' is about the desk, not a ticket"),
    (DIGEST_RULE.replace('"08:00"', '"8 am"'),
     "rules/automation.yaml:8: '8 am' is not a time of day"),
    (DIGEST_RULE.replace("thu, fri", "thu, fry"),
     "rules/automation.yaml:9: unknown day 'fry'"),
])
def test_digest_rules_are_checked_when_loaded(text: str, message: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_rules(text)
    assert str(caught.value).startswith(message), str(caught.value)


def test_digest_rules_are_not_offered_tickets() -> None:
    rules = parse_rules(DIGEST_RULE)
    assert rules.for_event("schedule") == ()
    assert [r.name for r in rules.desk_rules] == ["morning-digest"]


def test_the_shipped_commented_rule_works_when_uncommented(tmp_path: Path) -> None:
    from postdesk.config.desk_init import init_desk

    init_desk(tmp_path / "desk")
    shipped = (tmp_path / "desk" / "rules" / "automation.yaml").read_text()
    block = shipped[shipped.index("  # - name: morning-digest"):]
    enabled = shipped.replace(block, "\n".join(line.replace("# ", "", 1)
                                               for line in block.splitlines()) + "\n")
    rules = parse_rules(enabled)
    [digest] = rules.desk_rules
    assert digest.actions[0].params["queue"] == "unassigned"
    assert digest.actions[0].params["days"] == frozenset(range(5))


def test_the_leaders_minute_scan_sends_due_digests(desk: Runtime) -> None:
    from postdesk.store.db import utcnow
    from postdesk.worker import schedule_scan

    rules = Path(desk.settings.path(desk.settings.paths.rules)) / "automation.yaml"
    rules.write_text(DIGEST_RULE.replace('"08:00"', f'"{utcnow():%H:%M}"')
                     .replace("[support]", "[agent.en@example.com]")
                     .replace("days: [mon, tue, wed, thu, fri]", "days: [mon, tue, wed, thu, "
                                                                   "fri, sat, sun]"))
    desk.live_rules.request_reload()
    dispatched: list[int] = []
    schedule_scan.run_once(desk, dispatched.append)
    assert [r for r, _ in digests()] == ["agent.en@example.com"]
    assert len(dispatched) == 1
    schedule_scan.run_once(desk, dispatched.append)
    assert len(dispatched) == 1  # once a day
