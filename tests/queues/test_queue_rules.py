"""rules/queues.yaml: checked with file:line errors, titles per language, reloaded live."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from postdesk.automation.model import Vocabulary
from postdesk.config import live_specs
from postdesk.config.live import LiveFile
from postdesk.config.shipped import shipped
from postdesk.errors import RuleError
from postdesk.ticket_queues.loader import load_queues, parse_queues

ISSUE_EXAMPLE = """\
queues:
  - name: unassigned-hardware
    title: {en: "Unassigned hardware", pl: "Sprzęt – nieprzypisane",
            de: "Hardware – nicht zugewiesen"}
    if: {request_type: [hardware], assignee: none, status: [new, triage, in_progress]}
    sort: [sla_due, created]
    columns: [id, subject, requester, status, priority, sla_due]
  - name: breaching-soon
    if: {sla_state: [warning, breached]}
    sort: [sla_due]
  - name: printers
    if: {subject_contains: "printer"}    # case-insensitive
    sort: [created]
"""


def test_the_issue_example_loads_with_titles_per_language() -> None:
    book = parse_queues(ISSUE_EXAMPLE)
    assert book.names == ("unassigned-hardware", "breaching-soon", "printers")
    queue = book.get("unassigned-hardware")
    assert queue is not None
    assert queue.title("pl") == "Sprzęt – nieprzypisane"
    assert queue.title("de_AT") == "Hardware – nicht zugewiesen"
    assert queue.title("fr") == "Unassigned hardware"
    assert queue.title("fr", default_language="pl") == "Sprzęt – nieprzypisane"
    assert queue.columns == ("id", "subject", "requester", "status", "priority", "sla_due")
    printers = book.get("printers")
    assert printers is not None and printers.title("pl") == "printers"
    assert printers.sort == (("created", False),)


@pytest.mark.parametrize(("text", "message"), [
    ("queues:\n  - name: x\n    if: {stauts: [new]}\n",
     "rules/queues.yaml:3: unknown condition 'stauts' (did you mean 'status'?)"),
    ("queues:\n  - name: x\n    if:\n      body_contains: invoice\n",
     "rules/queues.yaml:4: 'body_contains' is about a mail or an event; a queue lists tickets"),
    ("queues:\n  - name: x\n    if: {sla_state: [late]}\n",
     "rules/queues.yaml:3: unknown SLA state 'late'"),
    ("queues:\n  - name: x\n    if: {status: [nwe]}\n",
     "rules/queues.yaml:3: unknown status 'nwe' (did you mean 'new'?)"),
    ("queues:\n  - name: x\n    sort: [sla_dew]\n",
     "rules/queues.yaml:3: unknown sort key 'sla_dew' (did you mean 'sla_due'?)"),
    ("queues:\n  - name: x\n    columns: [id, subjet]\n",
     "rules/queues.yaml:3: unknown column 'subjet' (did you mean 'subject'?)"),
    ("queues:\n  - name: x\n  - name: x\n",
     "rules/queues.yaml:3: queue name 'x' is already used at rules/queues.yaml:2"),
    ("queues:\n  - name: Big Queue\n", "rules/queues.yaml:2: queue name 'Big Queue' may use"),
    ("queues:\n  - name: x\n    if: {team: [hardwre]}\n",
     "rules/queues.yaml:3: unknown team 'hardwre' (did you mean 'hardware'?)"),
    ("queues:\n  - name: x\n    limit: 0\n", "rules/queues.yaml:3: 'limit' must be between"),
])
def test_mistakes_are_reported_with_file_and_line(text: str, message: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_queues(text, Vocabulary(teams=frozenset({"hardware", "support"})))
    assert str(caught.value).startswith(message), str(caught.value)


def test_the_shipped_queues_load(tmp_path: Path) -> None:
    from postdesk.config.desk_init import init_desk

    init_desk(tmp_path / "desk")
    book = load_queues(tmp_path / "desk" / "rules")
    assert {"unassigned", "breaching-soon", "waiting-for-customer"} <= set(book.names)
    waiting = book.get("waiting-for-customer")
    assert waiting is not None and waiting.title("de") == "Wartet auf Kunden"


def test_a_broken_edit_keeps_the_last_good_queues(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    path = rules / "queues.yaml"
    path.write_text("queues:\n  - name: first\n")
    live = LiveFile(live_specs.queues(Vocabulary), rules, shipped_folder=shipped("rules"),
                    interval=0)
    assert live.current().names == ("first",)
    path.write_text("queues:\n  - name: first\n    if: {stauts: new}\n")
    os.utime(path, (1, 1))
    assert live.current().names == ("first",)
    assert live.last_error is not None and "rules/queues.yaml:3" in live.last_error
    path.write_text("queues:\n  - name: first\n  - name: second\n")
    assert live.current().names == ("first", "second") and live.last_error is None


def test_check_warns_about_teams_the_desk_does_not_have(tmp_path: Path) -> None:
    from postdesk.cli.check_rules import check_queues
    from postdesk.config.desk_init import init_desk
    from postdesk.config.load import load_settings

    config = init_desk(tmp_path / "desk")
    rules = tmp_path / "desk" / "rules"
    settings = load_settings(config, environ={})
    assert check_queues(settings).warnings == ()  # no teams defined yet: nothing to compare
    (rules / "teams.yaml").write_text("teams:\n  - name: support\n    agents:\n"
                                      "      - {email: a@example.com}\n")
    result = check_queues(settings)
    assert result.ok
    assert any(w.startswith("rules/queues.yaml:") and "no team 'hardware'" in w
               for w in result.warnings), result.warnings
