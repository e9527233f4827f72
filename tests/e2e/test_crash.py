"""Nothing is lost, nothing is sent twice: SIGKILL the daemon in the middle of a burst.

A client sends 1,000 mails over several connections while `postdesk serve`
is killed with SIGKILL part-way and started again; the client re-sends every
mail that did not get its 250 (as an MTA would). Afterwards every mail that
got a 250 is in exactly one ticket, exactly once, and exactly one
acknowledgment exists per ticket.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from email.message import EmailMessage
from pathlib import Path

import pytest

from conftest import free_port
from mailbuild import customer_mail, read_outgoing, send_until_accepted, wait_for
from postdesk.config.desk_init import init_desk
from postdesk.config.load import load_settings
from postdesk.store import db
from postdesk.store.models import Inbound, Message, Outbox, Ticket

POSTDESK = str(Path(sys.executable).with_name("postdesk"))
TOTAL = 1000
KILL_AFTER = 350
CONNECTIONS = 4


class Daemon:
    def __init__(self, config: Path, port: int, log: Path, processes: int = 0) -> None:
        self.config, self.port, self.log = config, port, log
        self.processes = processes  # [broker] worker_processes
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("POSTDESK_")}
        env["POSTDESK_SMTP_LISTEN"] = f"127.0.0.1:{self.port}"
        env["POSTDESK_WEB_LISTEN"] = ""  # the skeleton's fixed port: off here
        env["POSTDESK_BROKER_WORKER_PROCESSES"] = str(self.processes)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen([POSTDESK, "--config", str(self.config), "serve"],
                                            stdout=log, stderr=subprocess.STDOUT, env=env)
        # worker processes: ready once their fork server has prepared the desk, which
        # takes a loaded machine more than 30 s
        wait_for(lambda: b"postdesk ready" in self.log.read_bytes().split(b"KILLED")[-1],
                 timeout=90 if self.processes else 30)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        with self.log.open("ab") as log:
            log.write(b"\nKILLED\n")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


def crash_mail(number: int) -> EmailMessage:
    return customer_mail(sender=f"Customer {number} <customer{number}@crash.example>",
                         subject=f"Crash test {number}",
                         message_id=f"<crash-{number}@crash.example>",
                         body=f"Mail number {number}.\n")


@pytest.mark.slow
def test_sigkill_mid_burst_loses_nothing_and_duplicates_nothing(tmp_path: Path) -> None:
    config = init_desk(tmp_path / "desk")
    daemon = Daemon(config, free_port(), tmp_path / "serve.log")
    daemon.start()
    acked: set[int] = set()
    lock = threading.Lock()
    deadline = time.monotonic() + 240
    shares = [list(range(i, TOTAL, CONNECTIONS)) for i in range(CONNECTIONS)]
    clients = [threading.Thread(target=send_until_accepted,
                                args=(daemon.port, share, crash_mail, acked, lock, deadline))
               for share in shares]
    try:
        for client in clients:
            client.start()
        wait_for(lambda: len(acked) >= KILL_AFTER, timeout=120, interval=0.005)
        daemon.kill()
        killed_at = len(acked)
        time.sleep(0.5)
        daemon.start()
        for client in clients:
            client.join(timeout=max(deadline - time.monotonic(), 1))
        assert acked == set(range(TOTAL)), f"{TOTAL - len(acked)} mails never got a 250"
        assert killed_at < TOTAL  # the kill really happened mid-burst

        settings = load_settings(config, environ={})
        database = db.connect(settings.database_url)
        with database.connection_context():
            wait_for(lambda: Inbound.select().where(Inbound.state == "pending").count() == 0,
                     timeout=120, interval=0.2)
            wait_for(lambda: Outbox.select().where(Outbox.state != "sent").count() == 0,
                     timeout=120, interval=0.2)
            per_mail = Counter(m.message_id for m in Message.select(Message.message_id)
                               .where(Message.direction == "in"))
            assert set(per_mail) == {f"crash-{n}@crash.example" for n in range(TOTAL)}
            assert set(per_mail.values()) == {1}, "a mail was stored twice"
            assert Ticket.select().count() == TOTAL
            per_ticket = Counter(o.ticket_id for o in Outbox.select(Outbox.ticket))
            assert len(per_ticket) == TOTAL and set(per_ticket.values()) == {1}
            states = Counter(row.state for row in Inbound.select(Inbound.state))
            assert set(states) <= {"done", "duplicate"}, states
        files = read_outgoing(Path(settings.outgoing_transport.removeprefix("maildir:")))
        assert len(files) == TOTAL, "exactly one acknowledgment file per ticket"
        answered = Counter(str(mail["In-Reply-To"]) for mail in files)
        assert len(answered) == TOTAL and set(answered.values()) == {1}
    finally:
        daemon.stop()


def descendants(pid: int) -> set[int]:
    """Every process below `pid` (Linux /proc), however deep."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        for task in Path(f"/proc/{todo.pop()}/task").glob("*"):
            try:
                children = {int(c) for c in (task / "children").read_text().split()}
            except OSError:  # the task ended while we looked
                continue
            todo.extend(children - found)
            found |= children
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended; only its parent has not read its status yet


def test_worker_processes_end_with_a_killed_daemon(tmp_path: Path) -> None:
    """SIGKILL of `postdesk serve` leaves no worker process behind holding the database."""
    config = init_desk(tmp_path / "desk")
    daemon = Daemon(config, free_port(), tmp_path / "serve.log", processes=2)
    daemon.start()
    assert daemon.process is not None
    below = descendants(daemon.process.pid)
    assert len(below) >= 3, below  # the fork server and its two workers (and mp's tracker)
    daemon.kill()
    wait_for(lambda: not any(alive(pid) for pid in below), timeout=15)
