"""The knowledge base's index in the database (issue 21), on real SQLite (FTS5) and real
PostgreSQL (tsvector + GIN): the example desk's articles found for customers' questions in
English, Polish and German, the same articles first as the in-memory index, internal
articles kept from customers, and a rebuild that replaces the index whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from postdesk.config.desk_init import init_desk
from postdesk.knowledge.library import KnowledgeBase, kb_files, load_texts
from postdesk.store import kb_index
from postdesk.tickets.kb_database import search_database

QUESTIONS = [
    ("en", "I forgot my password and cannot log in", "password-reset"),
    ("en", "How do I connect to the VPN from home?", "vpn-access"),
    ("en", "Could you send me a copy of last month's invoice?", "invoice-copy"),
    ("en", "The printer on the third floor does not print", "printer-setup"),
    ("pl", "Zapomniałem hasła do komputera, co mam zrobić?", "password-reset"),
    ("pl", "VPN nie działa w hotelu", "vpn-access"),
    ("pl", "Proszę o kopię faktury za marzec", "invoice-copy"),
    ("pl", "Jak skonfigurować pocztę na telefonie?", "mail-on-phone"),
    ("de", "Ich habe mein Kennwort vergessen", "password-reset"),
    ("de", "Die Fernverbindung ins Firmennetz klappt nicht", "vpn-access"),
    ("de", "Ich komme nicht auf das Projektlaufwerk", "shared-drive"),
    ("de", "Wie bekomme ich meine Firmenmails aufs Handy?", "mail-on-phone"),
]


@pytest.fixture
def desk_kb(tmp_path: Path) -> KnowledgeBase:
    init_desk(tmp_path / "desk")
    folder = tmp_path / "desk" / "kb"
    kb = load_texts((f"kb/{p.relative_to(folder).as_posix()}", p.read_text("utf-8"))
                    for p in kb_files(folder))
    assert not kb.problems
    return kb


@pytest.mark.parametrize(("language", "question", "expected"), QUESTIONS)
def test_the_database_finds_the_same_article_first_as_the_memory_index(
        migrated: str, desk_kb: KnowledgeBase, language: str, question: str,
        expected: str) -> None:
    kb_index.rebuild_knowledge(desk_kb)
    found = search_database(desk_kb, question, language, 3, public_only=True)
    in_memory = desk_kb.search(question, language=language, limit=3, public_only=True)
    assert [hit.article.id for hit in found][:1] == [expected]
    assert found[0].article.language == language
    assert [hit.article.id for hit in in_memory][:1] == [expected]
    assert 0 < found[0].share <= 1


def test_internal_articles_and_other_request_types_are_not_offered(
        migrated: str, desk_kb: KnowledgeBase) -> None:
    kb_index.rebuild_knowledge(desk_kb)
    question = "My account is locked, please unlock it; I forgot my password"
    everything = [hit.article.id for hit in search_database(desk_kb, question, "en", 10)]
    public = [hit.article.id for hit in search_database(desk_kb, question, "en", 10,
                                                        public_only=True)]
    internal = [a.id for a in desk_kb.articles if not a.public]
    assert set(internal) & set(everything)
    assert not set(internal) & set(public)
    assert "password-reset" in public
    billing = search_database(desk_kb, question, "en", 10, public_only=True,
                              request_type="billing")
    assert "password-reset" not in [hit.article.id for hit in billing]


def test_a_rebuild_replaces_the_index_whole(migrated: str, desk_kb: KnowledgeBase) -> None:
    kb_index.rebuild_knowledge(desk_kb)
    canteen = load_texts([("kb/en/canteen.md", "---\nid: canteen\ntitle: Canteen menu\n"
                           "language: en\n---\nThe menu of the week is on the intranet.\n")])
    kb_index.rebuild_knowledge(canteen)
    assert [h.article.id for h in search_database(canteen, "canteen menu", "en", 3)] == [
        "canteen"]
    assert search_database(desk_kb, "I forgot my password", "en", 3) == []
    assert search_database(desk_kb, "Ich habe mein Kennwort vergessen", "de", 3) == []
