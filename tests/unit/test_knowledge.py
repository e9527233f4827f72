"""The knowledge base's pure core (issue 21): words, articles, index, suggestions, links."""

from __future__ import annotations

from pathlib import Path

import pytest

from postdesk.errors import RuleError
from postdesk.knowledge.articles import parse_article
from postdesk.knowledge.library import kb_files, load_texts
from postdesk.knowledge.polish import stem as polish_stem
from postdesk.knowledge.solved_link import confirmation, read_solved_token, solved_token
from postdesk.knowledge.suggest import suggest
from postdesk.knowledge.words import split_compound, words


def article(article_id: str, title: str, body: str, language: str = "en", **extra: str) -> str:
    lines = [f"id: {article_id}", f"title: {title}", f"language: {language}"]
    lines += [f"{key}: {value}" for key, value in extra.items()]
    return "---\n" + "\n".join(lines) + "\n---\n" + body + "\n"


def test_words_are_stemmed_folded_and_without_stop_words() -> None:
    assert words("How do I reset my passwords?", "en") == ["reset", "password"]
    assert words("Passwort zurücksetzen", "de") == words("passwort zurucksetzen", "de")
    assert words("hasło", "pl") == words("haslo", "pl")


def test_polish_endings_come_off_and_keep_the_stem() -> None:
    assert polish_stem("resetować") == polish_stem("resetowanie") == polish_stem("resetowania")
    assert polish_stem("hasła") == polish_stem("hasło") == polish_stem("hasłem")
    assert polish_stem("drukarka") == polish_stem("drukarki") == polish_stem("drukarkę")
    assert polish_stem("vpn") == "vpn"  # too short to cut


def test_german_compounds_split_into_words_the_articles_know() -> None:
    known = set(words("Laufwerk Projekt Firma Mail Verbindung", "de"))
    assert split_compound("projektlaufwerk", "de", known) == words("Projekt Laufwerk", "de")
    assert split_compound("firmenmails", "de", known) == words("Firmen Mails", "de")
    assert split_compound("projektlaufwerk", "en", known) == []  # German only
    assert split_compound("kaffeemaschine", "de", known) == []  # nothing known


