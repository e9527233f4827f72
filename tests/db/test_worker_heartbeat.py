"""`postdesk status` fails when work waits and no worker is alive.

The defect: with every worker stopped, status said "8 messages queued" and healthy
for `max_pending_age` (300 s), although nothing would ever take them.
"""

from __future__ import annotations

from datetime import timedelta

from mailbuild import customer_mail, wait_for
from postdesk.serve import health
from postdesk.store import worker_beats
from postdesk.store.db import utcnow
from postdesk.store.inbound import Arrival, store_inbound
from postdesk.worker.heartbeat import WorkerHeartbeat


def waiting_mail() -> None:
    store_inbound(Arrival(raw=customer_mail().as_bytes(), mail_from="zoe@customer.example",
                          rcpt_to=("support@example.com",), source="pipe", peer="test"),
                  dispatched=False)


def test_no_worker_while_mail_waits_is_unhealthy(migrated: str) -> None:
    assert health.check_workers(utcnow()).ok  # nothing waits: no worker needed
    waiting_mail()
    check = health.check_workers(utcnow())
    assert not check.ok
    assert "none alive while 1 mails wait" in check.summary


def test_a_beating_worker_is_alive_until_it_stops(migrated: str) -> None:
    waiting_mail()
    heartbeat = WorkerHeartbeat(interval_s=0.05).start()
    try:
        wait_for(lambda: worker_beats.alive_workers(utcnow()) == 1)
        check = health.check_workers(utcnow())
        assert check.ok and check.summary == "1 alive"
    finally:
        heartbeat.stop()
    assert worker_beats.alive_workers(utcnow()) == 0
    assert not health.check_workers(utcnow()).ok


def test_a_dead_worker_expires(migrated: str) -> None:
    heartbeat = WorkerHeartbeat(ttl=timedelta(seconds=30))
    worker_beats.beat(heartbeat.keeper, utcnow())  # beats once, then "dies"
    assert worker_beats.alive_workers(utcnow()) == 1
    assert worker_beats.alive_workers(utcnow() + timedelta(seconds=31)) == 0
