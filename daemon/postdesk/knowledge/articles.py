"""One knowledge-base article: a Markdown file with front matter, checked line by line.

    ---
    id: password-reset            # with `language`, names the article
    title: Reset your password
    language: en
    aliases: [forgot my password, locked out]   # other ways customers ask
    tags: [accounts]
    request_types: [access]       # where it applies (empty: everywhere)
    visibility: public            # or internal: agents only, never a customer
    ---
    The answer, in Markdown.

An error names the file and line (``kb/en/vpn.md:4: 'visibility' must be one
of public, internal``); the loader keeps the other articles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from postdesk.config.rulesfile import Node, YamlDocument, parse_yaml
from postdesk.errors import RuleError

VISIBILITIES = ("public", "internal")
_KEYS = ("id", "title", "language", "aliases", "tags", "request_types", "visibility")
_REQUIRED = ("id", "title", "language")
_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")
_LANGUAGE = re.compile(r"[a-z]{2,3}(?:_[A-Z]{2})?")
_FENCE = "---"


@dataclass(frozen=True)
class Article:
    """An article as the desk serves it."""

    id: str
    title: str
    language: str
    body: str
    aliases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    request_types: tuple[str, ...] = ()
    visibility: str = "public"
    source: str = ""  # kb/en/password.md, for errors and `kb list`
    #: `kb/en/password.md:7`, where `request_types` is written (`postdesk check` warnings)
    request_types_at: str = field(default="", compare=False)

    @property
    def public(self) -> bool:
        return self.visibility == "public"

    @cached_property
    def plain(self) -> str:
        """The text as a customer reads it in a text mail (`plain_text`), made once: the
        knowledge base makes it for every public article when it loads
        (`library.load_texts`), so that a suggestion costs no pattern over the text."""
        return plain_text(self.body)

    @cached_property
    def summary(self) -> str:
        """The first sentences of `plain`, as a suggestion shows them (`excerpt`)."""
        return excerpt(self)

    def applies_to(self, request_type: str | None) -> bool:
        """Whether the article may be offered on a ticket of `request_type`: an article
        without `request_types` applies everywhere; one with them only to tickets of those
        types, and to tickets no route gave a type (nothing says it does not apply)."""
        return not (request_type and self.request_types
                    and request_type not in self.request_types)

    @property
    def key(self) -> tuple[str, str]:
        return (self.id, self.language)


def parse_article(text: str, display: str) -> Article:
    """The article in ``text`` (the file ``display``); RuleError ``file:line: ...``."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != _FENCE:
        raise RuleError(f"{display}:1: an article starts with front matter: a line '---', "
                        "then id, title and language, then another '---'")
    end = next((i for i, line in enumerate(lines[1:], 1) if line.strip() == _FENCE), None)
    if end is None:
        raise RuleError(f"{display}:1: the front matter has no closing '---' line")
    doc = (simple_front_matter(lines[1:end], display)
           or parse_yaml("\n" + "\n".join(lines[1:end]) + "\n", display))  # line numbers kept
    root = doc.root()
    if root.value is None:
        raise RuleError(f"{display}:2: the front matter is empty; it needs id, title and "
                        "language")
    root.check_keys(_KEYS, _REQUIRED)
    found = root.as_mapping()
    article_id = found["id"].as_str()
    if not _ID.fullmatch(article_id):
        raise found["id"].error(f"'id' {article_id!r} must be lower-case letters, digits, "
                                "'.', '_' or '-' (like password-reset)")
    language = found["language"].as_str()
    if not _LANGUAGE.fullmatch(language):
        raise found["language"].error(f"'language' {language!r} must be a language code "
                                      "like en, pl or pt_BR")
    visibility = found["visibility"].as_str() if "visibility" in found else "public"
    if visibility not in VISIBILITIES:
        raise found["visibility"].error(f"'visibility' must be one of "
                                        f"{', '.join(VISIBILITIES)}, not {visibility!r}")
    body = "\n".join(lines[end + 1:]).strip()
    if not body:
        raise RuleError(f"{display}:{end + 1}: the article has no text after its front matter")
    return Article(id=article_id, title=found["title"].as_str().strip(), language=language,
                   body=body, aliases=_texts(found.get("aliases")),
                   tags=_texts(found.get("tags")),
                   request_types=_texts(found.get("request_types")),
                   visibility=visibility, source=display,
                   request_types_at=found["request_types"].where
                   if "request_types" in found else "")


# `key: value` with a plain or simply quoted value, or a flow list of plain items: what
# almost every article's front matter is. Anything else goes to the YAML parser.
_SIMPLE_LINE = re.compile(r"(?P<key>[a-z_]+):[ \t]*(?P<value>.*?)[ \t]*")
_PLAIN = re.compile(r"[^\s\-?:,\[\]{}#&*!|>'\"%@`](?:[^:#]|:(?!\s)|(?<!\s)#)*")
_QUOTED = re.compile(r'"[^"\\]*"|\'[^\']*\'')
_ITEM = re.compile(r"[^\s\-?:,\[\]{}#&*!|>'\"%@`](?:[^:#,\[\]{}]|:(?!\s))*")
_NOT_TEXT = re.compile(r"(?i)(?:true|false|yes|no|on|off|null|~|[-+]?[0-9][0-9_.:eE+-]*)")


def _scalar(text: str) -> str | None:
    """A plain or quoted YAML scalar that is a text, else None (let YAML decide)."""
    if _QUOTED.fullmatch(text):
        return text[1:-1]
    if _PLAIN.fullmatch(text) and not _NOT_TEXT.fullmatch(text):
        return text
    return None


def simple_front_matter(lines: list[str], display: str) -> YamlDocument | None:
    """The front matter read without the YAML parser when it is simple enough (the parser
    costs milliseconds an article: seconds for a large KB); None: it is not."""
    data: dict[str, Any] = {}
    where: dict[tuple[str | int, ...], int] = {}
    for number, line in enumerate(lines, 2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _SIMPLE_LINE.fullmatch(line)
        if match is None or match["key"] in data:
            return None
        key, value = match["key"], match["value"]
        where.setdefault((), number)  # the mapping starts at its first key, as YAML says
        where[(key,)] = number
        if value.startswith("[") and value.endswith("]"):
            items = [item.strip() for item in value[1:-1].split(",")] if value[1:-1].strip() \
                else []
            if not all(_ITEM.fullmatch(item) and not _NOT_TEXT.fullmatch(item)
                       for item in items):
                return None
            data[key] = items
            where.update({(key, i): number for i in range(len(items))})
            continue
        text = _scalar(value)
        if text is None:
            return None
        data[key] = text
    if not data:
        return None
    return YamlDocument(display, data, where)


def _texts(node: Node | None) -> tuple[str, ...]:
    if node is None or node.value is None:
        return ()
    return tuple(item.as_str().strip() for item in node.as_list(allow_single=True))


def plain_text(markdown: str) -> str:
    """The article's Markdown as a customer reads it in a text mail: links as 'text (url)',
    emphasis and heading marks off."""
    text = re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", r"\1 (\2)", markdown)
    text = re.sub(r"^#{1,6}\s*", "", text, flags=re.MULTILINE)
    return re.sub(r"(\*\*|__|`)", "", text)


def excerpt(article: Article, length: int = 160) -> str:
    """The first sentences of the article's text, about ``length`` characters."""
    flat = " ".join(article.plain.split())
    if len(flat) <= length:
        return flat
    cut = flat.rfind(" ", 0, length)
    return flat[: cut if cut > 0 else length].rstrip(",;:.") + "…"
