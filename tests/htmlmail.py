"""A small reader for the HTML part of our mails: its tree, visible text and problems.

Built on the standard library's tolerant `html.parser`, so the tests can say
what a mail client would stumble over (an unclosed tag, a stray end tag)
instead of what a strict XML parser would.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                  "source", "track", "wbr"})
#: Elements that start a new line of visible text.
BLOCKS = frozenset({"p", "div", "td", "tr", "table", "li", "ul", "blockquote", "br", "h1",
                    "h2", "h3", "title", "body"})


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    parent: Element | None = None
    children: list[Element | str] = field(default_factory=list)

    @property
    def style(self) -> str:
        return self.attrs.get("style", "").replace(" ", "")

    def ancestors(self) -> list[Element]:
        chain, node = [], self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain

    def iter(self) -> list[Element]:
        found = [self]
        for child in self.children:
            if isinstance(child, Element):
                found.extend(child.iter())
        return found

    def hidden(self) -> bool:
        return any("display:none" in e.style or e.tag in ("head", "title")
                   for e in [self, *self.ancestors()])


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.current = self.root
        self.problems: list[str] = []
        self.texts: list[tuple[Element, str]] = []

    def _where(self) -> str:
        line, column = self.getpos()
        return f"line {line}, column {column}"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs}, parent=self.current)
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if self.current.tag != tag:
            self.problems.append(f"{self._where()}: </{tag}> closes <{self.current.tag}>")
            open_tags = [self.current, *self.current.ancestors()]
            match = next((e for e in open_tags if e.tag == tag), None)
            if match is None:
                return
            self.current = match
        self.current = self.current.parent or self.root

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)
        self.texts.append((self.current, data))


@dataclass(frozen=True)
class HtmlMail:
    root: Element
    problems: tuple[str, ...]
    texts: tuple[tuple[Element, str], ...]

    def elements(self, tag: str) -> list[Element]:
        return [e for e in self.root.iter() if e.tag == tag]

    def visible_lines(self) -> list[str]:
        """The text a reader sees, one entry per line, whitespace collapsed."""
        lines: list[str] = []
        current: list[str] = []

        def walk(node: Element) -> None:
            # aria-hidden: decoration beside the text it repeats (an agent's initials badge)
            if node.hidden() or node.attrs.get("aria-hidden") == "true":
                return
            if node.tag in BLOCKS:
                flush()
            for child in node.children:
                if isinstance(child, str):
                    current.append(child)
                else:
                    walk(child)
            if node.tag in BLOCKS:
                flush()

        def flush() -> None:
            line = " ".join("".join(current).split())
            if line:
                lines.append(line)
            current.clear()

        walk(self.root)
        flush()
        return lines


def parse_html(source: str) -> HtmlMail:
    builder = _TreeBuilder()
    builder.feed(source)
    builder.close()
    problems = list(builder.problems)
    if builder.current is not builder.root:
        unclosed = [e.tag for e in [builder.current, *builder.current.ancestors()]
                    if e is not builder.root]
        problems.append(f"unclosed at the end: {', '.join(unclosed)}")
    return HtmlMail(builder.root, tuple(problems), tuple(builder.texts))


def collapse(text: str) -> str:
    return " ".join(text.split())


def long_words(text: str, length: int = 40) -> list[str]:
    return re.findall(rf"\S{{{length},}}", text)
