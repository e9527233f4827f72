"""Canned replies: files, placeholders, front matter and `postdesk check` (issue 24)."""

from __future__ import annotations

from pathlib import Path

import pytest

from postdesk.cli.check_rules import check_replies
from postdesk.errors import RuleError
from postdesk.tickets.canned import fill, load_reply, parse_canned, reply_files, reply_folders

GOOD = """---
commands: ["status waiting_for_customer", "#tag printer"]
---
Hello {customer_name}, ticket #{ticket_id}; braces: {{x}}
"""


def test_front_matter_commands_and_placeholders():
    reply = parse_canned("printer", "en", GOOD, "templates/replies/printer.en.md")
    assert reply.commands == ("status waiting_for_customer", "tag printer")
    assert fill(reply, {"customer_name": "Zoë", "ticket_id": "7"}) \
        == "Hello Zoë, ticket #7; braces: {x}"


@pytest.mark.parametrize(("text", "where"), [
    ("Hi {name}\n", "x.en.md:1: unknown placeholder '{name}'"),
    ("---\ncommands: [a]\nother: 1\n---\nHi\n", "x.en.md:3:"),
    ("---\ncommands: [a]\nHi\n", "x.en.md:1: front matter opened with '---' is never closed"),
    ("line\nHi {customer_name\n", "x.en.md:2: unknown placeholder '{'"),
])
def test_errors_name_the_file_and_line(text, where):
    with pytest.raises(RuleError) as caught:
        parse_canned("x", "en", text, "x.en.md")
    assert str(caught.value).startswith(where)


def test_the_desk_overrides_a_shipped_reply_and_languages_fall_back(make_settings):
    settings = make_settings()
    own = settings.path(settings.paths.templates) / "replies"
    own.mkdir(parents=True)
    (own / "printer-restart.pl.md").write_text("Nasza wersja {customer_name}\n")
    files = reply_files(reply_folders(settings))
    assert load_reply(files, "printer-restart", ("pl", "en")).text == "Nasza wersja {customer_name}"
    assert "ten seconds" in load_reply(files, "printer-restart", ("fr", "en")).text
    assert load_reply(files, "printer-restart", ("de",)).language == "de"  # shipped
    assert load_reply(files, "nothing-like-it", ("en",)) is None


def test_check_reports_broken_replies_and_passes_the_shipped_ones(make_settings):
    settings = make_settings()
    shipped = check_replies(settings)
    assert shipped.ok and "2 canned replies in 6 file(s)" in shipped.summary
    own = Path(settings.path(settings.paths.templates)) / "replies"
    own.mkdir(parents=True)
    (own / "bad.en.md").write_text("---\ncommands: [\"status opne\"]\n---\nHi\n")
    (own / "fr-only.fr.md").write_text("Bonjour {customer_name}\n")
    result = check_replies(settings)
    assert any("bad.en.md" in e and "unknown status 'opne'" in e for e in result.errors)
    assert any("'fr-only' has no en version" in w for w in result.warnings)


YAML_REPLY = """\
commands: ["status waiting_for_customer", "tag modem"]
text:
  en: |
    Hello {customer_name},
    please restart the modem (ticket #{ticket_id}).
  pl: |
    Dzień dobry {customer_name},
    prosimy o ponowne uruchomienie modemu (zgłoszenie #{ticket_id}).
"""


def test_a_yaml_reply_holds_every_language_and_its_commands(make_settings):
    settings = make_settings()
    own = settings.path(settings.paths.templates) / "replies"
    own.mkdir(parents=True)
    (own / "modem-restart.yaml").write_text(YAML_REPLY)
    files = reply_files(reply_folders(settings))
    polish = load_reply(files, "modem-restart", ("pl", "en"))
    assert polish.language == "pl" and polish.text.startswith("Dzień dobry {customer_name},")
    assert polish.commands == ("status waiting_for_customer", "tag modem")
    assert load_reply(files, "modem-restart", ("de", "en")).language == "en"
    result = check_replies(settings)
    assert result.ok, result.errors
    assert "3 canned replies in 7 file(s)" in result.summary


@pytest.mark.parametrize(("text", "error"), [
    (YAML_REPLY.replace("{ticket_id}).\n  pl", "{ticket}).\n  pl"),
     "templates/replies/modem-restart.yaml:5: unknown placeholder '{ticket}'"),
    (YAML_REPLY.replace("tag modem", "status opne"),
     "templates/replies/modem-restart.yaml: command '#status opne': unknown status"),
    (YAML_REPLY.replace("text:", "texts:"),
     "templates/replies/modem-restart.yaml:2: unknown key 'texts'"),
])
def test_check_reports_a_broken_yaml_reply_once_with_its_line(make_settings, text, error):
    settings = make_settings()
    own = settings.path(settings.paths.templates) / "replies"
    own.mkdir(parents=True)
    (own / "modem-restart.yaml").write_text(text)
    result = check_replies(settings)
    assert len(result.errors) == 1 and result.errors[0].startswith(error), result.errors
