"""The last good version of a live file and its state, kept in the database (both engines)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from postdesk.store import live_files
from postdesk.store.db import database
from postdesk.store.models import LiveFileText

T0 = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
MAIN = ("rules/automation.yaml", "rules:\n  - name: first\n")
EXTRA = ("rules/automation.d/10-vip.yaml", "rules:\n  - name: vip\n")


def record(**changes: object) -> None:
    values: dict = {"in_force": "file", "summary": "2 automations", "error": None,
                    "broken_since": None, "good": [MAIN, EXTRA], "validated_at": T0, "now": T0}
    values.update(changes)
    live_files.record("rules/automation.yaml", **values)


def test_the_last_good_version_comes_back_in_the_order_it_was_read(migrated: str) -> None:
    record()
    # automation.d sorts before automation.yaml by name; the order read is kept instead
    assert live_files.last_good("rules/automation.yaml") == ((MAIN, EXTRA), T0)
    assert live_files.last_good("rules/sla.yaml") is None

    record(good=[MAIN, EXTRA], validated_at=T0 + timedelta(hours=1),
           now=T0 + timedelta(hours=1))  # the same version again: validated when first seen
    assert live_files.last_good("rules/automation.yaml") == ((MAIN, EXTRA), T0)

    later = T0 + timedelta(days=1)
    record(good=[MAIN], validated_at=later, now=later)
    assert live_files.last_good("rules/automation.yaml") == ((MAIN,), later)


def test_a_broken_file_keeps_its_last_good_version_and_since_when(migrated: str) -> None:
    record()
    broken_at = T0 + timedelta(minutes=5)
    record(in_force="last_good", error="rules/automation.yaml:3: invalid", good=None,
           broken_since=broken_at, now=broken_at)
    restart = T0 + timedelta(minutes=30)  # a restart sees it broken "since now": not so
    record(in_force="last_good", error="rules/automation.yaml:4: other", good=None,
           broken_since=restart, now=restart)
    [row] = live_files.records()
    assert row.error == "rules/automation.yaml:4: other" and row.broken_since == broken_at
    assert row.in_force == "last_good" and row.validated_at == T0 and row.recorded_at == restart
    assert live_files.last_good("rules/automation.yaml") == ((MAIN, EXTRA), T0)

    fixed = T0 + timedelta(hours=1)
    record(good=[MAIN], validated_at=fixed, now=fixed)
    [row] = live_files.records()
    assert row.error is None and row.broken_since is None and row.in_force == "file"


def test_a_last_good_text_altered_in_the_database_is_not_used(migrated: str) -> None:
    record()
    with database.atomic():
        (LiveFileText.update(text="rules: [garbage\n")
         .where(LiveFileText.position == 1).execute())
    assert live_files.last_good("rules/automation.yaml") is None
