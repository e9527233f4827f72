"""`postdesk status` and the metrics see mail that the relay keeps deferring.

The defect: the outbox's oldest wait was measured from the next retry time and only
over rows already due, so a notification deferred for minutes read "oldest 0 s" and
the desk looked healthy while it sent nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from postdesk.serve import health
from postdesk.serve.metrics import DeskCollector
from postdesk.store.db import utcnow
from postdesk.store.models import Outbox


def deferred(n: int, *, age_s: int, retry_in_s: int, error: str, not_before: Any = None) -> None:
    now = utcnow()
    Outbox.create(ticket=None, kind="acknowledgment", recipient=f"c{n}@customer.example",
                  message_id=f"<deferred-{n}@example.com>", state="pending", attempts=3,
                  last_error=error, created_at=now - timedelta(seconds=age_s),
                  next_attempt_at=now + timedelta(seconds=retry_in_s), not_before=not_before)


def test_a_deferred_notification_ages_from_its_creation(
        migrated: str, make_settings: Callable[..., Any]) -> None:
    settings = make_settings(migrated, status_max_pending_age=20)
    deferred(1, age_s=90, retry_in_s=60,
             error="relay 127.0.0.1:25: STARTTLS failed (CERTIFICATE_VERIFY_FAILED)")
    check = health.check_outbox(settings, utcnow())
    assert not check.ok
    assert "oldest waits longer than 20 s" in check.summary
    assert check.details["oldest_age_s"] >= 90
    assert check.details["deferred"] == 1
    assert "CERTIFICATE_VERIFY_FAILED" in check.details["last_error"]
    assert "1 deferred, last error: relay 127.0.0.1:25" in check.summary


def test_a_mail_held_for_business_hours_waits_from_the_end_of_its_hold(
        migrated: str, make_settings: Callable[..., Any]) -> None:
    settings = make_settings(migrated, status_max_pending_age=20)
    now = utcnow()
    Outbox.create(ticket=None, kind="acknowledgment", recipient="c@customer.example",
                  message_id="<held@example.com>", state="pending", attempts=0,
                  created_at=now - timedelta(hours=15), not_before=now - timedelta(seconds=5),
                  next_attempt_at=now - timedelta(seconds=5))
    check = health.check_outbox(settings, utcnow())
    assert check.ok, check.summary
    assert 4 <= check.details["oldest_age_s"] < 20
    assert check.details["deferred"] == 0


def test_metrics_show_the_wait_and_the_deferred_count(
        migrated: str, make_settings: Callable[..., Any]) -> None:
    settings = make_settings(migrated)
    deferred(1, age_s=90, retry_in_s=60, error="relay said 451 try later")
    families = {family.name: family for family in DeskCollector(settings, lambda: False).collect()}
    [oldest] = families["postdesk_outbox_oldest_due_seconds"].samples
    assert oldest.value >= 90
    [count] = families["postdesk_outbox_deferred"].samples
    assert count.value == 1


def test_metrics_show_the_incoming_lag_and_the_workers(
        migrated: str, make_settings: Callable[..., Any]) -> None:
    from postdesk.store import worker_beats
    from postdesk.worker.heartbeat import WorkerHeartbeat

    worker_beats.beat(WorkerHeartbeat().keeper, utcnow())
    families = {family.name: family
                for family in DeskCollector(make_settings(migrated), lambda: False).collect()}
    assert [s.value for s in families["postdesk_workers_alive"].samples] == [1]
    assert [s.value for s in families["postdesk_inbound_oldest_pending_seconds"].samples] == [0]
    assert "postdesk_inbound_last_processed_timestamp_seconds" not in families  # none yet
