"""The desk's knowledge base: every article under `kb/`, their index, and what is broken.

A broken article is left out and named in `problems` (`postdesk check` prints
them); the others stay served, so one bad edit never silences the whole KB.
Two files with the same `id` and `language` are a problem too: the first (in
path order) is kept.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from postdesk.config.rulesfile import read_rules_text
from postdesk.errors import RuleError
from postdesk.knowledge.articles import Article, parse_article
from postdesk.knowledge.index import Hit, LanguageIndex, build
from postdesk.knowledge.words import base_language

KB_FOLDER = "kb"


#: The last listing of each folder, as `os.walk` gave it, and the paths made of it.
_listed: dict[str, tuple[list[str], list[Path]]] = {}


def kb_files(folder: Path) -> list[Path]:
    """Every `*.md` under `folder` (any depth, symbolic links followed), in path order;
    README.md files excluded. Every process looks every `[rules] reload_interval` seconds:
    one `os.scandir` per folder lists 1,000 articles in half the instructions `os.walk`
    takes (a fifth of `Path.rglob`'s), and when the listing is the last one the paths made
    of it are given again (sorting and making 1,000 paths cost three times the walk)."""
    if not folder.is_dir():
        return []
    found: list[str] = []
    _md_files(str(folder), found)
    key = str(folder)
    last = _listed.get(key)
    if last is not None and last[0] == found:
        return list(last[1])
    paths = [Path(path) for path in sorted(found, key=lambda path: path.split(os.sep))]
    _listed[key] = (found, paths)
    return list(paths)


def _md_files(top: str, found: list[str]) -> None:
    """The article files under `top` into `found`; a folder that cannot be read is left
    out, as `os.walk` leaves it."""
    try:
        entries = os.scandir(top)
    except OSError:
        return
    with entries:
        for entry in entries:
            name = entry.name
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                _md_files(entry.path, found)
            elif name.endswith(".md") and name.lower() != "readme.md":
                found.append(entry.path)


@dataclass(frozen=True)
class KnowledgeBase:
    """The articles in force, indexed per language."""

    articles: tuple[Article, ...] = ()
    problems: tuple[str, ...] = ()  # `file:line: what is wrong`, one per refused article
    indexes: dict[str, LanguageIndex] = field(default_factory=dict, compare=False)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted(self.indexes))

    def article(self, article_id: str, languages: Sequence[str]) -> Article | None:
        """The article `article_id` in the first of `languages` that has it, else in any."""
        found = {base_language(a.language): a for a in self.articles if a.id == article_id}
        for language in languages:
            if base_language(language) in found:
                return found[base_language(language)]
        return next(iter(found.values()), None)

    def search(self, text: str, *, language: str | None = None, limit: int = 10,
               public_only: bool = False, request_type: str | None = None) -> list[Hit]:
        """The best articles for `text`, best first: in `language` only, or in every
        language (each with its own stemmer) when None."""
        langs = [base_language(language)] if language else list(self.indexes)
        hits: list[Hit] = []
        for lang in langs:
            index = self.indexes.get(lang)
            if index is not None:
                hits += index.search(text, limit, public_only=public_only,
                                     request_type=request_type)
        hits.sort(key=lambda hit: (-hit.score, hit.article.id, hit.article.language))
        return hits[:limit]

    def unknown_request_types(self, known: Collection[str]) -> list[str]:
        """`file:line: ...` for each request type an article names that is not `known`
        (routing's): no ticket can have it, so the article is kept from every typed one."""
        return [f"{article.request_types_at}: article '{article.id}' ({article.language}) "
                f"applies to request type '{name}', which rules/routing.yaml does not list "
                f"(known: {', '.join(sorted(known)) or 'none'}); add it to routing's "
                "request_types or correct the article"
                for article in self.articles for name in article.request_types
                if name not in known]

    def describe(self) -> str:
        count = len(self.articles)
        text = f"{count} article{'s' if count != 1 else ''}"
        if self.languages:
            text += f" ({', '.join(self.languages)})"
        if self.problems:
            text += f", {len(self.problems)} refused"
        return text


EMPTY_KB = KnowledgeBase()


#: The last knowledge base built and the texts it was built from: the worker processes'
#: fork server builds it once (`read_folder`), and every worker forked from it finds it
#: here instead of building its own (a thousand articles take about a second).
_last: tuple[tuple[tuple[str, str], ...], KnowledgeBase] | None = None


def read_folder(folder: Path) -> KnowledgeBase:
    """The articles under `folder`, named as the live files name them (`kb/en/vpn.md`); a
    file that cannot be read is one more problem."""
    texts, problems = [], []
    for path in kb_files(folder):
        display = f"{folder.name}/{path.relative_to(folder).as_posix()}"
        try:
            texts.append((display, read_rules_text(path, display)))
        except RuleError as exc:
            problems.append(str(exc))
    kb = load_texts(texts)
    return replace(kb, problems=(*kb.problems, *problems)) if problems else kb


def load_texts(files: Iterable[tuple[str, str]]) -> KnowledgeBase:
    """The knowledge base of (display name, text) pairs, e.g. (`kb/en/vpn.md`, ...)."""
    global _last
    pairs = tuple(files)
    last = _last
    if last is not None and last[0] == pairs:
        return last[1]
    kb = _build(pairs)
    _last = (pairs, kb)
    return kb


def _build(files: Iterable[tuple[str, str]]) -> KnowledgeBase:
    articles: dict[tuple[str, str], Article] = {}
    problems: list[str] = []
    for display, text in files:
        try:
            article = parse_article(text, display)
        except RuleError as exc:
            problems.append(str(exc))
            continue
        first = articles.get(article.key)
        if first is not None:
            problems.append(f"{display}:1: article '{article.id}' in '{article.language}' is "
                            f"already {first.source}; give one of them another id")
            continue
        articles[article.key] = article
    kept = tuple(articles.values())
    for article in kept:  # what the mails show of an article, made once, not per mail
        if article.public:
            _ = article.summary  # and `plain`, which it is made of
    return KnowledgeBase(kept, tuple(problems), build(kept))
