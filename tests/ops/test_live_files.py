"""Live files as an admin meets them, against a real `postdesk serve`: a broken rules file
across restarts, what the log, `postdesk status` and `postdesk check` say, and how soon."""

from __future__ import annotations

import json
import re
import signal
import smtplib
from pathlib import Path

from mailbuild import customer_mail, read_outgoing, wait_for
from ops.served import ServedDesk
from rule_edits import BROKEN, OWN_RULE


def automation(desk: ServedDesk) -> Path:
    return desk.folder / "rules" / "automation.yaml"


def break_rules(desk: ServedDesk) -> int:
    """Append the broken line; the line YAML reports for it (the end of the file)."""
    path = automation(desk)
    text = path.read_text(encoding="utf-8") + BROKEN
    path.write_text(text, encoding="utf-8")
    return len(text.splitlines()) + 1


def send(desk: ServedDesk, sender: str = "zoe@customer.example",
         message_id: str = "<first@customer.example>") -> None:
    with smtplib.SMTP("127.0.0.1", desk.port, timeout=30) as client:
        client.send_message(customer_mail(sender=sender, message_id=message_id))


def acknowledgments(desk: ServedDesk) -> list[str]:
    """To whom the desk has written (the maildir transport's folder)."""
    return [m["To"].addresses[0].addr_spec
            for m in read_outgoing(desk.folder / "var" / "outgoing")]


def log_since(desk: ServedDesk, offset: int) -> str:
    return desk.output.read_text(errors="replace")[offset:]


def log_size(desk: ServedDesk) -> int:
    return len(desk.output.read_text(errors="replace")) if desk.output.exists() else 0


def ticket(desk: ServedDesk, number: int) -> dict:
    shown = desk.run("ticket", "show", str(number), "--json")
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)


def rules_check(desk: ServedDesk) -> tuple[int, dict]:
    result = desk.run("status", "--json")
    report = json.loads(result.stdout)
    return result.returncode, next(c for c in report["checks"] if c["name"] == "rules")


def test_a_restart_with_broken_rules_runs_on_the_last_good_ones(tmp_path: Path) -> None:
    desk = ServedDesk(tmp_path / "desk")
    rules = automation(desk)
    rules.write_text(rules.read_text(encoding="utf-8") + OWN_RULE, encoding="utf-8")
    try:
        desk.start()
    finally:
        desk.stop()
    line = break_rules(desk)

    started = log_size(desk)
    desk.start()  # it finds the first run's "postdesk ready": wait for this run's
    try:
        wait_for(lambda: "postdesk ready" in log_since(desk, started), timeout=90)
        send(desk)
        wait_for(lambda: acknowledgments(desk) == ["zoe@customer.example"],
                 timeout=60)
        assert ticket(desk, 1)["tags"] == ["desk-rules"]  # the desk's last good rules
        assert "rules/automation.yaml: 19 automations in force" in desk.tail(10**6)[:started]
        log = log_since(desk, started)
        assert f"rules/automation.yaml:{line}: " in log
        assert "the last good version stays in force (19 automations, validated" in log

        code, rules_state = rules_check(desk)
        assert code == 1 and not rules_state["ok"]
        [broken] = [f for f in rules_state["files"] if f["error"]]
        assert broken["name"] == "rules/automation.yaml" and broken["line"] == line
        assert broken["file"] == "rules/automation.yaml"
        assert broken["in_force"] == "last_good" and broken["broken_since"]
        assert broken["validated_at"] < broken["broken_since"]
        assert re.search(rf"^rules/automation\.yaml:{line}: .*\(since \d{{4}}-\d\d-\d\d "
                         r"\d\d:\d\d:\d\d UTC the desk runs on its last good version, "
                         r"validated ", rules_state["summary"])

        checked = desk.run("check")
        assert checked.returncode == 1
        assert f"error: rules/automation.yaml:{line}: " in checked.stderr
        assert re.search(r"warning: rules/automation\.yaml: since \d{4}-\d\d-\d\d "
                         r"\d\d:\d\d:\d\d UTC the desk runs on its last good version",
                         checked.stderr), checked.stderr
    finally:
        desk.stop()


