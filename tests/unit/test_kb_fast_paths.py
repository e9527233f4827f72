"""The knowledge base's cheap paths give what the patterns they stand in for give.

`words.tokens` cuts a text in C where it can and `links.linkify` skips a text
without an address: the words a search compares and the links an HTML part
shows must stay the same (issue 21: their cost per mail, bench/kb_cost.py).
"""

from __future__ import annotations

import random
import re

import pytest

from postdesk.knowledge.articles import parse_article
from postdesk.knowledge.suggest import as_suggestion
from postdesk.knowledge.words import tokens
from postdesk.notify.links import linkify

WORD = re.compile(r"[^\W_]+")
URL = re.compile(r"(?:https?://|ftp://|mailto:|tel:)(?:[^\s<>&]|&amp;)+", re.IGNORECASE)


@pytest.mark.parametrize("text", [
    "Reset my PASSWORD, please: it_expired (error #42).",
    "Hasło nie działa — don’t know why… Kennwort zurücksetzen?",
    "İstanbul ŁÓDŹ ǅemal ½ ٣ x²\u00a0nbsp\u2028line\u3000wide",
    "", "   ", "_", "a_b-c.d",
])
def test_tokens_are_the_runs_of_letters_and_digits(text: str) -> None:
    assert tokens(text) == WORD.findall(text.lower())


def test_tokens_of_random_mixed_texts_are_the_patterns() -> None:
    rng = random.Random(21)
    alphabet = "aZ9 _-.,'\n\t\xa0’…İßłéÆ\u0301\u2028\u3000٣½²ǅ"
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20)))
        assert tokens(text) == WORD.findall(text.lower()), text


@pytest.mark.parametrize("text", [
    "Note: no address here", "Open https://example.com/a?b=1&amp;c=2.",
    "write to MAILTO:help@example.com or call Tel:+48123", "ma\u0130lto:x ſ K tel: el:",
    "no colon at all", "ftp://files (see http://x.y/(a))",
])
def test_linkify_skips_only_texts_without_an_address(text: str) -> None:
    def link(match: re.Match[str]) -> str:
        url = match.group(0)
        kept = url.rstrip(".,;:!?)]")
        if url.endswith(")") and "(" in kept:
            kept = url[:len(kept) + 1]
        return f'<a href="{kept}">{kept}</a>{url[len(kept):]}'

    assert linkify(text) == URL.sub(link, text)


def test_a_suggestion_shows_the_articles_plain_text_and_excerpt() -> None:
    article = parse_article("---\nid: vpn\ntitle: VPN\nlanguage: en\n---\n# Connect\n"
                            "Open **GlobalConnect** and see [the guide](https://x.example/vpn). "
                            + "More words here. " * 20, "kb/vpn.md")
    shown = as_suggestion(article, 0.81234)
    assert shown.text.startswith("Connect\nOpen GlobalConnect and see the guide "
                                 "(https://x.example/vpn).")
    assert shown.excerpt.startswith("Connect Open GlobalConnect and see the guide")
    assert shown.excerpt.endswith("…") and len(shown.excerpt) <= 161
    assert shown.score == 0.812
