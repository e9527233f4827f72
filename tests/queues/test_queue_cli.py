"""`postdesk queue`: counts, a queue as a table and as JSON, titles per language, and
`--watch` showing a new mail within a second (driven in a pseudo-terminal)."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path

from mailbuild import customer_mail, send_mail, wait_for
from postdesk.config.settings import Settings
from postdesk.store.models import Ticket
from queues.conftest import QueueDesk

QUEUES = """\
queues:
  - name: hardware
    title: {en: "Hardware", pl: "Sprzęt", de: "Hardware-Team"}
    if: {team: hardware}
    sort: [sla_due]
    columns: [id, subject, assignee, sla_due]
  - name: everything
    sort: [-created]
"""


def test_queue_lists_counts_and_shows_one_queue(queue_desk: QueueDesk) -> None:
    d = queue_desk
    (d.rules / "queues.yaml").write_text(QUEUES)
    late = d.ticket("Broken screen", minutes_ago=250, team="hardware")
    soon = d.ticket("Mouse", minutes_ago=10, team="hardware", assignee="ann@example.com")
    d.ticket("Password")
    listing = json.loads(d.cli("queue", "--json").output)
    assert listing == [{"name": "hardware", "title": "Hardware", "count": 2},
                       {"name": "everything", "title": "everything", "count": 3}]
    polish = json.loads(d.cli("queue", "--json", "--lang", "pl").output)
    assert polish[0]["title"] == "Sprzęt"
    table = d.cli("queue").output
    assert "hardware" in table and "Hardware" in table and re.search(r"│ +2 │", table)

    shown = d.cli("queue", "hardware", "--lang", "de")
    assert shown.exit_code == 0, shown.output
    assert shown.output.startswith("Hardware-Team (2)")
    assert shown.output.index("Broken screen") < shown.output.index("Mouse")
    assert re.search(r"Erste Antwort: seit (10|9) Min\. überfällig", shown.output), shown.output
    assert "ann@example.com" in shown.output and "Anfragende Person" not in shown.output
    english = d.cli("queue", "hardware", "--lang", "en").output
    assert "first reply 10m over" in english or "first reply 9m over" in english

    rows = json.loads(d.cli("queue", "hardware", "--json").output)
    assert [r["id"] for r in rows] == [late, soon]
    assert all(list(r) == ["id", "subject", "status", "public_status", "priority",
                           "requester", "assignee", "team", "request_type", "sla"]
               for r in rows)
    assert set(rows[0]["sla"]) == {"first_response", "resolution"}
    assert set(rows[0]["sla"]["first_response"]) == {"state", "due", "remaining_s"}
    assert rows[0]["sla"]["first_response"]["state"] == "breached"
    assert rows[1]["requester"]["email"] == "zoe@customer.example"
    limited = json.loads(d.cli("queue", "everything", "--json", "--limit", "1").output)
    assert len(limited) == 1


def test_unknown_queue_and_broken_file_are_clear_errors(queue_desk: QueueDesk) -> None:
    d = queue_desk
    (d.rules / "queues.yaml").write_text(QUEUES)
    missing = d.cli("queue", "hardwar")
    assert missing.exit_code == 1
    assert "no queue named 'hardwar' (hardware, everything)" in missing.output
    (d.rules / "queues.yaml").write_text("queues:\n  - name: x\n    if: {stauts: new}\n")
    broken = d.cli("queue")
    assert broken.exit_code == 1
    assert "rules/queues.yaml:3: unknown condition 'stauts'" in broken.output
    checked = d.cli("check")
    assert checked.exit_code != 0
    assert "rules/queues.yaml:3: unknown condition 'stauts'" in checked.output


# --- --watch in a pseudo-terminal -----------------------------------------------------------

ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\r")


class Terminal:
    """A process on a 200x50 pseudo-terminal, its screen output collected as text."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
        self.process = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave,
                                        env=env, close_fds=True)
        os.close(slave)
        self.seen = b""

    def read_until(self, text: str, timeout: float) -> float:
        """Seconds it took until `text` was on screen; fails after `timeout`."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if text.encode() in ANSI.sub(b"", self.seen):
                return time.monotonic() - start
            ready, _, _ = select.select([self.master], [], [], 0.02)
            if ready:
                try:
                    self.seen += os.read(self.master, 65536)
                except OSError:
                    break
        raise AssertionError(f"{text!r} not on screen within {timeout}s; screen: "
                             f"{ANSI.sub(b'', self.seen)[-2000:].decode(errors='replace')}")

    def close(self) -> None:
        """Ctrl-C, reading the screen meanwhile: a terminal nobody reads fills up, and the
        view's last redraw would then block its exit."""
        self.process.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 10
        while self.process.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if ready:
                try:
                    self.seen += os.read(self.master, 65536)
                except OSError:
                    break
        try:
            self.process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self.master)