def test_rules_broken_while_the_fresh_desk_runs_still_acknowledge(tmp_path: Path) -> None:
    """The defect as found: the worker process loads the rules at the first mail."""
    desk = ServedDesk(tmp_path / "desk", env={"POSTDESK_BROKER_WORKER_PROCESSES": "2"}).start()
    try:
        line = break_rules(desk)
        send(desk)
        wait_for(lambda: acknowledgments(desk), timeout=60)
        wait_for(lambda: f"rules/automation.yaml:{line}: " in desk.tail(20000), timeout=10)
    finally:
        desk.stop()


def test_a_desk_whose_rules_were_never_good_runs_on_the_shipped_ones(tmp_path: Path) -> None:
    desk = ServedDesk(tmp_path / "desk")
    line = break_rules(desk)
    desk.start()
    try:
        send(desk)
        wait_for(lambda: acknowledgments(desk), timeout=60)
        log = desk.tail(20000)
        assert f"rules/automation.yaml:{line}: " in log
        assert ("this desk never had a good version of rules/automation.yaml: the version "
                "Postdesk ships is in force until it is fixed (18 automations)") in log
        code, rules_state = rules_check(desk)
        assert code == 1 and "the version Postdesk ships" in rules_state["summary"]
        [broken] = [f for f in rules_state["files"] if f["error"]]
        assert broken["in_force"] == "shipped" and broken["line"] == line
    finally:
        desk.stop()


def test_an_edit_is_logged_within_the_reload_interval(tmp_path: Path) -> None:
    desk = ServedDesk(tmp_path / "desk", env={"POSTDESK_RULES_RELOAD_INTERVAL": "1"}).start()
    teams = desk.folder / "rules" / "teams.yaml"
    good = teams.read_text(encoding="utf-8")
    try:
        before = log_size(desk)
        teams.write_text("teams:\n  - nmae: support\n", encoding="utf-8")
        wait_for(lambda: "rules/teams.yaml:2: " in log_since(desk, before), timeout=4)
        assert "the last good version stays in force" in log_since(desk, before)

        before = log_size(desk)
        teams.write_text(good, encoding="utf-8")
        wait_for(lambda: re.search(r'msg="rules/teams\.yaml: \d+ teams?, \d+ agents? in force"',
                                   log_since(desk, before)), timeout=4)
    finally:
        desk.stop()


def test_sighup_reports_every_live_file_at_once(tmp_path: Path) -> None:
    desk = ServedDesk(tmp_path / "desk", env={"POSTDESK_RULES_RELOAD_INTERVAL": "3600"}).start()
    queues = desk.folder / "rules" / "queues.yaml"
    try:
        queues.write_text(queues.read_text(encoding="utf-8").replace(
            "\nqueues:\n", "\nqueues:\n  - name: everything\n", 1), encoding="utf-8")
        before = log_size(desk)
        desk.signal(signal.SIGHUP)
        expected = ["rules/automation.yaml: unchanged, 18 automations in force",
                    "rules/teams.yaml: unchanged, ", "rules/routing.yaml: unchanged, ",
                    "rules/queues.yaml: 7 queues in force", "rules/sla.yaml: unchanged, ",
                    "templates/: unchanged, no templates of its own in force",
                    "kb/: unchanged, 19 articles (de, en, pl) in force",
                    "rules/channels.yaml: unchanged, 0 chat channels, 6 reactions in force"]
        wait_for(lambda: all(e in log_since(desk, before) for e in expected), timeout=5)
        lines = log_since(desk, before).splitlines()
        assert sum("in force" in line for line in lines) == 8
    finally:
        desk.stop()
