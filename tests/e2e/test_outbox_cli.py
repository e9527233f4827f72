"""`postdesk outbox` (list, retry, drop) and `postdesk relay test`, as an operator runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from conftest import free_port, smtp_server
from mailbuild import customer_mail
from postdesk.config.desk_init import init_desk
from postdesk.config.load import load_settings
from postdesk.store import db
from postdesk.store.models import Outbox

POSTDESK = str(Path(sys.executable).with_name("postdesk"))


def run(config: Path, *args: str, stdin: bytes | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("POSTDESK_")}
    environ.update(env or {})
    return subprocess.run([POSTDESK, "--config", str(config), *args], input=stdin,
                          capture_output=True, timeout=60, env=environ)


@pytest.fixture
def desk(tmp_path: Path) -> Path:
    """A desk with ticket 1, its sent acknowledgment (outbox 1), a deferred mail (2) and
    a failed one (3)."""
    config = init_desk(tmp_path / "desk")
    assert run(config, "ingest", "-f", "zoe@customer.example",
               stdin=customer_mail().as_bytes()).returncode == 0
    assert run(config, "ingest", "--replay", "1").returncode == 0
    database = db.connect(load_settings(config, environ={}).database_url)
    with database.connection_context():
        now = db.utcnow()
        for n, (state, error) in enumerate((("pending", "relay said 451 4.7.1 greylisted"),
                                            ("failed", "gave up after 8 attempts")), start=2):
            Outbox.create(ticket=1, kind="acknowledgment", recipient=f"c{n}@customer.example",
                          message_id=f"<m{n}@example.com>", state=state, attempts=8 if n == 3
                          else 2, last_error=error, created_at=now - timedelta(minutes=5),
                          next_attempt_at=now + timedelta(minutes=2))
    database.close()
    return config


def rows(config: Path, *args: str) -> list[dict]:
    listed = run(config, "outbox", *args, "--json")
    assert listed.returncode == 0, listed.stderr
    return json.loads(listed.stdout)


def test_list_waiting_deferred_and_failed(desk: Path) -> None:
    assert [r["id"] for r in rows(desk)] == [2]
    [deferred] = rows(desk, "--deferred")
    assert deferred["last_error"] == "relay said 451 4.7.1 greylisted"
    assert deferred["attempts"] == 2 and deferred["next_attempt_at"]
    assert [(r["id"], r["state"]) for r in rows(desk, "--failed")] == [(3, "failed")]
    shown = run(desk, "outbox", "--deferred", env={"COLUMNS": "250"})
    assert b"greylisted" in shown.stdout and b"c2@customer.example" in shown.stdout


def test_retry_makes_a_failed_mail_due_again(desk: Path) -> None:
    retried = run(desk, "outbox", "retry", "3")
    assert retried.returncode == 0, retried.stderr
    [again] = [r for r in rows(desk) if r["id"] == 3]
    assert again["state"] == "pending" and again["attempts"] == 0
    assert run(desk, "outbox", "retry", "1").returncode == 1  # sent already
    assert run(desk, "outbox", "retry", "--all").returncode == 0
    assert rows(desk, "--failed") == []


def test_drop_is_recorded_on_the_ticket(desk: Path) -> None:
    assert run(desk, "outbox", "drop", "2").returncode == 2  # --reason is required
    dropped = run(desk, "outbox", "drop", "2", "--reason", "customer asked by phone")
    assert dropped.returncode == 0, dropped.stderr
    assert rows(desk) == []
    shown = json.loads(run(desk, "ticket", "show", "1", "--json").stdout)
    [event] = [e for e in shown["events"] if e["kind"] == "mail.dropped"]
    assert event["data"]["reason"] == "customer asked by phone"
    assert event["actor"].startswith("operator:")


class Relay:
    def __init__(self) -> None:
        self.received: list[list[str]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.received.append(list(envelope.rcpt_tos))
        return "250 OK"


def test_relay_test_shows_the_session_and_sends(tmp_path: Path) -> None:
    config = init_desk(tmp_path / "desk")
    handler = Relay()
    with smtp_server(handler) as port:
        env = {"POSTDESK_OUTGOING_TRANSPORT": f"smtp://127.0.0.1:{port}"}
        tested = run(config, "relay", "test", "--to", "ops@example.org", env=env)
    assert tested.returncode == 0, tested.stderr
    out = tested.stdout.decode()
    assert "EHLO" in out and "offers" in out and "TLS: none" in out
    assert "test mail to ops@example.org accepted" in out
    assert handler.received == [["ops@example.org"]]


def test_relay_test_says_why_it_cannot_connect(tmp_path: Path) -> None:
    config = init_desk(tmp_path / "desk")
    env = {"POSTDESK_OUTGOING_TRANSPORT": f"smtp://127.0.0.1:{free_port()}"}
    tested = run(config, "relay", "test", env=env)
    assert tested.returncode == 75
    assert b"relay 127.0.0.1" in tested.stderr


def test_check_warns_when_the_relay_cannot_be_reached(tmp_path: Path) -> None:
    config = init_desk(tmp_path / "desk")
    env = {"POSTDESK_OUTGOING_TRANSPORT": f"smtp://127.0.0.1:{free_port()}"}
    checked = run(config, "check", env=env)
    assert checked.returncode == 0, checked.stderr  # a warning: the relay may be down just now
    assert b"relay 127.0.0.1" in checked.stderr and b"cannot be reached" in checked.stderr
    handler = Relay()
    with smtp_server(handler) as port:
        env = {"POSTDESK_OUTGOING_TRANSPORT": f"smtp://127.0.0.1:{port}"}
        assert b"cannot be reached" not in run(config, "check", env=env).stderr
