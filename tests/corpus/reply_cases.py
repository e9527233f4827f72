"""Reply-extraction cases from the shared corpora (tests/corpus and bench/mail_understanding.py).

Expected values come from each corpus' ``expected.json`` (MANIFEST sections 6, 7, 17):

* email-reply-parser: ``reply`` where given; otherwise, when the flags say the
  first fragment is the only visible one, the text before fragment 1 (found with
  its ``fragment_regex``) or ``fragment_equals[0]``; a one-fragment body is its
  own reply. Entries with only ``*_contains``/regex data become content checks.
  Upstream keeps inline ``>`` quotes visible; Postdesk drops them, so checks on
  quoted fragments are "must not appear". Entries without flags describe a
  top-post: fragment 0 is the reply and later fragments are history.
* talon standard/html replies: talon removes quotations but keeps signatures, so
  its expected reply is compared with ``new_text`` followed by ``signature``.

Accuracy = exact match after whitespace normalisation (checks for entries
without an exact expectation).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from postdesk.mail.reply import Reply

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"

Check = Callable[[Reply], bool]


@dataclass(frozen=True)
class Case:
    """One corpus file with its input and what the extracted reply must satisfy."""

    corpus: str
    name: str
    text: str
    html: str | None = None
    exact: str | None = None
    with_signature: bool = False
    checks: tuple[tuple[str, Check], ...] = field(default=())

    def passes(self, reply: Reply) -> bool:
        """True when ``reply`` meets the expectation of this case."""
        if self.exact is not None:
            got = reply.new_text
            if self.with_signature and reply.signature:
                got = f"{got}\n{reply.signature}"
            return normalise(got) == normalise(self.exact)
        return all(check(reply) for _, check in self.checks)


def normalise(text: str) -> str:
    """Collapse whitespace runs and strip, for comparing texts."""
    return " ".join(text.split())


def _load(corpus: str) -> dict[str, dict[str, Any]]:
    path = CORPUS / corpus / "expected.json"
    if not path.is_file():
        return {}
    data: dict[str, dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["expected"]
    return data


# --- email-reply-parser --------------------------------------------------------


def _parser_case(corpus: str, name: str, spec: dict[str, Any]) -> Case | None:
    raw = (CORPUS / corpus / name).read_bytes().decode("utf-8")
    body = raw.replace("\r\n", "\n")
    short = Path(name).name
    if "reply" in spec:
        return Case(corpus, short, body, exact=spec["reply"])
    if spec.get("fragments") == 1:
        return Case(corpus, short, body, exact=body)
    exact = _visible_prefix(body, spec)
    if exact is not None:
        return Case(corpus, short, body, exact=exact)
    checks = _fragment_checks(spec)
    if "max_seconds" in spec:
        checks.append(("non-empty", lambda r: bool(r.new_text.strip())))
    return Case(corpus, short, body, checks=tuple(checks)) if checks else None


def _visible_prefix(body: str, spec: dict[str, Any]) -> str | None:
    """The reply when only fragment 0 is visible: the text before fragment 1."""
    hidden = spec.get("hidden")
    if hidden is not None and (hidden[0] or not all(hidden[1:])):
        return None
    if hidden is None and "fragment_regex" not in spec:
        return None
    equals = spec.get("fragment_equals", {})
    if "0" in equals:
        return str(equals["0"])
    pattern = spec.get("fragment_regex", {}).get("1")
    if pattern is None:
        return None
    match = re.search(pattern, body, re.MULTILINE)
    return body[: match.start()] if match else None


def _fragment_checks(spec: dict[str, Any]) -> list[tuple[str, Check]]:
    """Content checks from ``*_contains`` and per-fragment regexes."""
    hidden = spec.get("hidden", [])
    if "hidden" not in spec:
        # Without flags the upstream tests describe a top-post: fragment 0 is the
        # reply, every later fragment is the history below it.
        hidden = [False] + [True] * 16
    quoted = spec.get("quoted", [])
    checks: list[tuple[str, Check]] = []
    for key, text in spec.get("fragment_equals", {}).items():
        if not (_flag(hidden, int(key)) or _flag(quoted, int(key))):
            checks.append((f"contains {text.strip()!r}", _contains(text.strip())))
    for needle in spec.get("reply_contains", []):
        checks.append((f"contains {needle!r}", _contains(needle)))
    for needle in spec.get("reply_not_contains", []):
        checks.append((f"lacks {needle!r}", _lacks(needle)))
    for key, needle in spec.get("fragment_contains", {}).items():
        index = int(key)
        dropped = _flag(hidden, index) or _flag(quoted, index)
        if dropped and len(needle) >= 3:
            checks.append((f"lacks {needle!r}", _lacks(needle)))
        elif not dropped:
            checks.append((f"contains {needle!r}", _contains(needle)))
    for key, pattern in spec.get("fragment_regex", {}).items():
        index = int(key)
        dropped = _flag(hidden, index) or _flag(quoted, index)
        found = _regex(pattern)
        checks.append((f"{'lacks' if dropped else 'has'} /{pattern}/",
                       (lambda r, f=found: not f(r)) if dropped else found))
    return checks


def _flag(flags: list[bool], index: int) -> bool:
    return index < len(flags) and flags[index]


def _contains(needle: str) -> Check:
    return lambda reply: needle in reply.new_text


def _lacks(needle: str) -> Check:
    return lambda reply: needle not in reply.new_text


def _regex(pattern: str) -> Check:
    compiled = re.compile(pattern, re.MULTILINE)
    return lambda reply: compiled.search(reply.new_text) is not None


def _parser_cases(corpus: str) -> list[Case]:
    cases = (_parser_case(corpus, name, spec) for name, spec in _load(corpus).items())
    return [case for case in cases if case is not None]


# --- talon ----------------------------------------------------------------------


def _first_plain_part(path: Path) -> str:
    with path.open("rb") as handle:
        message = BytesParser(policy=policy.default).parse(handle)
    assert isinstance(message, EmailMessage)
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return str(part.get_content()).replace("\r\n", "\n")
    return ""


def _talon_cases() -> list[Case]:
    cases: list[Case] = []
    for name, spec in _load("talon").items():
        path = CORPUS / "talon" / name
        if spec.get("kind") == "plain_reply" and "expected_reply" in spec:
            reply_file = path.with_name(path.stem + "_reply_text")
            expected = reply_file.read_text() if reply_file.is_file() else spec["expected_reply"]
            cases.append(Case("talon-standard", path.name, _first_plain_part(path),
                              exact=expected, with_signature=True))
        elif spec.get("kind") == "html_reply" and "expected_reply_text" in spec:
            cases.append(Case("talon-html", path.name, "", html=path.read_text(),
                              exact=spec["expected_reply_text"], with_signature=True))
    return cases


def _redmine_cases() -> list[Case]:
    cases: list[Case] = []
    for name, spec in _load("redmine-mail-handler").items():
        if "new_text_contains" not in spec or "with_body_delimiter" in spec:
            continue
        path = CORPUS / "redmine-mail-handler" / name
        checks = [(f"contains {n!r}", _contains(n)) for n in spec["new_text_contains"]]
        checks += [(f"lacks {n!r}", _lacks(n)) for n in spec.get("new_text_not_contains", [])]
        cases.append(Case("redmine", path.name, _first_plain_part(path), checks=tuple(checks)))
    return cases


CASES: dict[str, list[Case]] = {
    "email-reply-parser-github": _parser_cases("email-reply-parser-github"),
    "email-reply-parser-zapier": _parser_cases("email-reply-parser-zapier"),
    "talon-standard": [c for c in _talon_cases() if c.corpus == "talon-standard"],
    "talon-html": [c for c in _talon_cases() if c.corpus == "talon-html"],
    "redmine": _redmine_cases(),
}
