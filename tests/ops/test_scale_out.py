"""Scale-out on the real servers: one intake node, separate workers, PostgreSQL + a broker.

`postdesk serve --no-worker` takes mail over SMTP and `postdesk worker` processes
consume a real Redis or RabbitMQ queue. Every test has its own PostgreSQL
database and its own queue name (dropped afterwards), so runs never collide.
After a burst every mail is exactly one ticket with exactly one acknowledgment,
also when a worker is killed with SIGKILL in the middle of it.
"""

from __future__ import annotations

import os
import signal
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conftest import free_port, require_service
from mailbuild import read_outgoing, wait_for
from ops.cluster import (
    POSTDESK,
    REDISPATCH_ENV,
    SEND_LEASE_ENV,
    Cluster,
    Process,
    mail_id,
    purge_rabbitmq_queue,
    send_burst,
)
from postdesk.config.desk_init import init_desk
from postdesk.config.load import load_settings
from postdesk.store import db
from postdesk.store.models import Inbound, Message, Outbox, Ticket
from scratch import purge_redis_queue, scratch_database, unique_name

REDIS_URL = os.environ.get("POSTDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
RABBITMQ_URL = os.environ.get("POSTDESK_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")
TOTAL = 200


def redis_available() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:
        require_service("Redis", f"{REDIS_URL}: {exc}")


def rabbitmq_available() -> None:
    import pika

    try:
        pika.BlockingConnection(pika.URLParameters(RABBITMQ_URL)).close()
    except Exception as exc:
        require_service("RabbitMQ", f"{RABBITMQ_URL}: {exc}")


BROKERS: dict[str, tuple[str, Callable[[], None], Callable[[str, str], None]]] = {
    "redis": (REDIS_URL, redis_available, purge_redis_queue),
    "rabbitmq": (RABBITMQ_URL, rabbitmq_available, purge_rabbitmq_queue),
}


@pytest.fixture
def cluster_database(postgres_url: str) -> Iterator[str]:
    """A database of this test's own on the session's PostgreSQL server."""
    server = postgres_url.rsplit("/", 1)[0] + "/postgres"
    with scratch_database(server, "postdesk_so") as url:
        try:
            yield url
        finally:
            db.database.close()


@pytest.fixture
def make_cluster(tmp_path: Path, cluster_database: str
                 ) -> Iterator[Callable[[str], Cluster]]:
    """make_cluster("redis" | "rabbitmq") -> an unstarted Cluster on its own queue."""
    made: list[tuple[Cluster, str, str, Callable[[str, str], None]]] = []

    def make(broker: str) -> Cluster:
        url, available, purge = BROKERS[broker]
        available()
        queue = unique_name("so")
        config = init_desk(tmp_path / "desk")
        cluster = Cluster(config, tmp_path, {
            "POSTDESK_DATABASE_URL": cluster_database,
            "POSTDESK_BROKER_URL": url,
            "POSTDESK_BROKER_QUEUE": queue,
            "POSTDESK_SMTP_LISTEN": f"127.0.0.1:{free_port()}",
            REDISPATCH_ENV: "5",
            **SEND_LEASE_ENV,
        })
        made.append((cluster, url, queue, purge))
        return cluster

    yield make
    for cluster, url, queue, purge in made:
        cluster.stop()
        purge(url, queue)


def wait_until_all_done(cluster: Cluster, database_url: str, timeout: float) -> None:
    db.connect(database_url)
    with db.database.connection_context():
        def settled() -> bool:
            pending_in = Inbound.select().where(Inbound.state == "pending").count()
            unsent = Outbox.select().where(Outbox.state != "sent").count()
            return Inbound.select().count() == TOTAL and pending_in == 0 and unsent == 0

        try:
            wait_for(settled, timeout=timeout, interval=0.25)
        except AssertionError:
            states = Counter(r.state for r in Inbound.select(Inbound.state))
            outbox = Counter(r.state for r in Outbox.select(Outbox.state))
            raise AssertionError(f"not settled in {timeout}s: inbound {dict(states)}, "
                                 f"outbox {dict(outbox)}\n{cluster.log_tail()}") from None


def assert_exactly_once(cluster: Cluster, database_url: str, tag: str) -> None:
    """Every mail: one inbound row done, one ticket, one acknowledgment row and file."""
    db.connect(database_url)
    with db.database.connection_context():
        states = Counter(row.state for row in Inbound.select(Inbound.state))
        assert states == {"done": TOTAL}, states
        per_mail = Counter(m.message_id for m in Message.select(Message.message_id)
                           .where(Message.direction == "in"))
        assert set(per_mail) == {mail_id(n, tag) for n in range(TOTAL)}
        assert set(per_mail.values()) == {1}, "a mail was stored twice"
        assert Ticket.select().count() == TOTAL
        per_ticket = Counter(o.ticket_id for o in Outbox.select(Outbox.ticket))
        assert len(per_ticket) == TOTAL and set(per_ticket.values()) == {1}
    settings = load_settings(cluster.config, environ={})
    files = read_outgoing(Path(settings.outgoing_transport.removeprefix("maildir:")))
    assert len(files) == TOTAL, "exactly one acknowledgment .eml per ticket"
    answered = Counter(str(mail["In-Reply-To"]) for mail in files)
    assert set(answered) == {f"<{mail_id(n, tag)}>" for n in range(TOTAL)}


def run_burst(cluster: Cluster, tag: str) -> set[int]:
    threads, acked = send_burst(cluster.port, TOTAL, tag)
    for thread in threads:
        thread.join(timeout=150)
    assert acked == set(range(TOTAL)), f"{TOTAL - len(acked)} mails never got a 250"
    return acked


@pytest.mark.slow
@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_intake_node_and_two_workers_handle_a_burst_exactly_once(
        broker: str, make_cluster: Callable[[str], Cluster], cluster_database: str) -> None:
    cluster = make_cluster(broker)
    cluster.start(workers=2)
    tag = broker
    run_burst(cluster, tag)
    wait_until_all_done(cluster, cluster_database, timeout=120)
    assert_exactly_once(cluster, cluster_database, tag)
    for n, worker in enumerate(cluster.workers):  # and no worker crashed on the way
        assert b"Traceback" not in worker.log.read_bytes(), cluster.log_tail()
        assert worker.proc.poll() is None, f"worker {n} died"


@pytest.mark.slow
@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_sigkill_of_a_worker_mid_burst_processes_and_sends_exactly_once(
        broker: str, make_cluster: Callable[[str], Cluster], cluster_database: str) -> None:
    """The killed worker's mails are finished by the other one: the broker may lose
    or re-deliver them, the outbox and the sweeper make it exactly once. The cluster's
    short re-dispatch delay (5 s) and send lease (10 s) keep it to seconds: with the
    defaults the sweeper waits 60 s, and an acknowledgment cut off mid-send 2 minutes."""
    cluster = make_cluster(broker)
    cluster.start(workers=2)
    tag = f"kill-{broker}"
    threads, acked = send_burst(cluster.port, TOTAL, tag)
    db.connect(cluster_database)
    with db.database.connection_context():
        wait_for(lambda: Inbound.select().where(Inbound.state == "done").count() >= 20,
                 timeout=60, interval=0.01)
        cluster.workers[0].kill()
        done_at_kill = Inbound.select().where(Inbound.state == "done").count()
    assert done_at_kill < TOTAL, "the kill came after the burst: no crash was tested"
    for thread in threads:
        thread.join(timeout=150)
    assert acked == set(range(TOTAL))
    wait_until_all_done(cluster, cluster_database, timeout=240)
    assert_exactly_once(cluster, cluster_database, tag)


def child_pids(pid: int) -> list[int]:
    """The processes a process started (Linux /proc)."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        children.extend(int(child) for child in text)
    return children


@pytest.mark.slow
def test_worker_with_processes_survives_a_killed_process_exactly_once(
        make_cluster: Callable[[str], Cluster], cluster_database: str, tmp_path: Path) -> None:
    """`postdesk worker --processes 2 --threads 4`: one broker connection, the CPU work in
    two spawned processes; one of them SIGKILLed mid-burst is replaced and its mail
    retried."""
    cluster = make_cluster("redis")
    cluster.start(workers=0)
    worker = Process([POSTDESK, "--config", str(cluster.config), "worker", "--processes", "2",
                      "--threads", "4"], cluster.env, tmp_path / "worker-p.log",
                     "postdesk worker ready")
    cluster.workers.append(worker)
    worker.wait_ready()
    pool = child_pids(worker.proc.pid)
    assert len(pool) >= 2, pool  # the two processes (and multiprocessing's tracker)
    tag = "processes"
    threads, acked = send_burst(cluster.port, TOTAL, tag)
    db.connect(cluster_database)
    with db.database.connection_context():
        wait_for(lambda: Inbound.select().where(Inbound.state == "done").count() >= 20,
                 timeout=60, interval=0.01)
        victim = max(pool)  # a pool process (spawned after the resource tracker)
        os.kill(victim, signal.SIGKILL)
    for thread in threads:
        thread.join(timeout=150)
    assert acked == set(range(TOTAL))
    wait_until_all_done(cluster, cluster_database, timeout=240)
    assert_exactly_once(cluster, cluster_database, tag)
    assert worker.proc.poll() is None, "the worker itself must survive"
    assert b"starting a new pool" in worker.log.read_bytes()
