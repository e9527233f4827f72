"""No suggestion for an off-topic question (issue 21: "none when nothing is good enough"), on
the example desk's own kb/: what its acknowledgment would offer, through `suggest`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from postdesk.knowledge.confidence import confidences
from postdesk.knowledge.index import Hit
from postdesk.knowledge.library import KnowledgeBase, kb_files, load_texts
from postdesk.knowledge.suggest import suggest

KB_FOLDER = Path(__file__).resolve().parents[2] / "kb"
#: The default `[kb] min_score` (30) as a share.
THRESHOLD = 0.3


@pytest.fixture(scope="module")
def desk() -> KnowledgeBase:
    kb = load_texts((f"kb/{path.relative_to(KB_FOLDER).as_posix()}",
                     path.read_text(encoding="utf-8")) for path in kb_files(KB_FOLDER))
    assert not kb.problems
    return kb


def offered(kb: KnowledgeBase, question: str, language: str) -> list[str]:
    return [s.id for s in suggest(kb, question, [language], min_share=THRESHOLD)]


@pytest.mark.parametrize(("language", "question"), [
    ("en", "Keyboard missing keys"),  # "missing": two articles' aliases (network drive)
    ("en", "mouse is not working"),
    ("en", "Can I get a second monitor?"),
    ("pl", "Klawiatura nie działa"),
    ("pl", "Bateria w laptopie szybko się rozładowuje"),
    ("de", "Outlook stürzt beim Öffnen des Kalenders ab"),  # "Outlook": the phone article's
    ("de", "Akku vom Laptop hält nur eine Stunde"),
])
def test_a_short_question_about_something_else_gets_no_suggestion(
        desk: KnowledgeBase, language: str, question: str) -> None:
    assert desk.search(question, language=language, public_only=True)  # words in common
    assert offered(desk, question, language) == []


@pytest.mark.parametrize(("language", "question", "expected"), [
    ("en", "I forgot my password", "password-reset"),
    ("en", "cannot print", "printer-setup"),
    ("en", "VPN not connecting", "vpn-access"),
    ("pl", "Drukarka na moim piętrze nie działa", "printer-setup"),
    ("pl", "VPN nie działa w hotelu", "vpn-access"),
    ("de", "Das Projektlaufwerk fehlt auf meinem Laptop", "shared-drive"),
    ("de", "Passwortrücksetzung funktioniert nicht", "password-reset"),
])
def test_a_short_question_the_kb_answers_still_gets_its_article(
        desk: KnowledgeBase, language: str, question: str, expected: str) -> None:
    assert offered(desk, question, language)[:1] == [expected]


@pytest.mark.parametrize(("language", "mail"), [
    ("en", "Can't get in\nHello IT team,\n\nI was away for two weeks and my password has "
           "expired, so I cannot log in any more. What should I do?\n\nMany thanks,\n"
           "Joanna Baker\nSenior Buyer | Procurement\nExample Ltd\nMobile: +44 7700 900555\n\n"
           "Sent from my iPhone"),
    ("pl", "Nie mogę się zalogować\nDzień dobry,\n\npo urlopie moje hasło wygasło i nie mogę "
           "się zalogować do komputera. Co mam zrobić?\n\nPozdrawiam\nJoanna Bąk\n"
           "Dział Zakupów\nkom. +48 600 555 444\n\nWysłane z iPhone'a"),
    ("de", "Komme nicht mehr rein\nHallo zusammen,\n\nnach meinem Urlaub ist mein Passwort "
           "abgelaufen und ich kann mich nicht mehr anmelden. Was muss ich tun?\n\n"
           "Viele Grüße\nJohanna Becker\nEinkauf\nMobil: +49 170 5554444\n\n"
           "Von meinem iPhone gesendet"),
])
def test_a_mail_with_greeting_and_signature_about_a_password_gets_the_password_article(
        desk: KnowledgeBase, language: str, mail: str) -> None:
    found = suggest(desk, mail, [language], min_share=THRESHOLD)
    assert [s.id for s in found][:1] == ["password-reset"]
    assert found[0].language == language


@pytest.mark.parametrize(("language", "mail"), [
    ("en", "Broken chair\nHi,\n\nthe chair at my desk lost a wheel. Could someone bring a new "
           "one?\n\nThanks,\nTom\n\nSent from my iPhone"),  # the phone article names iPhone
    ("de", "Stuhl kaputt\nHallo,\n\nan meinem Stuhl ist eine Rolle abgebrochen. Kann jemand "
           "einen neuen bringen?\n\nGruß\nTom\n\nVon meinem iPhone gesendet"),
])
def test_a_mail_about_something_else_gets_nothing_from_its_signature(
        desk: KnowledgeBase, language: str, mail: str) -> None:
    assert offered(desk, mail, language) == []


def test_a_question_of_everyday_words_alone_gets_nothing(desk: KnowledgeBase) -> None:
    assert offered(desk, "Hello, can you please help me? Thanks!", "en") == []
    assert offered(desk, "Dzień dobry, proszę o pomoc. Dziękuję", "pl") == []


def test_the_confidence_only_decides_what_is_offered_never_the_order(
        desk: KnowledgeBase) -> None:
    for question in ("Keyboard missing keys", "printer missing on my laptop",
                     "locked out of my account after the VPN failed"):
        searched = [hit.article.id for hit in desk.search(question, language="en", limit=3,
                                                           public_only=True)]
        found = suggest(desk, question, ["en"], min_share=0.0)
        assert [s.id for s in found] == searched
        # the score shown is the one the threshold compares, best first
        assert all(s.score == round(s.score, 3) and 0.0 <= s.score <= 1.0 for s in found)
        assert [s.score for s in found] == sorted((s.score for s in found), reverse=True)
        offered_ids = offered(desk, question, "en")
        assert offered_ids == [s.id for s in found if s.score >= THRESHOLD]


def test_one_word_in_common_is_enough_only_when_it_names_that_article_alone() -> None:
    kb = load_texts([
        ("a.md", "---\nid: printer\ntitle: Printer missing\nlanguage: en\n---\n"
                 "Add the floor's printer again.\n"),
        ("b.md", "---\nid: drive\ntitle: Network drive missing\nlanguage: en\n---\n"
                 "Map the drive again.\n"),
        ("c.md", "---\nid: toner\ntitle: Order supplies\nlanguage: en\n---\n"
                 "Paper and toner come from reception.\n"),
    ])
    # "missing" is the question's one content word, and it names two articles
    assert kb.search("Something is missing", language="en")
    assert offered(kb, "Something is missing", "en") == []
    # two of the question's words in one article, or one that names it alone: offered
    assert offered(kb, "printer missing", "en")[:1] == ["printer"]
    assert offered(kb, "supplies", "en") == ["toner"]


def test_a_reranker_orders_only_what_is_good_enough(desk: KnowledgeBase) -> None:
    given: list[list[str]] = []

    def backwards(question: str, hits: list[Hit]) -> list[Hit]:
        given.append([hit.article.id for hit in hits])
        return [replace(hit, score=0.0) for hit in reversed(hits)]  # new objects, too

    question = "printer missing on my laptop and the network drive missing too"
    plain = suggest(desk, question, ["en"], min_share=THRESHOLD)
    found = suggest(desk, question, ["en"], min_share=THRESHOLD, rerank=backwards)
    assert len(plain) >= 2 and given == [[s.id for s in plain]]
    assert found == list(reversed(plain))  # each with its own confidence as its score
    assert suggest(desk, "Keyboard missing keys", ["en"], min_share=THRESHOLD,
                   rerank=backwards) == [] and len(given) == 1


@pytest.mark.parametrize("wanted", [0.1, THRESHOLD, 0.5])
def test_a_threshold_given_to_confidences_keeps_the_same_good_enough_articles(
        desk: KnowledgeBase, wanted: float) -> None:
    """`confidences(..., wanted=)` leaves the hits after one below the threshold unread:
    what is good enough, and its confidence, is what the whole reading gives."""
    questions = [("en", "Keyboard missing keys"), ("en", "I forgot my password"),
                 ("en", "printer and vpn and shared drive and password"),
                 ("pl", "Drukarka na moim piętrze nie działa"),
                 ("de", "Das Projektlaufwerk fehlt auf meinem Laptop")]
    compared = 0
    for language, question in questions:
        hits = desk.search(question, language=language, limit=10, public_only=True)
        whole = confidences(desk.indexes, question, hits)
        cut = confidences(desk.indexes, question, hits, wanted=wanted)
        assert len(cut) == len(whole)
        assert [x for x in cut if x >= wanted] == [x for x in whole if x >= wanted]
        compared += len(hits)
    assert compared > 10
