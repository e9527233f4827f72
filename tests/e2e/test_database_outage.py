"""Database away -> 451 (the sending MTA retries); back -> 250 again. Real PostgreSQL."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator

import pytest

from conftest import PG_SERVER, require_service
from mailbuild import customer_mail, wait_for
from postdesk.store.models import Inbound, Ticket
from scratch import scratch_database


@pytest.fixture
def own_database() -> Iterator[tuple[str, object]]:
    try:
        import psycopg

        admin = psycopg.connect(PG_SERVER, autocommit=True, connect_timeout=3)
    except Exception as exc:
        require_service("PostgreSQL", str(exc))
    with admin, scratch_database(PG_SERVER, "postdesk_outage") as url:
        yield url, (admin, url.rsplit("/", 1)[1])


def test_database_outage_answers_451_then_recovers(own_database, make_settings, start_daemon):
    url, (admin, name) = own_database
    daemon = start_daemon(make_settings(url))
    host, port = daemon.address

    def send(number: int) -> tuple[int, bytes]:
        with smtplib.SMTP(host, port, timeout=30) as client:
            client.ehlo()
            client.mail("zoe@customer.example")
            client.rcpt("support@example.com")
            return client.data(customer_mail(message_id=f"<outage-{number}@customer.example>",
                                             subject=f"Outage {number}").as_bytes())

    assert send(1)[0] == 250
    wait_for(lambda: Ticket.select().count() == 1)

    admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
    admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                  (name,))
    code, text = send(2)
    assert code == 451 and b"4.3.0 database unavailable" in text  # Postfix logs why

    admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    assert send(3)[0] == 250

    from postdesk.store import db

    db.database.close()
    wait_for(lambda: Ticket.select().count() == 2, timeout=30)
    subjects = sorted(t.subject for t in Ticket.select())
    assert subjects == ["Outage 1", "Outage 3"]
    assert Inbound.select().count() == 2  # the refused mail was never half-stored