@pytest.mark.parametrize(("text", "error"), [
    ("no front matter\n", "x.md:1: an article starts with front matter"),
    ("---\nid: a\ntitle: A\n", "x.md:1: the front matter has no closing '---' line"),
    ("---\nid: a\ntitle: A\nlanguage: en\nvisibility: secret\n---\ntext\n",
     "x.md:5: 'visibility' must be one of public, internal, not 'secret'"),
    ("---\nid: a\ntitle: A\nlanguage: en\nalias: [x]\n---\ntext\n",
     "x.md:5: unknown key 'alias' (did you mean 'aliases'?)"),
    ("---\nid: Bad Id\ntitle: A\nlanguage: en\n---\ntext\n", "x.md:2: 'id' 'Bad Id' must be"),
    ("---\nid: a\ntitle: A\n---\ntext\n", "x.md:2: the file needs the key 'language'"),
    ("---\nid: a\ntitle: A\nlanguage: english\n---\ntext\n",
     "x.md:4: 'language' 'english' must be a language code"),
    ("---\nid: a\ntitle: A\nlanguage: en\n---\n\n", "x.md:5: the article has no text"),
])
def test_broken_front_matter_names_file_and_line(text: str, error: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_article(text, "x.md")
    assert str(caught.value).startswith(error)


def test_a_broken_article_is_left_out_and_the_others_stay_served() -> None:
    kb = load_texts([
        ("kb/en/vpn.md", article("vpn", "Connect to the VPN", "Install the client.")),
        ("kb/en/broken.md", "---\nid: broken\n---\n"),
        ("kb/old/vpn.md", article("vpn", "Old VPN", "Older text.")),
    ])
    assert [a.source for a in kb.articles] == ["kb/en/vpn.md"]
    assert kb.problems[0].startswith("kb/en/broken.md:2: ")
    assert kb.problems[1] == ("kb/old/vpn.md:1: article 'vpn' in 'en' is already "
                              "kb/en/vpn.md; give one of them another id")
    assert kb.search("vpn client")[0].article.id == "vpn"


def test_title_and_aliases_weigh_more_than_the_text() -> None:
    kb = load_texts([
        ("a.md", article("printer", "Printer setup", "Add the device in settings. " * 5)),
        ("b.md", article("toner", "Order supplies",
                         "The printer needs toner; the printer shows a light. " * 3)),
        ("c.md", article("remote", "Working remotely", "Use the client.",
                         aliases="[vpn broken, home office access]")),
    ])
    assert [h.article.id for h in kb.search("printer")][:1] == ["printer"]
    assert kb.search("home office")[0].article.id == "remote"


def test_the_best_few_of_many_alike_articles_come_in_order_ties_by_article_order() -> None:
    # forty articles share the question's words, many with equal scores: only the best
    # few are sorted (issue 21, 1,000 articles), and they are the first of the full order
    files = [(f"{n:02}.md", article(f"a{n:02}", f"Printer {'toner ' * (n % 4)}setup",
                                    "Add the printer in settings.",
                                    request_types="[hardware]" if n % 3 else "[]"))
             for n in range(40)]
    kb = load_texts(files)
    [index] = kb.indexes.values()
    everything = index.search("printer toner setup", 40)
    assert len(everything) == 40
    order = sorted(everything, key=lambda hit: -hit.score)  # sorted() is stable
    assert [h.article.id for h in everything] == [h.article.id for h in order]
    assert index.search("printer toner setup", 5) == everything[:5]
    # tickets of another type: the articles that apply to every type, still five of them
    applying = [h for h in everything if not h.article.request_types]
    assert index.search("printer toner setup", 5, request_type="access") == applying[:5]


def test_suggestions_follow_the_locale_chain_and_never_offer_internal_articles() -> None:
    kb = load_texts([
        ("en.md", article("password-reset", "Reset your password", "Open the portal.")),
        ("pl.md", article("password-reset", "Resetowanie hasła", "Otwórz portal.",
                          language="pl")),
        ("int.md", article("unlock", "Unlock a password account", "Directory console.",
                           visibility="internal")),
    ])
    polish = suggest(kb, "Zapomniałem hasła", ["pl", "en"], min_share=0.3)
    assert [(s.id, s.language) for s in polish] == [("password-reset", "pl")]
    # no German article: the chain falls back to English
    german = suggest(kb, "reset password please", ["de", "en"], min_share=0.3)
    assert [(s.id, s.language) for s in german] == [("password-reset", "en")]
    assert all(s.id != "unlock" for s in suggest(kb, "unlock account password", ["en"],
                                                  min_share=0.0))
    assert suggest(kb, "canteen menu tomorrow", ["en"], min_share=0.3) == []
    [best] = polish
    assert best.excerpt == "Otwórz portal." and 0.3 <= best.score <= 1


def test_solved_link_only_resolves_on_post_with_the_desks_own_token() -> None:
    token = solved_token("s3cret", 42)
    assert read_solved_token(token, "s3cret") == 42
    assert read_solved_token(token, "other secret") is None
    assert read_solved_token(token.replace("42-", "43-"), "s3cret") is None
    scanner = confirmation(token, "GET", "s3cret")
    assert (scanner.ticket_id, scanner.resolve, scanner.page) == (42, False, "confirm")
    assert confirmation(token, "HEAD", "s3cret").resolve is False
    posted = confirmation(token, "POST", "s3cret")
    assert (posted.ticket_id, posted.resolve, posted.page) == (42, True, "done")
    assert confirmation("42-aaaaaaaaaaaaaaaa", "POST", "s3cret").page == "invalid"


@pytest.mark.parametrize(("rule", "error"), [
    ("kb_match: 150", "rules/automation.yaml:5: expected a whole number from 1 to 100"),
    ("kb_match: {min_score: 50, article: 'Bad Id'}",
     "rules/automation.yaml:5: expected an article id like password-reset"),
    ("kb_match: {score: 50}", "rules/automation.yaml:5: 'kb_match' has no parameter 'score'"),
])
def test_kb_match_is_checked_with_file_and_line(rule: str, error: str) -> None:
    from postdesk.automation import Vocabulary
    from postdesk.automation.loader import build_rules
    from postdesk.config.rulesfile import parse_yaml

    text = ("rules:\n  - name: r\n    on: ticket.created\n    if:\n"
            f"      {rule}\n    then:\n      - answer_with_article\n")
    with pytest.raises(RuleError) as caught:
        build_rules([parse_yaml(text, "rules/automation.yaml")], Vocabulary())
    assert str(caught.value).startswith(error)


def test_kb_match_holds_for_the_best_article_above_the_score() -> None:
    from datetime import UTC, datetime

    from postdesk.automation import EventFacts, RuleContext, TicketFacts, Vocabulary, run_rules
    from postdesk.automation.loader import build_rules
    from postdesk.config.rulesfile import parse_yaml

    rules = build_rules([parse_yaml(
        "rules:\n  - name: vpn\n    on: ticket.created\n    if:\n"
        "      kb_match: {min_score: 60, article: vpn-access}\n"
        "    then:\n      - answer_with_article: {status: waiting_for_customer}\n",
        "rules/automation.yaml")], Vocabulary())
    now = datetime(2026, 12, 7, tzinfo=UTC)
    ticket = TicketFacts(id=1, status="new", priority="normal", request_type=None, team=None,
                         assignee=None, tags=frozenset(), requester_email="z@c.example",
                         requester_language="de", created_at=now, status_changed_at=now,
                         last_customer_message_at=now, sla_paused=False, links=())
    event = EventFacts("ticket.created", author_role="customer", subject="VPN", body="x")

    def fired(best: tuple[tuple[str, float], ...]) -> list[str]:
        context = RuleContext(kb_best=lambda text, language, request_type: best)
        return [e.action for e in run_rules(rules, event, ticket, now=now,
                                            context=context).effects]

    assert fired((("vpn-access", 0.8),)) == ["answer_with_article"]
    assert fired((("vpn-access", 0.5),)) == []
    assert fired((("printer-setup", 0.9), ("vpn-access", 0.8))) == []
    assert fired(()) == []


@pytest.mark.parametrize("front", [
    *(path.read_text(encoding="utf-8").split("---\n")[1]
      for path in sorted((Path(__file__).resolve().parents[2] / "kb").rglob("*.md"))
      if path.name != "README.md"),
    "id: a\ntitle: 'Quoted: with colon'\nlanguage: en\n",
    'id: a\ntitle: "Double # quoted"\nlanguage: en\naliases: []\n',
    "id: a\n\n# a comment\ntitle: C# and F# setup\nlanguage: en\n",
])
def test_the_fast_front_matter_reader_agrees_with_yaml(front: str) -> None:
    from postdesk.config.rulesfile import parse_yaml
    from postdesk.knowledge.articles import simple_front_matter

    fast = simple_front_matter(front.splitlines(), "x.md")
    slow = parse_yaml("\n" + front, "x.md")
    assert fast is not None
    assert (fast.data, dict(fast.lines)) == (slow.data, dict(slow.lines))


@pytest.mark.parametrize("front", [
    "id: a\ntitle: Re: colon space\nlanguage: en\n",  # YAML refuses it: its error, its line
    "id: a\ntitle: yes\nlanguage: en\n",  # a boolean in YAML: not a text
    "id: a\ntitle: x\nlanguage: en\naliases:\n  - one\n",  # block lists: YAML's business
    "id: a\ntitle: x # comment\nlanguage: en\n",
])
def test_anything_else_goes_to_the_yaml_parser(front: str) -> None:
    from postdesk.knowledge.articles import simple_front_matter

    assert simple_front_matter(front.splitlines(), "x.md") is None


def test_every_article_under_kb_is_read_in_path_order_without_readmes(tmp_path: Path) -> None:
    folder = tmp_path / "kb"
    for name in ("en/vpn.md", "en/README.md", "a-b.md", "a/x.md", "deep/er/one.md",
                 "notes.txt", "README.md"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("x")
    assert [p.relative_to(folder).as_posix() for p in kb_files(folder)] == [
        "a/x.md", "a-b.md", "deep/er/one.md", "en/vpn.md"]
    assert kb_files(tmp_path / "missing") == []
    # the next look finds an article added and one removed (the last listing is kept)
    (folder / "b.md").write_text("x")
    (folder / "a" / "x.md").unlink()
    assert [p.relative_to(folder).as_posix() for p in kb_files(folder)] == [
        "a-b.md", "b.md", "deep/er/one.md", "en/vpn.md"]


def test_a_linked_folder_of_articles_is_read_and_a_folder_named_md_is_not_an_article(
        tmp_path: Path) -> None:
    shared = tmp_path / "shared" / "pl"
    shared.mkdir(parents=True)
    (shared / "vpn.md").write_text("x")
    folder = tmp_path / "kb"
    (folder / "odd.md").mkdir(parents=True)  # a folder, not an article
    (folder / "odd.md" / "inner.md").write_text("x")
    (folder / "pl").symlink_to(shared, target_is_directory=True)
    (folder / "gone.md").symlink_to(tmp_path / "nowhere.md")  # named, then unreadable
    assert [p.relative_to(folder).as_posix() for p in kb_files(folder)] == [
        "gone.md", "odd.md/inner.md", "pl/vpn.md"]
