"""HTML bodies: readable plain text for agents and rules, and safe HTML for display.

:func:`html_to_text` keeps the structure a reader relies on (paragraphs, line
breaks, list items, table rows) and every link's target (``text (URL)``, the
URL once when the text already is it) and drops what is not text (scripts,
styles, the document head). It reads markup that html5ever (inside nh3) has
already made well formed: the standard library's ``html.parser`` looks for the
end of every unclosed tag to the end of the document, so ``<p<p<p...`` cost it
the square of the mail's size; html5ever's tokenizer is linear, and well-formed
markup is linear for ``html.parser`` too (bench/hostile_mail.py).

:func:`sanitize_html` cleans with nh3 (ammonia): no scripts, no event handlers,
no ``javascript:`` URLs; ``cid:`` image sources are kept so inline images still
resolve to their attachments.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

import nh3

from postdesk.mail.html_depth import DEFAULT_MAX_DEPTH, limit_depth
from postdesk.mail.html_tokens import MarkupReader
from postdesk.mail.text_table import aligned_table

_SKIPPED = frozenset({"script", "style", "head", "title", "template", "noscript", "xml"})
_BLOCKS = frozenset(
    [
        "p",
        "div",
        "section",
        "article",
        "header",
        "footer",
        "main",
        "aside",
        "nav",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "ul",
        "ol",
        "dl",
        "dd",
        "dt",
        "table",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "blockquote",
        "pre",
        "form",
        "fieldset",
        "address",
        "figure",
        "figcaption",
        "center",
        "hr",
        "body",
        "html",
    ]
)
_PARAGRAPHS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table ", "ul", "ol"}
)
_CELLS = frozenset({"td", "th"})
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "wbr"})

#: The tags whose structure the text keeps; every other tag goes, its text stays.
_STRUCTURE = _BLOCKS | _CELLS | frozenset({"br", "li", "img", "hr", "a"})
#: Dropped with their content before the text is read (html5ever reads a fragment, so the
#: document's own head and body tags are gone already; the head's children are not).
_DROPPED_CONTENT = _SKIPPED - _STRUCTURE

_URL_SCHEMES = frozenset({"http", "https", "mailto", "tel", "cid", "ftp"})
# Presentation attributes mail relies on; nh3's defaults drop them.
_GENERIC_ATTRIBUTES = frozenset(
    {"dir", "lang", "title", "align", "valign", "width", "height", "bgcolor", "color"}
)

# Link targets worth keeping in text: a reader can follow them (not cid:, #anchors, js:).
_LINK_SCHEMES = ("http://", "https://", "ftp://", "mailto:", "tel:")

#: Spaces of an aligned table survive the tidying as this mark (a private-use character).
_PRE_MARK = "\ue000"
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0]+")
_TRAILING = re.compile(r"(?<![ \t])[ \t]+\n")  # from a run's start: linear on long runs
_BLANK_RUNS = re.compile(r"\n{3,}")
_TAGS = re.compile(r"<[^<>]*>")  # not across a "<": linear on "<<<<..."


class _TextExtractor(MarkupReader):
    """Collects text, turning block structure into newlines."""

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self._skip_depth = 0
        self._pre_depth = 0
        self._list_stack: list[list[int]] = []
        self._links: list[tuple[str, int]] = []  # (target, chunk index) of each open <a>
        self._tables: list[_Table] = []  # the open tables, innermost last

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            if tag not in _VOID:
                self._skip_depth += 1
            return
        if tag == "pre":
            self._pre_depth += 1
        self._open_structure(tag, attrs)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _SKIPPED:
            self._open_structure(tag, attrs)

    def _open_structure(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._links.append((_link_target(attrs), len(self.chunks)))
        elif tag == "br":
            self.chunks.append("\n")
        elif tag in ("ul", "ol"):
            self._list_stack.append([0 if tag == "ol" else -1])
            self._break(tag)
        elif tag == "li":
            self.chunks.append("\n" + self._bullet())
        elif tag in _CELLS:
            if self._tables:
                self._tables[-1].open_cell(len(self.chunks))
            self.chunks.append(" ")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt and self._skip_depth == 0:
                self.chunks.append(alt)
        elif tag in _BLOCKS:
            if tag == "table":
                self._tables.append(_Table(len(self.chunks)))
            self._break(tag)

    def _bullet(self) -> str:
        if not self._list_stack:
            return "- "
        counter = self._list_stack[-1]
        indent = "  " * (len(self._list_stack) - 1)
        if counter[0] < 0:
            return indent + "- "
        counter[0] += 1
        return f"{indent}{counter[0]}. "

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skip_depth = max(0, self._skip_depth - 1)
            return
        if tag == "pre":
            self._pre_depth = max(0, self._pre_depth - 1)
        if tag in ("ul", "ol") and self._list_stack:
            self._list_stack.pop()
        if tag == "a" and self._links:
            self._close_link(*self._links.pop())
        if self._tables and tag in _CELLS:
            self._tables[-1].close_cell(self.chunks)
        elif self._tables and tag == "tr":
            self._tables[-1].close_row()
        if tag in _BLOCKS:
            self._break(tag)
        if tag == "table" and self._tables:
            self._tables.pop().align(self.chunks)

    def _close_link(self, target: str, start: int) -> None:
        """Write the target after the link's text, unless the text already says it."""
        if not target or self._skip_depth:
            return
        text = "".join(self.chunks[start:]).strip()
        bare = target.split(":", 1)[1] if target.startswith(("mailto:", "tel:")) else target
        if text in (target, bare, target.rstrip("/")):
            return
        self.chunks.append(f" ({target})" if text else target)

    def _break(self, tag: str) -> None:
        self.chunks.append("\n\n" if tag in _PARAGRAPHS else "\n")

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        if self._pre_depth:
            self.chunks.append(data.replace("\u00a0", " "))
        else:
            text = _SPACES.sub(" ", data)
            if not self.chunks or self.chunks[-1].endswith(("\n", "- ", ". ")):
                text = text.lstrip(" ")
            if text:
                self.chunks.append(text)


