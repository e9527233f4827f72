"""`postdesk kb search|list|solved` and `postdesk check` on kb/ (issue 21), as an admin runs
them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest

from mailbuild import customer_mail
from postdesk.config.desk_init import init_desk
from postdesk.config.load import load_settings
from postdesk.knowledge.solved_link import solved_token

POSTDESK = str(Path(sys.executable).with_name("postdesk"))


def run(config: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTDESK_")}
    env["COLUMNS"] = "250"
    return subprocess.run([POSTDESK, "--config", str(config), *args], capture_output=True,
                          text=True, timeout=60, env=env, check=False, input=stdin)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return init_desk(tmp_path / "desk")


def test_search_prints_the_best_articles_as_json(config: Path) -> None:
    done = run(config, "kb", "search", "Ich habe mein Kennwort vergessen", "--lang", "de",
               "--limit", "2", "--json")
    assert done.returncode == 0, done.stderr
    hits = json.loads(done.stdout)
    assert hits[0]["id"] == "password-reset" and hits[0]["language"] == "de"
    assert hits[0]["title"] == "Passwort zurücksetzen" and 0 < hits[0]["score"] <= 1
    assert len(hits) <= 2 and hits == sorted(hits, key=lambda h: -h["score"])


def test_search_dash_reads_one_question_per_line(config: Path) -> None:
    done = run(config, "kb", "search", "-", "--limit", "1",
               stdin="VPN nie działa w hotelu\nThe printer on my floor is missing\n")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(h[0]["id"], h[0]["language"]) for h in lines] == [("vpn-access", "pl"),
                                                               ("printer-setup", "en")]


def test_list_shows_every_article_and_marks_internal_ones(config: Path) -> None:
    done = run(config, "kb", "list", "--json")
    rows = json.loads(done.stdout)
    assert {(r["id"], r["language"]) for r in rows} >= {("password-reset", "en"),
                                                        ("password-reset", "pl"),
                                                        ("password-reset", "de")}
    assert [r["id"] for r in rows if r["visibility"] == "internal"] == [
        "unlock-account-internal"]
    text = run(config, "kb", "list").stdout
    assert "unlock-account-internal (en)" in text and "[internal]" in text


def test_check_names_file_and_line_of_a_broken_article(config: Path) -> None:
    broken = config.parent / "kb" / "en" / "team" / "vpn2.md"
    broken.parent.mkdir()
    broken.write_text("---\nid: vpn2\ntitle: VPN\nlanguage: en\nvisibility: hidden\n---\nx\n")
    done = run(config, "check")
    assert done.returncode == 1
    assert ("error: kb/en/team/vpn2.md:5: 'visibility' must be one of public, internal, "
            "not 'hidden'") in done.stderr.splitlines()
    # the desk still serves the others
    search = run(config, "kb", "search", "vpn from home", "--lang", "en", "--json")
    assert json.loads(search.stdout)[0]["id"] == "vpn-access"


def ingest(config: Path, mail: EmailMessage, number: int) -> None:
    stored = subprocess.run([POSTDESK, "--config", str(config), "ingest"], input=mail.as_bytes(),
                            capture_output=True, timeout=60, check=False)
    assert stored.returncode == 0, stored.stderr
    assert "done ticket" in run(config, "ingest", "--replay", str(number)).stdout


def ticket_state(config: Path, ticket_id: int) -> tuple[str, list[str]]:
    from postdesk.store import db
    from postdesk.store.models import Event, Ticket

    database = db.connect(load_settings(config).database_url)
    with database.connection_context():
        kinds = [e.kind for e in Event.select().where(Event.ticket == ticket_id)]
        return Ticket.get_by_id(ticket_id).status, kinds


def test_solved_link_without_the_web_page(config: Path) -> None:
    ingest(config, customer_mail(subject="Forgot my password",
                                 body="I forgot my password, cannot log in.\n"), 1)
    ingest(config, customer_mail(subject="Lunch", body="Canteen menu tomorrow?\n",
                                 message_id="<lunch@customer.example>"), 2)
    secret = load_settings(config).desk.secret
    token = solved_token(secret, 1)
    # a link scanner's GET (what opening the link does) changes nothing
    shown = run(config, "kb", "solved", token)
    assert shown.returncode == 0 and "nothing changed" in shown.stdout
    assert ticket_state(config, 1) == ("new", ticket_state(config, 1)[1])
    assert "kb.self_served" not in ticket_state(config, 1)[1]
    # the page's button (a POST)
    done = run(config, "kb", "solved", token, "--confirm")
    assert done.returncode == 0, done.stderr
    status, kinds = ticket_state(config, 1)
    assert status == "resolved" and "kb.self_served" in kinds
    # the operator sees what was offered and how it was solved in `ticket show`
    shown = run(config, "ticket", "show", "1").stdout
    assert "kb: suggested password-reset (en, " in shown
    assert "kb: self-served with password-reset (the customer confirmed the solved link)" \
        in shown
    # a ticket that was offered nothing is not the customer's to close this way
    other = run(config, "kb", "solved", solved_token(secret, 2), "--confirm")
    assert other.returncode == 1 and "offered no articles" in other.stderr
    assert ticket_state(config, 2)[0] == "new"
    forged = run(config, "kb", "solved", "1-aaaaaaaaaaaaaaaa", "--confirm")
    assert forged.returncode == 1 and "forged" in forged.stderr


def test_an_article_that_is_not_utf8_is_named_and_the_others_are_served(config: Path) -> None:
    (config.parent / "kb" / "en" / "latin1.md").write_bytes(
        "---\nid: x\ntitle: Caf\xe9\nlanguage: en\n---\nx\n".encode("latin-1"))
    done = run(config, "check")
    assert done.returncode == 1
    assert any(line.startswith("error: kb/en/latin1.md:1: not UTF-8 text")
               for line in done.stderr.splitlines())
    search = run(config, "kb", "search", "printer", "--lang", "en", "--json")
    assert json.loads(search.stdout)[0]["id"] == "printer-setup"


def use_database_index(config: Path) -> None:
    text = config.read_text(encoding="utf-8")
    assert 'index = "memory"' in text
    config.write_text(text.replace('index = "memory"', 'index = "database"'), encoding="utf-8")


def test_search_asks_the_database_index_when_the_desk_uses_it(config: Path) -> None:
    from postdesk.knowledge.library import read_folder
    from postdesk.store import db, kb_index, migrations

    use_database_index(config)
    question = ("kb", "search", "Ich habe mein Kennwort vergessen", "--lang", "de", "--json")
    # the desk never ran: its database holds no index yet, whatever kb/ has
    empty = run(config, *question)
    assert empty.returncode == 0, empty.stderr
    assert json.loads(empty.stdout) == []
    assert '[kb] index = "database"' in empty.stderr
    assert "warning: the database's index is empty" in empty.stderr
    # what the running desk does at start
    database = db.connect(load_settings(config).database_url)
    with database.connection_context():
        migrations.migrate(database)
        kb_index.rebuild_knowledge(read_folder(config.parent / "kb"))
    filled = run(config, *question)
    assert filled.returncode == 0, filled.stderr
    hits = json.loads(filled.stdout)
    assert (hits[0]["id"], hits[0]["language"]) == ("password-reset", "de")
    assert set(hits[0]) == {"id", "title", "language", "score"} and 0 < hits[0]["score"] <= 1
    assert "warning" not in filled.stderr and '[kb] index = "database"' in filled.stderr
    lines = run(config, "kb", "search", "-", "--lang", "pl", "--limit", "1",
                stdin="VPN nie działa w hotelu\n")
    assert [(h["id"], h["language"]) for h in json.loads(lines.stdout)] == [("vpn-access", "pl")]


def scores_of(text_output: str) -> list[tuple[float, str]]:
    """(score, language) of each article line of `kb search`'s text output."""
    return [(float(line.split()[0]), line.split()[2].strip("()"))
            for line in text_output.splitlines() if line[:1].isdigit()]


