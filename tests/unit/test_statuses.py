"""rules/statuses.yaml: internal statuses, the names customers see, and their errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from postdesk.config.shipped import shipped
from postdesk.errors import RuleError
from postdesk.notify.i18n import Catalogs
from postdesk.notify.render import default_locale_dir
from postdesk.tickets.statuses import (
    DEFAULT_BOOK,
    DEFAULT_PUBLIC_NAMES,
    load_statuses,
    public_status,
)

SHIPPED_RULES = shipped("rules")


def write(tmp_path: Path, text: str) -> Path:
    rules = tmp_path / "rules"
    rules.mkdir(exist_ok=True)
    (rules / "statuses.yaml").write_text(text, encoding="utf-8")
    return rules


def test_absent_file_gives_the_defaults(tmp_path: Path) -> None:
    book = load_statuses(tmp_path)
    assert book is DEFAULT_BOOK
    assert book.names == ("new", "triage", "in_progress", "waiting_for_customer",
                          "waiting_for_vendor", "resolved", "closed")
    assert {n: book.public_name(n) for n in book.names} == dict(DEFAULT_PUBLIC_NAMES)
    assert book.initial == "new"


def test_shipped_file_matches_the_defaults() -> None:
    book = load_statuses(SHIPPED_RULES)
    assert book.source == "rules/statuses.yaml"
    assert [(s.name, s.public, s.kind) for s in book.statuses] == [
        (s.name, s.public, s.kind) for s in DEFAULT_BOOK.statuses]
    assert book.names_of_kind("paused") == ("waiting_for_customer", "waiting_for_vendor")
    assert book.names_of_kind("closed") == ("resolved", "closed")


def test_custom_statuses_and_initial(tmp_path: Path) -> None:
    rules = write(tmp_path, """
statuses:
  - name: open
    public: In progress
  - {name: on_hold, public: Waiting for your reply, kind: paused}
  - {name: done, public: Resolved, kind: closed}
initial: open
""")
    book = load_statuses(rules)
    assert book.names == ("open", "on_hold", "done")
    assert book.kind("open") == "open"
    assert book.kind("on_hold") == "paused"
    assert book.public_name("done") == "Resolved"
    assert book.public_names == ("In progress", "Waiting for your reply", "Resolved")


def test_unknown_status_never_shows_its_internal_name() -> None:
    assert DEFAULT_BOOK.public_name("escalated_to_legal") == "In progress"
    assert public_status("escalated_to_legal") == "In progress"
    for name in DEFAULT_BOOK.names:
        assert DEFAULT_BOOK.public_name(name) != name


@pytest.mark.parametrize(("text", "message"), [
    ("statuses:\n  - {name: new, public: Received}\n  - {name: new, public: Closed}\n",
     r"rules/statuses\.yaml:3: status 'new' is listed twice \(first at line 2\)"),
    ("statuses:\n  - name: new\n    kind: open\n",
     r"rules/statuses\.yaml:2: item 1 needs the key 'public'"),
    ("statuses:\n  - name: new\n    public: Received\n    colour: red\n",
     r"rules/statuses\.yaml:4: unknown key 'colour'"),
    ("statuses:\n  - {name: new, public: Received, kind: opne}\n",
     r"rules/statuses\.yaml:2: kind 'opne' must be one of open, paused, closed "
     r"\(did you mean 'open'\?\)"),
    ("statuses:\n  - {name: new, public: '  '}\n",
     r"rules/statuses\.yaml:2: 'public' must not be empty"),
    ("statuses:\n  - {name: New Status, public: Received}\n",
     r"rules/statuses\.yaml:2: status name 'New Status' must be lower-case"),
    ("statuses:\n  - {name: new, public: Received}\ninitial: nwe\n",
     r"rules/statuses\.yaml:3: initial status 'nwe' is not listed under 'statuses' "
     r"\(did you mean 'new'\?\)"),
    ("statuse:\n  - {name: new, public: Received}\n",
     r"rules/statuses\.yaml:1: unknown key 'statuse' \(did you mean 'statuses'\?\)"),
    ("statuses:\n  - {name: done, public: Resolved, kind: closed}\n",
     r"rules/statuses\.yaml:1: every status is closed"),
    ("# nothing yet\n", r"rules/statuses\.yaml:1: the file is empty"),
    ("statuses: [\n", r"rules/statuses\.yaml:2: "),
])
def test_errors_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(RuleError, match=message):
        load_statuses(write(tmp_path, text))


@pytest.mark.parametrize(("language", "expected"), [
    ("en", ["Received", "In progress", "Waiting for your reply", "Resolved", "Closed"]),
    ("pl", ["Przyjęte", "W trakcie realizacji", "Oczekuje na odpowiedź", "Rozwiązane",
            "Zamknięte"]),
    ("de", ["Eingegangen", "In Bearbeitung", "Wartet auf Ihre Antwort", "Gelöst",
            "Geschlossen"]),
])
def test_public_names_are_translated(language: str, expected: list[str]) -> None:
    translations = Catalogs([default_locale_dir()]).translations([language])
    assert [translations.gettext(n) for n in DEFAULT_BOOK.public_names] == expected
