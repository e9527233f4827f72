"""Plain text as HTML that reads like the writer meant it: paragraphs flow, structure stays.

Mail clients break plain text at 72-78 characters. Turned into HTML line break
by line break, such text shows lines broken mid-sentence, worst on a phone. A
paragraph's line is joined to the next when the next word would not have fit
on it (it was broken for width, not by the writer); short lines (greetings,
addresses) keep their breaks, and so does text whose lines are longer than any
client wraps at. Kept as they are: quotes (``>``), list items (one per line,
their wrapped continuations joined), code (indented or between ``` fences),
tables aligned in columns, and everything from the ``"-- "`` signature line on. Text sent as
``format=flowed`` arrives with its soft breaks already joined
(:mod:`postdesk.mail.flowed`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from markupsafe import Markup, escape

from postdesk.notify.links import linkify

#: Lines shorter than this are no wrapped paragraph (a client wraps at 72-78).
MIN_WRAP_WIDTH = 50
#: Lines longer than this were not wrapped by a client: their breaks are the writer's.
MAX_WRAP_WIDTH = 100

_BULLET = re.compile(r"^\s*(?:[-*+•–]|\d{1,3}[.)]|[a-zA-Z][.)])\s+\S")
_CODE = re.compile(r"^(?: {4}|\t)")
_FENCE = re.compile(r"^\s*(?:```|~~~)")
_COLUMNS = re.compile(r"\S {2,}\S")  # a line of an aligned table (postdesk.mail.text_table)
_P = '<p style="margin:0 0 12px 0;">'
_LAST_P = '<p style="margin:0;">'  # the box around the text has its own padding
_PRE = ('<pre style="margin:0 0 12px 0;white-space:pre-wrap;word-break:break-word;'
        'font-family:Menlo,Consolas,monospace;font-size:13px;">')


def _html(line: str) -> str:
    return linkify(str(escape(line)))


def _wrapped(line: str, following: str, width: int) -> bool:
    """True when `line` was broken for width (`width`: the paragraph's longest line, 0 when
    its lines are not a client's wrapping): the next word would not have fit on it."""
    if not width:
        return False
    word = following.split(maxsplit=1)[0] if following.strip() else ""
    return len(line.rstrip()) + 1 + len(word) > width


def _wrap_width(lines: list[str]) -> int:
    width = max(len(line.rstrip()) for line in lines)
    return width if MIN_WRAP_WIDTH <= width <= MAX_WRAP_WIDTH else 0


def _paragraph(lines: list[str]) -> str:
    """One paragraph (no blank line inside) as HTML lines: quotes and code verbatim, list
    items one per line with their continuations joined, prose reflowed."""
    width = _wrap_width(lines)
    out: list[str] = []
    joinable = False  # the last line in `out` may take the next one (prose, list item)
    previous = ""
    for line in lines:
        if line.lstrip().startswith(">"):
            out.append(_html(line.rstrip()))
            joinable = False
        elif _CODE.match(line) and not joinable:
            out.append(_html(line.rstrip().replace(" ", "\u00a0")))  # its spaces kept
        elif _BULLET.match(line):
            out.append(_html(line.strip()))
            joinable = True
        elif joinable and (_wrapped(previous, line, width)
                           or (line[:1] in " \t" and _BULLET.match(lines[0]) is not None)):
            out[-1] += " " + _html(line.strip())
        else:
            out.append(_html(line.strip()))
            joinable = True
        previous = line
    return _P + "<br>\n".join(out) + "</p>"


def _blocks(text: str) -> Iterator[tuple[str, list[str]]]:
    """("pre" | "para" | "signature", lines) in order; blank lines separate paragraphs."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    block: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line == "-- " or line == "--":
            if block:
                yield "para", block
            yield "signature", lines[i:]
            return
        if _FENCE.match(line):
            if block:
                yield "para", block
                block = []
            end = next((j for j in range(i + 1, len(lines)) if _FENCE.match(lines[j])),
                       len(lines) - 1)
            yield "pre", lines[i:end + 1]
            i = end + 1
            continue
        if line.strip():
            block.append(line)
        elif block:
            yield "para", block
            block = []
        i += 1
    if block:
        yield "para", block


def reflow(value: str | None) -> Markup:
    """`value`, plain text, as HTML paragraphs (see the module's docstring); links made."""
    parts: list[str] = []
    for kind, lines in _blocks(value or ""):
        if kind == "pre":
            parts.append(_PRE + str(escape("\n".join(lines))) + "</pre>")
        elif kind == "signature":
            kept = list(lines)
            while kept and not kept[-1].strip():
                kept.pop()
            parts.append(_P + "<br>\n".join(_html(line) for line in kept) + "</p>")
        elif all(_CODE.match(line) for line in lines) or (
                len(lines) > 1 and all(_COLUMNS.search(line) for line in lines)):
            parts.append(_PRE + str(escape("\n".join(lines))) + "</pre>")
        else:
            parts.append(_paragraph(lines))
    if parts and parts[-1].startswith(_P):
        parts[-1] = _LAST_P + parts[-1][len(_P):]
    return Markup("\n".join(parts))
