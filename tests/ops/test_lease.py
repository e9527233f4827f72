"""The scheduler lease on SQLite and PostgreSQL: one holder at a time, renewal, takeover."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from postdesk.store import db, migrations
from postdesk.store.lease import SCHEDULER, Lease, LeaseKeeper

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
TTL = timedelta(seconds=30)


@pytest.fixture
def lease_db(database_url: str) -> Iterator[str]:
    database = db.connect(database_url)
    with database.connection_context():
        migrations.migrate(database)
        Lease.drop_table(safe=True)
        Lease.create_table()
        yield database_url
        Lease.drop_table(safe=True)


def test_exactly_one_of_two_nodes_holds_the_lease(lease_db: str) -> None:
    a = LeaseKeeper(SCHEDULER, "node-a", TTL)
    b = LeaseKeeper(SCHEDULER, "node-b", TTL)
    assert a.try_acquire(T0)
    assert not b.try_acquire(T0 + timedelta(seconds=1))
    assert a.holds(T0 + timedelta(seconds=29)) and not b.holds(T0 + timedelta(seconds=1))
    holder, expires = a.current() or ("", T0)
    assert holder == "node-a" and expires == T0 + TTL
    assert Lease.select().count() == 1


def test_renewal_keeps_the_lease_past_the_first_ttl(lease_db: str) -> None:
    a = LeaseKeeper(SCHEDULER, "node-a", TTL)
    b = LeaseKeeper(SCHEDULER, "node-b", TTL)
    assert a.try_acquire(T0)
    for step in range(1, 6):  # renew every 10 s for 50 s: longer than the ttl
        now = T0 + timedelta(seconds=10 * step)
        assert a.try_acquire(now)
        assert not b.try_acquire(now + timedelta(seconds=1))
    row = Lease.get(Lease.name == SCHEDULER)
    assert row.holder == "node-a"
    assert row.acquired_at == T0.replace(tzinfo=None)  # leading since the first take


def test_takeover_after_expiry_and_the_old_holder_loses_it(lease_db: str) -> None:
    a = LeaseKeeper(SCHEDULER, "node-a", TTL)
    b = LeaseKeeper(SCHEDULER, "node-b", TTL)
    assert a.try_acquire(T0)
    assert not b.try_acquire(T0 + TTL)  # not before it has expired
    later = T0 + TTL + timedelta(seconds=1)
    assert b.try_acquire(later)
    assert not a.try_acquire(later + timedelta(seconds=1))  # a paused node comes back
    assert not a.holds(later + timedelta(seconds=1))
    assert (b.current() or ("", T0))[0] == "node-b"


def test_release_lets_the_next_node_in_at_once(lease_db: str) -> None:
    a = LeaseKeeper(SCHEDULER, "node-a", TTL)
    b = LeaseKeeper(SCHEDULER, "node-b", TTL)
    assert a.try_acquire(T0)
    assert not b.release()  # not b's to release
    assert a.release()
    assert b.try_acquire(T0 + timedelta(seconds=1))
    assert not a.release()


def test_leases_with_other_names_are_independent(lease_db: str) -> None:
    assert LeaseKeeper(SCHEDULER, "node-a", TTL).try_acquire(T0)
    assert LeaseKeeper("imap:support", "node-b", TTL).try_acquire(T0)


def race_for_the_lease(nodes: list[str], now: datetime) -> list[str]:
    """Each node on its own thread and connection tries at the same moment; the winners."""
    winners: list[str] = []
    barrier = threading.Barrier(len(nodes))

    def attempt(node: str) -> None:
        keeper = LeaseKeeper(SCHEDULER, node, TTL)
        with db.database.connection_context():
            barrier.wait(timeout=10)
            if keeper.try_acquire(now):
                winners.append(node)

    threads = [threading.Thread(target=attempt, args=(node,)) for node in nodes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return winners


def test_racing_nodes_on_their_own_connections_elect_one(lease_db: str) -> None:
    """Eight nodes race for a fresh lease, then eight others for the expired one."""
    assert len(race_for_the_lease([f"first-{n}" for n in range(8)], T0)) == 1
    later = T0 + TTL + timedelta(seconds=1)
    winners = race_for_the_lease([f"second-{n}" for n in range(8)], later)
    assert len(winners) == 1 and winners[0].startswith("second-")


def test_naive_times_are_refused(lease_db: str) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        LeaseKeeper(SCHEDULER, "node-a", TTL).try_acquire(datetime(2026, 3, 1, 9, 0))


def test_a_stopped_holder_never_takes_the_lease_again(lease_db: str) -> None:
    """A node stopping releases the lease for good: a scan its stop left running (a thread
    renewing the lease) cannot take it back, or `postdesk status` would call a stopped desk
    alive (CI: 'embedded: postdesk serve alive, heartbeat 1 s ago' after the stop)."""
    a = LeaseKeeper(SCHEDULER, "node-a", TTL)
    assert a.try_acquire(T0)
    assert a.stop()
    assert not a.try_acquire(T0 + timedelta(seconds=1))  # the late renewal
    assert Lease.get(Lease.name == SCHEDULER).expires_at.year == 1970  # still released
    assert LeaseKeeper(SCHEDULER, "node-b", TTL).try_acquire(T0 + timedelta(seconds=2))
