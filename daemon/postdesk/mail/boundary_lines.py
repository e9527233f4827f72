"""The standard library's MIME parser without its cost per line and per nesting level.

`email.feedparser` keeps, for each multipart it is inside, a predicate that
says whether a line ends that part (the part's boundary, RFC 2046 5.1.2:
the boundary of any enclosing part ends the inner ones too). It asks every
one of them about every line, so a mail of N lines nested D deep costs N x D
regular-expression matches: 68 KB of multiparts nested 1,200 deep took 0.8 s
of CPU, and the cost grows with the square of the size.

A boundary predicate (`boundaryre.match`) matches only a line that starts
with its separator (`--` and the boundary), and all predicates of one
separator are the same pattern. `QuickBoundaryLines` knows the separators of
the predicates pushed, and asks only the one predicate of each separator a
line starts with (or, when a predicate of another kind is active: the
blank-line one of `message/delivery-status`, all of them as the standard
library does). A line ends a part when any predicate matches it, whatever
their order, so the answer is the standard library's; every other line cannot
end a part and is returned at once. Asking every predicate about each line
that merely starts like a separator (`--b1000` under `--b1`, `--b10`, ...)
still cost 0.6 s for 68 KB nested 1,200 deep (bench/fuzz.py, issue 25).

Each level also costs the standard library a regular expression compiled for its
boundary and a Content-Type header parsed, some 0.5 ms: 1,000 levels in 70 KB
were 0.5 s, and at about 1,000 levels its recursion gives out. So the parse
stops at a nesting depth (`NestedTooDeep`; ``loading`` then keeps the mail as
one text part, as for any mail the parser cannot read).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Generator
from email.feedparser import (  # type: ignore[attr-defined]  # not in typeshed's stubs
    BufferedSubFile,
    FeedParser,
    NeedMoreData,
)
from email.message import EmailMessage, Message
from email.policy import Policy
from typing import Any

from postdesk.mail.large_parts import set_aside

#: The pattern feedparser builds for a boundary (`_parsegen`), its separator escaped.
_BOUNDARY_PATTERN = re.compile(
    r"\(\?P<sep>(?P<escaped>.*)\)\(\?P<end>--\)\?\(\?P<ws>\[ \\t\]\*\)"
    r"\(\?P<linesep>\\r\\n\|\\r\|\\n\)\?\$", re.DOTALL)
_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)


def separator_of(predicate: Callable[[str], Any]) -> str | None:
    """The separator (`--boundary`) a predicate of feedparser's matches; None: not one."""
    pattern = getattr(getattr(predicate, "__self__", None), "pattern", None)
    found = _BOUNDARY_PATTERN.fullmatch(pattern) if isinstance(pattern, str) else None
    return _UNESCAPE.sub(r"\1", found["escaped"]) if found else None


class QuickBoundaryLines(BufferedSubFile):
    """`BufferedSubFile` that asks its end-of-part predicates only about lines one of them
    can match."""

    def __init__(self) -> None:
        super().__init__()
        self._separators: Counter[str] = Counter()
        self._lengths: Counter[int] = Counter()
        #: one predicate per separator pushed (they are all the same pattern)
        self._matchers: dict[str, Callable[[str], Any]] = {}
        self._others = 0  # predicates that are no boundary's

    def push_eof_matcher(self, pred: Callable[[str], Any]) -> None:
        super().push_eof_matcher(pred)
        self._count(pred, +1)

    def pop_eof_matcher(self) -> Callable[[str], Any]:
        pred: Callable[[str], Any] = super().pop_eof_matcher()
        self._count(pred, -1)
        return pred

    def _count(self, pred: Callable[[str], Any], step: int) -> None:
        separator = separator_of(pred)
        if separator is None:
            self._others += step
            return
        self._separators[separator] += step
        self._lengths[len(separator)] += step
        if self._separators[separator] > 0:
            self._matchers.setdefault(separator, pred)
        else:
            self._matchers.pop(separator, None)

    def readline(self) -> Any:
        lines = self._lines  # type: ignore[attr-defined,unused-ignore]
        if not lines:
            if self._closed:  # type: ignore[attr-defined,unused-ignore]
                return ""
            return NeedMoreData
        if self._others:
            return super().readline()
        line = lines[0]
        for length, count in self._lengths.items():
            if count and (ends := self._matchers.get(line[:length])) is not None \
                    and ends(line):
                return ""  # the line stays for the part it begins, as the stdlib leaves it
        lines.popleft()
        return line


class NestedTooDeep(Exception):
    """A part is nested deeper than the parse's limit."""


class _DepthBoundedParser(FeedParser):
    """`FeedParser` that stops with `NestedTooDeep` at a part deeper than ``max_depth``
    (the root is at depth 0)."""

    def __init__(self, parse_policy: Policy, max_depth: int) -> None:
        super().__init__(EmailMessage, policy=parse_policy)
        self._max_depth = max_depth

    def _parsegen(self) -> Generator[Any, None, None]:
        if len(self._msgstack) > self._max_depth:  # type: ignore[attr-defined]
            raise NestedTooDeep(f"MIME parts nested more than {self._max_depth} deep")
        return (yield from super()._parsegen())  # type: ignore[misc]


def parse_bytes(data: bytes, parse_policy: Policy, max_depth: int | None = None) -> Message:
    """What `BytesParser(_class=EmailMessage, policy=parse_policy).parsebytes(data)` gives;
    `NestedTooDeep` for a part nested deeper than ``max_depth`` (None: no limit). A large
    mail's long base64 runs skip the parser's lines (`postdesk.mail.large_parts`)."""
    text = data.decode("ascii", errors="surrogateescape")
    aside = set_aside(text)
    if aside is not None:
        del text
        parsed = _parse_text(aside.text, parse_policy, max_depth)
        if aside.put_back(parsed):
            return parsed
        del parsed
        text = data.decode("ascii", errors="surrogateescape")
    return _parse_text(text, parse_policy, max_depth)


def _parse_text(text: str, parse_policy: Policy, max_depth: int | None) -> Message:
    parser = (FeedParser(EmailMessage, policy=parse_policy) if max_depth is None
              else _DepthBoundedParser(parse_policy, max_depth))
    parser._input = QuickBoundaryLines()  # type: ignore[attr-defined]  # read lazily by the parser
    parser.feed(text)
    return parser.close()
