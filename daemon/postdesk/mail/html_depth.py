"""A bound on how deeply an HTML body nests before it is cleaned.

An HTML5 parser looks through its stack of open elements at every block tag
(is there a <p> to close?), so nesting costs it the square of the depth: nh3's
parser spends minutes on a megabyte of nested <div>s (bench/hostile_mail.py).
Browsers stop nesting at a few hundred levels. Before cleaning, the tags of
elements deeper than the limit are left out (their text stays), in one linear
pass that only counts tags: the cleaner still sees, and cleans, everything
else.
"""

from __future__ import annotations

import re

DEFAULT_MAX_DEPTH = 256

#: Start or end tag; name and rest taken whole (`*+`), so no input makes it backtrack.
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*+)([^<>]*+)>")
#: Elements that never make the tree deeper: void ones, and those the parser closes
#: itself when the next one of their kind starts (a long list of unclosed <li>s is flat).
_FLAT = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
    "source", "track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup",
    "rb", "rt", "rp", "rtc", "thead", "tbody", "tfoot", "colgroup", "caption",
})


def limit_depth(html: str, max_depth: int = DEFAULT_MAX_DEPTH) -> tuple[str, bool]:
    """``html`` without the tags of elements nested deeper than ``max_depth``, and
    whether any were left out."""
    if html.count("<") <= max_depth:  # cannot nest deeper than it has tags
        return html, False
    pieces: list[str] = []
    kept_from = 0
    depth = 0
    for tag in _TAG.finditer(html):
        closing, name, rest = tag.groups()
        if name.lower() in _FLAT or rest.endswith("/"):
            continue
        if closing:
            too_deep = depth > max_depth
            depth = max(depth - 1, 0)
        else:
            depth += 1
            too_deep = depth > max_depth
        if too_deep:
            pieces.append(html[kept_from:tag.start()])
            kept_from = tag.end()
    if not pieces:
        return html, False
    pieces.append(html[kept_from:])
    return "".join(pieces), True
