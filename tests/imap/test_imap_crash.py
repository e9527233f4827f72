"""SIGKILL `postdesk serve` while it takes mail from IMAP: nothing lost, nothing twice."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from conftest import free_port
from imap.conftest import imap_table
from imap.dovecot import Dovecot, children_of
from imap.test_imap_intake import append, flags
from mailbuild import customer_mail, wait_for
from postdesk.config.desk_init import init_desk
from postdesk.config.load import load_settings
from postdesk.store import db, migrations
from postdesk.store.models import Inbound

POSTDESK = str(Path(sys.executable).with_name("postdesk"))
TOTAL = 600


def serve(config: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTDESK_")}
    env["POSTDESK_SMTP_LISTEN"] = f"127.0.0.1:{free_port()}"
    env["POSTDESK_WEB_LISTEN"] = ""  # the skeleton's fixed port: off here
    with log.open("ab") as out:
        return subprocess.Popen([POSTDESK, "--config", str(config), "serve"], stdout=out,
                                stderr=subprocess.STDOUT, env=env)


def kill_desk(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL `postdesk serve`, then its worker processes, as systemd's KillMode=mixed would."""
    children = children_of(process.pid)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def stored() -> list[bytes]:
    with db.database.connection_context():
        return [bytes(row.raw) for row in Inbound.select(Inbound.raw)]


def test_sigkill_between_fetch_and_commit_loses_and_duplicates_nothing(
        dovecot: Dovecot, tmp_path: Path) -> None:
    client = dovecot.client()
    for number in range(TOTAL):
        client.append("INBOX", None, None, customer_mail(
            subject=f"Crash {number}", message_id=f"<crash-{number}@c.example>",
            body="x" * 2000 + f"\nnumber {number}\n").as_bytes())
    client.logout()
    config = init_desk(tmp_path / "desk")
    config.write_text(config.read_text() + imap_table(dovecot))
    database = db.connect(load_settings(config, environ={}).database_url)
    with database.connection_context():
        migrations.migrate(database)
    log = tmp_path / "serve.log"

    first = serve(config, log)
    try:
        wait_for(lambda: len(stored()) > 0, timeout=60, interval=0.002)
    finally:
        kill_desk(first)
    killed_at = len(stored())
    assert killed_at < TOTAL, "the kill came too late to prove anything"

    second = serve(config, log)
    try:
        wait_for(lambda: len(stored()) >= TOTAL, timeout=120, interval=0.1)
        time.sleep(1)
        raws = stored()
        assert len(raws) == TOTAL and len(set(raws)) == TOTAL
        assert {int(raw.rsplit(b"number ", 1)[1].split()[0]) for raw in raws} == set(range(TOTAL))
    finally:
        second.terminate()
        second.wait(timeout=30)


def test_sigkill_after_the_fetch_before_the_commit_takes_the_mail_once_on_restart(
        dovecot: Dovecot, tmp_path: Path) -> None:
    config = init_desk(tmp_path / "desk")
    config.write_text(config.read_text() + imap_table(dovecot))
    url = load_settings(config, environ={}).database_url
    database = db.connect(url)
    with database.connection_context():
        migrations.migrate(database)
    log = tmp_path / "serve.log"
    first = serve(config, log)
    try:
        wait_for(lambda: b"folder INBOX" in log.read_bytes(), timeout=60)
        time.sleep(1)  # the desk is idling
        blocker = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")  # the desk's commit waits for us
        append(dovecot, 1)
        time.sleep(3)  # it has fetched the mail and waits to commit it
    finally:
        kill_desk(first)
    blocker.execute("ROLLBACK")
    blocker.close()
    assert stored() == [] and flags(dovecot) == {1: ""}

    second = serve(config, log)
    try:
        wait_for(lambda: len(stored()) == 1, timeout=60, interval=0.1)
        wait_for(lambda: flags(dovecot) == {1: "\\Seen"}, timeout=15)
        time.sleep(1)
        assert [raw.count(b"IMAP question 1") for raw in stored()] == [1]
    finally:
        second.terminate()
        second.wait(timeout=30)