@pytest.mark.parametrize(("question", "language"), [
    ("How do I connect to the VPN from home? It does not work.", "en"),
    ("Jak połączyć się z VPN z domu? Połączenie nie działa.", "pl"),
    ("Wie verbinde ich mich von zu Hause mit dem VPN? Es geht nicht.", "de"),
    ("vpn", "en"),  # too short to tell: the desk's default language, as for a customer
])
def test_search_without_lang_answers_in_the_questions_language(config: Path, question: str,
                                                              language: str) -> None:
    """Without --lang, shares of different languages' indexes are not comparable (issue 21):
    the question is searched in its own language, as the desk reads a new customer's mail,
    and the text, --json and `-` outputs list the same articles, best first."""
    as_json = run(config, "kb", "search", question, "--json")
    assert as_json.returncode == 0, as_json.stderr
    hits = json.loads(as_json.stdout)
    assert hits[0]["id"] == "vpn-access"
    assert {h["language"] for h in hits} == {language}
    assert hits == sorted(hits, key=lambda h: -h["score"])
    text = run(config, "kb", "search", question)
    assert scores_of(text.stdout) == [(h["score"], language) for h in hits]
    assert f"({language})" in text.stdout.splitlines()[0]  # the heading says which language
    lines = run(config, "kb", "search", "-", stdin=question + "\n")
    assert [json.loads(line) for line in lines.stdout.splitlines()] == [hits]


