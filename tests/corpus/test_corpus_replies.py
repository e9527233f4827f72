"""Reply extraction measured on the email-reply-parser (GitHub, Zapier), talon and redmine corpora.

The cases and how their expectations are read are in ``reply_cases.py``
(shared with ``bench/mail_understanding.py``). Run with ``-s`` to see the
summary lines.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from reply_cases import CASES, CORPUS, Case, normalise

from postdesk.mail.reply import Reply, extract_reply

pytestmark = pytest.mark.corpus

# The pathological inputs must finish; this bound only catches a runaway regex.
RUNAWAY_SECONDS = 30.0

# Measured accuracy was 100 % on every corpus (github 22/22, zapier 17/17,
# talon standard 12/12, talon html 9/9, redmine 3/3); the floor allows one miss.
MIN_ACCURACY = {
    "email-reply-parser-github": 0.95,
    "email-reply-parser-zapier": 0.94,
    "talon-standard": 0.91,
    "talon-html": 0.88,
    "redmine": 1.0,
}

# Known misses: (corpus, file) -> why.
KNOWN_MISSES: dict[tuple[str, str], str] = {}


def _run(case: Case) -> Reply:
    return extract_reply(case.text, html=case.html)


def _all_cases() -> list[Any]:
    params = []
    for corpus, cases in CASES.items():
        for case in cases:
            reason = KNOWN_MISSES.get((corpus, case.name))
            marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
            params.append(pytest.param(case, id=f"{corpus}/{case.name}", marks=marks))
    return params


@pytest.mark.parametrize("case", _all_cases())
def test_reply_matches_expectation(case: Case) -> None:
    reply = _run(case)
    if case.exact is not None:
        got = reply.new_text + (f"\n{reply.signature}" if case.with_signature else "")
        assert normalise(got) == normalise(case.exact), reply
    for description, check in case.checks:
        assert check(reply), f"{description}: {reply}"


@pytest.mark.parametrize("corpus", sorted(MIN_ACCURACY))
def test_accuracy_per_corpus(corpus: str) -> None:
    cases = CASES[corpus]
    if not cases:
        pytest.skip(f"corpus {corpus} not found under {CORPUS}")
    passed = sum(case.passes(_run(case)) for case in cases)
    accuracy = passed / len(cases)
    print(f"\nreply accuracy {corpus}: {passed}/{len(cases)} = {accuracy:.1%}")
    assert accuracy >= MIN_ACCURACY[corpus]


@pytest.mark.parametrize("name", ["pathological.txt", "email_long_quote.txt"])
def test_pathological_inputs_finish(name: str) -> None:
    path = CORPUS / "email-reply-parser-github" / "test" / "emails" / name
    if not path.is_file():
        pytest.skip(f"corpus file {path} not found")
    body = path.read_text(encoding="utf-8")
    result: list[Reply] = []
    worker = threading.Thread(target=lambda: result.append(extract_reply(body)), daemon=True)
    worker.start()
    worker.join(RUNAWAY_SECONDS)
    assert result, f"extract_reply did not finish on {name}"
    assert result[0].new_text.strip()
