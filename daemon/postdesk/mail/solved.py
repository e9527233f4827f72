"""Does the customer say the problem is solved? ("works now", "rozwiązane", "已解决")

The phrases come from the per-language table in :mod:`postdesk.mail.reply_languages`.
A phrase right after a negation ("not solved", "nie działa", "不...解决") does not
count. Read it on the extracted new text, never on quoted history, where the desk's
own "has this solved your problem?" would answer itself. Pure and linear: one
bounded regex scan, which still costs about as much as extracting the reply, so
the desk reads it only when a rule asks (``EventFacts.says_solved``).
"""

from __future__ import annotations

import re

from postdesk.mail.reply_languages import LANGUAGES, NEGATIONS

# How much of a reply is read: a customer says it in the first lines.
_WINDOW = 2000
# How far back (characters) a negation still turns the phrase around.
_NEGATION_REACH = 16

def _unspaced(word: str) -> bool:
    """A word of a script written without spaces (CJK): no word boundaries around it."""
    return ord(word[0]) >= 0x2E80


def _negation(word: str) -> str:
    """``word`` as a pattern: whole words only, except CJK and the "n't" suffix."""
    if _unspaced(word) or word.startswith("n'"):
        return re.escape(word)
    return rf"(?<!\w){re.escape(word)}(?!\w)"


def _lowered(pattern: str) -> str:
    """``pattern`` for lowercased text: its letters lowercased, its escapes (``\\S``) kept."""
    return re.sub(r"\\.|[^\\]+",
                  lambda m: m.group(0) if m.group(0).startswith("\\") else m.group(0).lower(),
                  pattern)


# The text is lowercased once and matched without IGNORECASE: twice as fast on the
# alternation of every language's phrases, tried at each position of the window.
_SPACED = "|".join(sorted({_lowered(p) for lang in LANGUAGES if lang.spaced
                           for p in lang.solved}, key=len, reverse=True))
_UNSPACED = "|".join(sorted({_lowered(p) for lang in LANGUAGES if not lang.spaced
                             for p in lang.solved}, key=len, reverse=True))
_SOLVED = re.compile(rf"(?<!\w)(?:{_SPACED})(?!\w)|(?:{_UNSPACED})")
_NEGATION = re.compile("|".join(_negation(n.lower()) for n in NEGATIONS))


def says_solved(text: str) -> str | None:
    """The phrase (lowercased) with which ``text`` says the problem is solved, or None."""
    window = text[:_WINDOW].lower()
    for match in _SOLVED.finditer(window):
        before = window[max(0, match.start() - _NEGATION_REACH) : match.start()]
        if not _NEGATION.search(before):
            return match.group(0)
    return None


def is_solved(text: str) -> bool:
    """True when ``text`` says the problem is solved (for a rule's `says_solved`)."""
    return says_solved(text) is not None