def test_search_without_lang_falls_back_along_the_desks_languages(config: Path) -> None:
    """A question in a language without articles gets the next language's, as a customer
    would, and says so; nothing anywhere: says which languages it searched."""
    for article in (config.parent / "kb" / "de").iterdir():
        article.unlink()
    question = "Wie verbinde ich mich von zu Hause mit dem VPN? Es geht nicht."
    text = run(config, "kb", "search", question)
    assert text.returncode == 0, text.stderr
    assert text.stdout.splitlines()[0] == (
        "Articles in en, the desk's next language: none in de matches; --lang chooses one:")
    assert [language for _, language in scores_of(text.stdout)] == ["en"] * len(
        scores_of(text.stdout))
    nothing = run(config, "kb", "search", "Drucker kaputt")  # unclear: every language
    assert nothing.stdout.strip() == "no article matches"
    assert "searched in en, de, pl; --lang chooses the language" in nothing.stderr


def test_search_of_an_unclear_question_goes_on_to_the_desks_other_languages(
        config: Path) -> None:
    """Two German words are too few to tell the language: the desk's default language has
    nothing for them, the German articles do (it said "no article matches")."""
    text = run(config, "kb", "search", "Passwort vergessen")
    assert text.returncode == 0, text.stderr
    assert text.stdout.splitlines()[0] == (
        "Articles in de, the desk's next language: none in en matches; --lang chooses one:")
    assert scores_of(text.stdout)[0][1] == "de"
    assert "password-reset (de)" in text.stdout.splitlines()[1]
    [hits] = [json.loads(line) for line in run(config, "kb", "search", "-",
                                                 stdin="Passwort vergessen\n").stdout.splitlines()]
    assert hits[0]["id"] == "password-reset" and hits[0]["language"] == "de"


def test_search_heading_in_the_desks_language(config: Path) -> None:
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('default_language = "en"', 'default_language = "pl"'),
                      encoding="utf-8")
    done = run(config, "kb", "search", "vpn")
    assert done.stdout.splitlines()[0] == ("Artykuły w domyślnym języku desku (pl): języka "
                                           "pytania nie da się rozpoznać; --lang wybiera język:")
    assert {language for _, language in scores_of(done.stdout)} == {"pl"}


def test_the_memory_index_searches_without_a_database(config: Path) -> None:
    done = run(config, "kb", "search", "Ich habe mein Kennwort vergessen", "--json")
    assert json.loads(done.stdout)[0]["id"] == "password-reset"
    assert done.stderr == ""
    assert not (config.parent / "var" / "postdesk.db").exists()


def test_check_warns_when_semantic_is_on_without_its_extra(config: Path) -> None:
    from postdesk.knowledge.semantic import missing_modules

    if not missing_modules():
        pytest.skip("the extra postdesk[semantic] is installed here")
    assert "semantic" not in run(config, "check").stderr  # off: nothing to say
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("semantic = false", "semantic = true"), encoding="utf-8")
    done = run(config, "check")
    assert done.returncode == 0, done.stderr
    [warning] = [line for line in done.stderr.splitlines() if "semantic" in line]
    assert warning.startswith("warning: [kb] semantic = true, but the extra "
                              "postdesk[semantic] is not installed")
    assert "pip install 'postdesk[semantic]'" in warning


def test_semantic_modules_that_cannot_be_imported_are_missing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from postdesk.knowledge.semantic import missing_modules

    monkeypatch.setitem(sys.modules, "torch", None)  # what Python makes of a failed import
    assert "torch" in missing_modules()


