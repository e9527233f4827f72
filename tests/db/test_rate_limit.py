"""The brake on automatic mail: per address and desk-wide, on SQLite and PostgreSQL.

The desk-wide count is estimated between counts (one per second per worker) but
counted for every mail near the limit, so mail from other workers cannot push the
desk over it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from postdesk.config.settings import LimitsSettings
from postdesk.notify import ratelimit
from postdesk.notify.ratelimit import automatic_mail_held_back
from postdesk.store.db import database, utcnow
from postdesk.store.models import Outbox

_serial = iter(range(10**9))


@pytest.fixture
def connected(migrated: str) -> Iterator[None]:
    ratelimit._desk = ratelimit._DeskCount()  # no estimate from another test's database
    with database.connection_context():
        yield


def queue_automatic(count: int, recipient: str = "", age: timedelta = timedelta(0)) -> None:
    """Automatic outbox rows as other workers queue them."""
    at = utcnow() - age
    rows = [{"kind": "acknowledgment", "recipient": recipient or f"c{n}@x.example",
             "message_id": f"<auto-{next(_serial)}@example.com>", "automatic": True,
             "next_attempt_at": at, "created_at": at} for n in range(count)]
    with database.atomic():
        for start in range(0, len(rows), 500):
            Outbox.insert_many(rows[start:start + 500]).execute()


def limits(total: int, per_address: int = 10) -> LimitsSettings:
    return LimitsSettings(auto_replies_total=total, auto_replies_per_address=per_address,
                          auto_reply_window=3600)


def test_one_address_gets_no_more_than_its_share(connected) -> None:
    queue_automatic(3, recipient="zoe@customer.example")
    reason = automatic_mail_held_back("Zoe@Customer.example", utcnow(), limits(1000, 3))
    assert reason is not None and "3 automatic mails to Zoe@Customer.example" in reason
    assert automatic_mail_held_back("ann@customer.example", utcnow(), limits(1000, 3)) is None


def test_mail_older_than_the_window_does_not_count(connected) -> None:
    queue_automatic(5, recipient="zoe@customer.example", age=timedelta(hours=2))
    assert automatic_mail_held_back("zoe@customer.example", utcnow(), limits(4, 3)) is None


def test_near_the_limit_the_desk_counts_what_other_workers_queued(connected) -> None:
    queue_automatic(950)
    assert automatic_mail_held_back("a@x.example", utcnow(), limits(1000)) is None
    queue_automatic(50)  # another worker, a moment later
    reason = automatic_mail_held_back("b@x.example", utcnow(), limits(1000))
    assert reason is not None and "(desk limit 1000)" in reason and "1000 automatic" in reason


def test_a_small_desk_limit_is_always_counted_exactly(connected) -> None:
    assert automatic_mail_held_back("a@x.example", utcnow(), limits(3)) is None
    queue_automatic(3)
    assert "desk limit 3" in (automatic_mail_held_back("b@x.example", utcnow(), limits(3)) or "")


def test_far_below_the_limit_the_estimate_is_renewed_every_second(
        connected, monkeypatch: pytest.MonkeyPatch) -> None:
    queue_automatic(10)
    assert automatic_mail_held_back("a@x.example", utcnow(), limits(10_000)) is None
    monkeypatch.setattr(ratelimit, "DESK_RECOUNT_S", 0.0)  # the second has passed
    queue_automatic(9_990)
    reason = automatic_mail_held_back("b@x.example", utcnow(), limits(10_000))
    assert reason is not None and "10000 automatic mails" in reason
