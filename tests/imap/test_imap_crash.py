"""SIGKILL `postdesk serve` while it works through a full mailbox: nothing lost, nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import free_port
from imap.conftest import imap_table
from imap.dovecot import Dovecot
from mailbuild import customer_mail, wait_for
from postdesk import db, migrations
from postdesk.config import load_settings
from postdesk.desk import init_desk
from postdesk.models import Inbound

POSTDESK = str(Path(sys.executable).with_name("postdesk"))
TOTAL = 600


def serve(config: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTDESK_")}
    env["POSTDESK_SMTP_LISTEN"] = f"127.0.0.1:{free_port()}"
    with log.open("ab") as out:
        return subprocess.Popen([POSTDESK, "--config", str(config), "serve"], stdout=out,
                                stderr=subprocess.STDOUT, env=env)


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
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
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