def test_a_new_mail_appears_in_the_watch_view_within_a_second(
        make_settings: Callable[..., Settings], sqlite_url: str,
        start_daemon: Callable[[Settings], object]) -> None:
    settings = make_settings(sqlite_url)
    daemon = start_daemon(settings)
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTDESK_")}
    env.update({"POSTDESK_DATABASE_URL": sqlite_url, "TERM": "xterm-256color",
                "COLUMNS": "200", "LINES": "50"})
    postdesk = str(Path(sys.executable).with_name("postdesk"))
    screen = Terminal([postdesk, "--config", str(settings.source), "queue", "unassigned",
                       "--watch", "--interval", "0.3"], env)
    try:
        screen.read_until("Unassigned (0)", timeout=30)
        send_mail(daemon, customer_mail(subject="Kettle leaks on floor 3"))
        wait_for(lambda: Ticket.select().where(Ticket.subject.contains("Kettle")).exists())
        took = screen.read_until("Kettle leaks on floor 3", timeout=5)
        assert took < 1.0, f"the new ticket took {took:.2f}s to appear"
        screen.read_until("Unassigned (1)", timeout=1)
        assert screen.process.poll() is None  # still watching
    finally:
        screen.close()
    assert screen.process.returncode == 0


def test_queue_in_polish_translates_headings_names_and_times(queue_desk: QueueDesk) -> None:
    """`--lang pl` is Polish throughout, not only the title (issue 24)."""
    d = queue_desk
    (d.rules / "queues.yaml").write_text(QUEUES.replace(
        "columns: [id, subject, assignee, sla_due]",
        "columns: [id, subject, status, priority, sla_due]"))
    d.ticket("Broken screen", minutes_ago=250, team="hardware", priority="urgent")
    d.ticket("Mouse", minutes_ago=200, team="hardware", status="in_progress")
    listing = d.cli("queue", "--lang", "pl")
    assert listing.exit_code == 0, listing.output
    assert listing.output.startswith("Kolejki (2)")
    assert "Liczba zgłoszeń" in listing.output and "Tickets" not in listing.output
    shown = d.cli("queue", "hardware", "--lang", "pl")
    assert shown.exit_code == 0, shown.output
    text = shown.output
    assert text.startswith("Sprzęt (2)")
    # the clocks in the words of the queue digests mailed to agents
    for polish in ("Temat", "Priorytet", "Pilny", "Normalny", "Pierwsza odpowiedź",
                   "termin przekroczony, spóźnienie: ", "termin się zbliża, pozostało: ",
                   " min"):
        assert polish in text, (polish, text)
    for english in ("Subject", "Priority", "urgent", "normal", "first reply",
                    " over", " left", "as of"):
        assert english not in text, (english, text)
    assert "in_progress" in text  # the word agents type in #status, as in rules/statuses.yaml


def test_queue_refuses_an_unknown_language(queue_desk: QueueDesk) -> None:
    done = queue_desk.cli("queue", "--lang", "xx")
    assert done.exit_code == 1
    assert "--lang: 'xx' is not a language code" in done.output