class _Table:
    """The cells of one open table, to align them as columns when it closes."""

    def __init__(self, start: int) -> None:
        self.start = start  # the table's first chunk
        self.rows: list[list[str]] = [[]]
        self._cell: int | None = None

    def open_cell(self, at: int) -> None:
        self._cell = at

    def close_cell(self, chunks: list[str]) -> None:
        if self._cell is not None:
            self.rows[-1].append("".join(chunks[self._cell:]))
            self._cell = None

    def close_row(self) -> None:
        if self.rows[-1]:
            self.rows.append([])

    def align(self, chunks: list[str]) -> None:
        """Replace the table's text with aligned columns when it is a small data table."""
        cells = [cell for row in self.rows for cell in row]
        if any("\n" in cell.strip() for cell in cells):
            return
        text = aligned_table([row for row in self.rows if row])
        if text is not None:
            chunks[self.start:] = ["\n\n", text.replace(" ", _PRE_MARK) + "\n\n"]


def _link_target(attrs: list[tuple[str, str | None]]) -> str:
    href = (dict(attrs).get("href") or "").strip()
    return href if href.lower().startswith(_LINK_SCHEMES) and " " not in href else ""


def html_to_text(html: str) -> str:
    """Return readable plain text for an HTML document or fragment."""
    extractor = _TextExtractor()
    try:
        extractor.read(_well_formed(html))
        raw = "".join(extractor.chunks)
    except Exception:  # HTMLParser chokes on some marked sections; fall back to tag stripping
        raw = _SPACES.sub(" ", _TAGS.sub(" ", html))
    return _tidy(raw)


def _well_formed(html: str) -> str:
    """``html`` as well-formed markup of the structural tags and links only: html5ever
    closes what is open and escapes a stray ``<``, in time linear in the input (after
    `limit_depth`, as its tree builder is quadratic in nesting depth). Links keep their
    target, which the text shows."""
    bounded, _ = limit_depth(html, DEFAULT_MAX_DEPTH)
    return nh3.clean(bounded, tags=set(_STRUCTURE), clean_content_tags=set(_DROPPED_CONTENT),
                     attributes={"img": {"alt"}, "a": {"href"}},
                     url_schemes={"http", "https", "ftp", "mailto", "tel"}, link_rel=None,
                     strip_comments=True)


def _tidy(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = _TRAILING.sub("\n", text)
    text = _BLANK_RUNS.sub("\n\n", text)
    return text.replace(_PRE_MARK, " ").strip()


def sanitize_html(html: str, max_depth: int = DEFAULT_MAX_DEPTH) -> tuple[str, bool]:
    """``html`` safe to show in a browser (no script, handlers or js: URLs), and whether
    elements nested deeper than ``max_depth`` lost their tags first: the cleaner's time
    grows with the square of the depth (`postdesk.mail.html_depth`)."""
    bounded, flattened = limit_depth(html, max_depth)
    try:
        return nh3.clean(bounded, url_schemes=set(_URL_SCHEMES),
                         attributes=_attributes()), flattened
    except Exception:  # nh3 only raises on bad arguments; never show unsanitised HTML
        return "", flattened


def _attributes() -> dict[str, set[str]]:
    allowed = {tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()}
    allowed["*"] = set(_GENERIC_ATTRIBUTES) | allowed.get("*", set())
    return allowed


def referenced_content_ids(html: str) -> frozenset[str]:
    """Content-IDs referenced from ``html`` as ``cid:`` URLs (lowercased, unquoted)."""
    found = re.findall(r"cid:([^\"'\s)>]+)", html, flags=re.IGNORECASE)
    return frozenset(_unquote_cid(value) for value in found)


def _unquote_cid(value: str) -> str:
    return unquote(value).strip("<>").lower()