def test_check_warns_about_an_article_of_a_request_type_routing_lacks(config: Path) -> None:
    assert run(config, "check").stderr == ""  # the example desk: every type is routing's
    routing = config.parent / "rules" / "routing.yaml"
    text = routing.read_text(encoding="utf-8")
    routing.write_text(text.replace("  - {name: billing,", "  - {name: invoices,"),
                       encoding="utf-8")
    done = run(config, "check")
    assert done.returncode == 0, done.stderr
    line = next(number for number, text in enumerate(
        (config.parent / "kb" / "en" / "invoice-copy.md").read_text("utf-8").splitlines(), 1)
        if text.startswith("request_types:"))
    assert (f"warning: kb/en/invoice-copy.md:{line}: article 'invoice-copy' (en) applies to "
            "request type 'billing', which rules/routing.yaml does not list (known: access, "
            "general, hardware, invoices, software)") in done.stderr
    assert sum("applies to request type 'billing'" in x for x in done.stderr.splitlines()) == 3


def test_kb_commands_speak_the_desks_language(config: Path) -> None:
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('default_language = "en"', 'default_language = "pl"')
                      .replace("semantic = false", "semantic = true"), encoding="utf-8")
    broken = config.parent / "kb" / "en" / "broken.md"
    broken.write_text("---\nid: broken\ntitle: B\nlanguage: en\nvisibility: hidden\n---\nx\n")
    listed = run(config, "kb", "list")
    assert listed.returncode == 0, listed.stderr
    assert "unlock-account-internal (en)" in listed.stdout and "[wewnętrzny]" in listed.stdout
    assert "[internal]" not in listed.stdout
    assert "ostrzeżenie: kb/en/broken.md:5: 'visibility'" in listed.stderr
    nothing = run(config, "kb", "search", "zzzqqq xxyyzz")
    assert nothing.returncode == 0, nothing.stderr
    assert nothing.stdout.strip() == "żaden artykuł nie pasuje"
    assert "[kb] semantic = true" in nothing.stderr  # re-ranker or not, said in Polish
    assert ("w kolejności semantycznego" in nothing.stderr
            or "w kolejności wynikającej tylko ze słów" in nothing.stderr)


AUTO_ANSWER = """rules:
  - name: answer-password-questions
    on: ticket.created
    if:
      kb_match: {min_score: 50, article: password-reset}
    then:
      - answer_with_article: {status: waiting_for_customer}
"""


def test_rules_explain_and_test_judge_kb_match_as_the_worker_did(config: Path,
                                                                  tmp_path: Path) -> None:
    """The rule fired (the customer got the article): `rules explain` says it matched, with
    the best article and its score, and `rules test` says so too (both said "no article")."""
    extra = config.parent / "rules" / "automation.d"
    extra.mkdir()
    (extra / "kb.yaml").write_text(AUTO_ANSWER, encoding="utf-8")
    mail = customer_mail(subject="Forgot my password",
                         body="I forgot my password and cannot log in.\n")
    ingest(config, mail, 1)
    assert ticket_state(config, 1)[0] == "waiting_for_customer"  # the rule did fire
    explained = run(config, "rules", "explain", "1")
    assert explained.returncode == 0, explained.stderr
    [line] = [x for x in explained.stdout.splitlines() if "answer-password-questions" in x
              and "on ticket.created" in x]
    assert line.endswith(": matched"), line
    assert "-> answer_with_article(article=None, status=waiting_for_customer) by rule " \
           "answer-password-questions" in explained.stdout
    eml = tmp_path / "again.eml"
    again = customer_mail(subject="Password forgotten",
                          body="I forgot my password, how do I reset it?\n",
                          message_id="<again@customer.example>")
    eml.write_bytes(again.as_bytes())
    tried = run(config, "rules", "test", str(eml))
    assert tried.returncode == 0, tried.stderr
    [line] = [x for x in tried.stdout.splitlines() if "answer-password-questions" in x
              and "on ticket.created" in x]
    assert line.endswith(": matched"), line
    # a question the article does not answer is explained with the best article's score
    eml.write_bytes(customer_mail(subject="Lunch", body="Canteen menu tomorrow?\n",
                                  message_id="<lunch@customer.example>").as_bytes())
    lunch = run(config, "rules", "test", str(eml))
    assert "answer-password-questions" in lunch.stdout and ": not matched: " in lunch.stdout
