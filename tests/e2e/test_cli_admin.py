"""`postdesk check` and `postdesk preview`, run as an admin runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from postdesk.config.desk_init import init_desk
from postdesk.notify.render import default_template_dir

POSTDESK = str(Path(sys.executable).with_name("postdesk"))


def run(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTDESK_")}
    env["COLUMNS"] = "250"  # no wrapping of long error lines
    return subprocess.run([POSTDESK, "--config", str(config), *args], capture_output=True,
                          text=True, timeout=60, env=env, check=False)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return init_desk(tmp_path / "desk")


def override(config: Path, relative: str, text: str) -> Path:
    target = config.parent / "templates" / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target


def shipped(name: str) -> str:
    return (default_template_dir() / "email" / name).read_text(encoding="utf-8")


def test_check_passes_on_a_fresh_desk(config: Path) -> None:
    done = run(config, "check")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"ok {config}: configuration is valid"
    assert "ok rules/statuses.yaml: 7 statuses, 5 names customers see" in lines
    assert "ok templates: 17 mails rendered in de, en, pl (51 renders)" in lines
    assert "ok queues: 6 in rules/queues.yaml" in lines
    assert done.stderr == ""


def test_check_names_file_and_line_of_a_missing_variable(config: Path) -> None:
    source = shipped("agent_reply.html.j2")
    broken = source.replace("ticket.public_status|translate", "ticket.pubilc_status|translate")
    assert broken != source
    override(config, "email/agent_reply.html.j2", broken)
    line = next(i for i, text in enumerate(broken.splitlines(), 1) if "pubilc_status" in text)
    done = run(config, "check")
    assert done.returncode == 1
    assert (f"error: templates/email/agent_reply.html.j2:{line}: 'ticket' has no attribute "
            f"'pubilc_status'") in done.stderr.splitlines()
    assert "ok templates" not in done.stdout
    assert "ok rules/statuses.yaml" in done.stdout  # the other checks still ran


def test_check_names_file_and_line_of_a_syntax_error_in_a_language_override(
        config: Path) -> None:
    override(config, "pl/email/status_changed.txt.j2",
             '{% extends "email/_layout.txt.j2" %}\n{% block body %}\n{{ ticket.id }\n'
             '{% endblock %}\n')
    done = run(config, "check")
    assert done.returncode == 1
    assert "error: templates/pl/email/status_changed.txt.j2:3: unexpected '}'" in done.stderr


def test_check_reports_a_mail_with_a_missing_part(config: Path) -> None:
    override(config, "email/welcome.txt.j2", "Hello\n")
    done = run(config, "check")
    assert done.returncode == 1
    assert "error: templates/email/welcome.subject.j2: missing" in done.stderr
    assert "error: templates/email/welcome.html.j2: missing" in done.stderr


def test_check_reports_a_broken_statuses_file(config: Path) -> None:
    statuses = config.parent / "rules" / "statuses.yaml"
    text = statuses.read_text(encoding="utf-8")
    statuses.write_text(text.replace("initial: new",
                                     "  - {name: triage, public: Received}\ninitial: new"),
                        encoding="utf-8")
    line = len(text[: text.index("initial: new")].splitlines()) + 1
    first = next(i for i, t in enumerate(text.splitlines(), 1) if "name: triage" in t)
    done = run(config, "check")
    assert done.returncode == 1
    assert (f"error: rules/statuses.yaml:{line}: status 'triage' is listed twice "
            f"(first at line {first})") in done.stderr
    assert "ok templates" in done.stdout


def test_check_warns_about_a_desk_colour_too_light_to_read(config: Path) -> None:
    assert "ok branding: primary colour #2563eb (5.2:1 on white)" in run(config, "check").stdout
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('primary_colour = "#2563eb"', 'primary_colour = "#facc15"'),
                      encoding="utf-8")
    done = run(config, "check")
    assert done.returncode == 0, done.stderr
    assert (f"warning: {config}: [branding] primary_colour #facc15 is hard to read on the "
            "white mail background (1.5:1, at least 3:1 is needed)") in done.stderr


def test_check_warns_about_an_untranslated_public_name(config: Path) -> None:
    # the shipped statuses (the shipped rules use them) plus one the catalogs do not know
    statuses = config.parent / "rules" / "statuses.yaml"
    added = "  - {name: escalated, public: Escalated}"
    text = statuses.read_text(encoding="utf-8").replace(
        "  - {name: closed, public: Closed, kind: closed}\n",
        "  - {name: closed, public: Closed, kind: closed}\n" + added + "\n")
    statuses.write_text(text, encoding="utf-8")
    line = text.splitlines().index(added) + 1
    done = run(config, "check")
    assert done.returncode == 0, done.stderr
    assert (f"warning: rules/statuses.yaml:{line}: public name 'Escalated' has no pl "
            "translation" in done.stderr)


def test_preview_in_polish(config: Path) -> None:
    done = run(config, "preview", "acknowledgment", "--lang", "pl", "--tz", "Europe/Warsaw")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "Subject: [#1042] Printer on the 2nd floor prints blank pages"
    assert lines[1] == "Content-Language: pl"
    assert "Dzień dobry," in lines
    assert "Aktualny status: Przyjęte" in lines
    assert "Data przyjęcia: 27 marca 2026 10:30 (czas środkowoeuropejski standardowy)" in lines


def test_preview_uses_the_desks_name_and_branding_per_language(config: Path) -> None:
    text = config.read_text(encoding="utf-8").replace(
        'name = "Example Support"', 'name = "Acme Support"').replace(
        'signature = ""',
        'signature = { en = "Your Acme Support team", pl = "Zespół wsparcia Acme" }').replace(
        '\nfooter = ""\n', '\nfooter = "Customers only"\n').replace(
        'agent_footer = ""', 'agent_footer = { pl = "Tylko dla agentów" }')
    config.write_text(text, encoding="utf-8")
    polish = run(config, "preview", "acknowledgment", "--lang", "pl").stdout
    assert "Dziękujemy za kontakt z zespołem Acme Support." in polish
    assert "Example Support" not in polish
    assert "Zespół wsparcia Acme" in polish and "Your Acme" not in polish
    assert "Customers only" in polish and "Tylko dla agentów" not in polish
    agent = run(config, "preview", "agent_new_ticket", "--lang", "pl").stdout
    assert "Tylko dla agentów" in agent and "Customers only" not in agent
    german = run(config, "preview", "acknowledgment", "--lang", "de").stdout
    assert "Your Acme Support team" in german  # no German text: English, then the plain one


def test_preview_refuses_a_branding_text_that_is_not_text(config: Path) -> None:
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('signature = ""', 'signature = { pl = 3 }'), encoding="utf-8")
    line = config.read_text(encoding="utf-8").splitlines().index("signature = { pl = 3 }") + 1
    done = run(config, "preview", "acknowledgment")
    assert done.returncode != 0
    assert f"postdesk.toml:{line}: [branding] signature.pl must be a string, not 3" in done.stderr


def test_preview_html_to_a_file(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "preview.html"
    done = run(config, "preview", "sla_warning", "--lang", "de", "--html", "--out", str(out))
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="de"' in page
    assert "SLA-Ziel: Erste Antwort" in page
    assert done.stdout == ""


def test_preview_stress_shows_hostile_customer_strings_escaped(config: Path,
                                                              tmp_path: Path) -> None:
    out = tmp_path / "stress.html"
    done = run(config, "preview", "agent_new_ticket", "--stress", "--html", "--out", str(out))
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    assert "DrukarkaXXXXXXXXXX" in page and "https://intranet.customer.example/" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page
    text = run(config, "preview", "agent_new_ticket", "--stress").stdout
    assert "Example Support" in text  # the desk's own name is left alone
    assert "<b>not bold</b> & <script>alert(1)</script>" in text


def test_preview_uses_desk_overrides_and_reports_their_errors(config: Path) -> None:
    override(config, "pl/email/status_changed.subject.j2", "Zmiana: {{ change.new|translate }}\n")
    done = run(config, "preview", "status_changed", "--lang", "pl")
    assert done.stdout.startswith("Subject: Zmiana: Rozwiązane\n")
    override(config, "pl/email/status_changed.subject.j2", "{{ change.nwe }}\n")
    failed = run(config, "preview", "status_changed", "--lang", "pl")
    assert failed.returncode == 1
    assert ("error: templates/pl/email/status_changed.subject.j2:1: 'change' has no attribute "
            "'nwe'") in failed.stderr


@pytest.mark.parametrize(("args", "message"), [
    (("nope",), "no sample data for a mail named 'nope'; known mails: acknowledgment,"),
    (("acknowledgment", "--tz", "Mars/Olympus"), "--tz: unknown time zone 'Mars/Olympus'"),
    (("acknowledgment", "--lang", "??"), "--lang: '??' is not a language code"),
])
def test_preview_refuses_bad_arguments(config: Path, args: tuple[str, ...],
                                       message: str) -> None:
    done = run(config, "preview", *args)
    assert done.returncode == 1
    assert message in done.stderr


def test_preview_says_when_a_language_is_not_shipped(config: Path) -> None:
    done = run(config, "preview", "acknowledgment", "--lang", "fr")
    assert done.returncode == 0
    assert "note: no catalog for 'fr'; the mail is written in en" in done.stderr
    assert "Content-Language: en" in done.stdout


def _errors(done: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in done.stderr.splitlines() if line.startswith("error:")]


def test_check_prints_each_error_once_and_a_line_for_every_rules_file(config: Path) -> None:
    """A broken automation.yaml is reported once (not again by the queues check, which needs
    it), and the queues file still gets its line, saying what it could not check."""
    automation = config.parent / "rules" / "automation.yaml"
    automation.write_text(automation.read_text(encoding="utf-8").replace(
        "- set_status: in_progress", "- set_stauts: in_progress", 1), encoding="utf-8")
    done = run(config, "check")
    assert done.returncode == 1
    errors = _errors(done)
    assert len(errors) == 1 and "unknown action 'set_stauts'" in errors[0], done.stderr
    assert errors[0].startswith("error: rules/automation.yaml:")
    assert ("ok queues: 6 in rules/queues.yaml (the queue names of the automations not "
            "checked: their files have errors)") in done.stdout.splitlines()
    for family in ("teams", "routing", "sla", "replies"):
        assert f"ok {family}: " in done.stdout, family


def test_check_reports_a_broken_statuses_file_once(config: Path) -> None:
    """Every file that needs the statuses says it was not checked; the error comes once."""
    statuses = config.parent / "rules" / "statuses.yaml"
    statuses.write_text(statuses.read_text(encoding="utf-8").replace(
        "initial: new", "initial: nwe"), encoding="utf-8")
    done = run(config, "check")
    assert done.returncode == 1
    errors = _errors(done)
    assert len(errors) == len(set(errors)) == 1, done.stderr
    lines = done.stdout.splitlines()
    for family in ("rules", "queues", "sla", "replies"):
        assert any(line.startswith(f"skipped {family}: ") and "not checked" in line
                   for line in lines), (family, done.stdout)
    assert "ok teams: 0 in rules/teams.yaml (0 agents)" in lines
