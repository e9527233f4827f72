"""A forwarded mail inside a customer's mail: their own words above, the forward below.

A customer who forwards something to the desk writes a line or two ("see below, the
invoice is wrong") above the forwarded mail. Those lines are the message; the
forwarded block is kept whole beside it (stored as a ``forwarded.txt`` part), never
dropped and never cut as quoted history. The block starts at:

* a forward marker line between dashes: Gmail's "---------- Forwarded message
  ---------", Thunderbird's "-------- Weitergeleitete Nachricht --------", in every
  language of :mod:`postdesk.mail.reply_languages`; in a mail whose subject says it
  is forwarded, also Apple Mail's "Begin forwarded message:";
* in a mail whose subject says it is forwarded ("Fwd:", "WG:", "PD:", "TR:", "RV:"),
  the first history block: Outlook's header block ("From: ... Sent: ...", "Von: ...
  Gesendet: ...", "De : ... Envoyé : ..."), with the rule or "Original Message" line
  above it.

A ``>``-quoted line or a reply's header block before any of these makes the mail a
reply, whose history :func:`postdesk.mail.reply.extract_reply` handles. Linear: one
pass over bounded lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from postdesk.mail import reply_patterns as rp
from postdesk.mail.reply import header_block_at
from postdesk.mail.reply_languages import LANGUAGES

#: A subject that says its mail forwards another: "Fwd:", "WG:", "[Fwd: ...]", "转发：".
FORWARD_SUBJECT = re.compile(
    r"^\s*\[?\s*(?:(?:re|aw|sv|odp|r|ris|antw)\s*[:\uff1a]\s*)*(?:"
    + "|".join(sorted({re.escape(p) for lang in LANGUAGES for p in lang.forward_prefixes},
                      key=len, reverse=True))
    + r")\s*(?:\[\d+\])?\s*[:\uff1a]",
    re.IGNORECASE)

#: A forward's introduction line ("Begin forwarded message:") is no longer than this.
_INTRO_REACH = 60

#: "--" runs in a text up to which its lines are read one by one (`_dashed_marker_in`).
_FEW_DASHES = 8

#: Lines a client puts right above a forwarded header block ("_____", "-----Original...").
_RULE_ABOVE = 2


@dataclass(frozen=True)
class Forward:
    """A mail split at its forwarded block."""

    own_text: str  # what the customer wrote above it (may be empty: a bare forward)
    forwarded: str  # the block, from its marker line to the end


def split_forwarded(text: str, subject: str = "") -> Forward | None:
    """``text`` split where a forwarded mail starts, or None when it forwards nothing."""
    forwarding = bool(FORWARD_SUBJECT.match(subject[: rp.MAX_PATTERN_LINE]))
    # Every mail comes through here: without a forward subject, one search of the text
    # for a dashed marker line settles it (most mails have none).
    if not text or (not forwarding and "--" not in text):
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not forwarding and not _dashed_marker_in(text):
        return None
    lines = text.split("\n")
    for i, whole in enumerate(lines):
        line = whole[: rp.MAX_PATTERN_LINE]
        if ">" in line[:4] and rp.QUOTE_LINE.match(line):
            return None
        head = line.lstrip()
        dashes = head.startswith("--")
        marker_here = dashes or (forwarding and len(head) <= _INTRO_REACH)
        if marker_here and rp.FORWARD_MARKER.match(line):
            return _split(lines, i)
        if dashes and not forwarding and rp.ORIGINAL_MESSAGE.match(line):
            return None
        if forwarding and header_block_at(lines, i):
            return _split(lines, _block_start(lines, i))
        if not forwarding and ":" in line[:_INTRO_REACH] and header_block_at(lines, i):
            return None  # the history of a reply comes first
    return None


def _dashed_marker_in(text: str) -> bool:
    """True when a line holding "--" is a forward marker. A mail has a few such lines (a
    signature's "-- "), read one by one; past `_FEW_DASHES`, one regex pass over the text
    is cheaper than a Python loop over thousands of them."""
    if text.count("--", 0, _FEW_DASHES * 1000) > _FEW_DASHES:
        return rp.FORWARD_DASH_LINE.search(text) is not None
    found = text.find("--")
    while found != -1:
        start = text.rfind("\n", 0, found) + 1
        end = text.find("\n", found)
        end = len(text) if end == -1 else end
        if rp.FORWARD_MARKER.match(text[start : min(end, start + rp.MAX_PATTERN_LINE)]):
            return True
        found = text.find("--", end)
    return False


def _block_start(lines: list[str], i: int) -> int:
    """Where a forwarded header block begins: at the rule or marker line just above it."""
    for j in range(i - 1, max(-1, i - 1 - _RULE_ABOVE), -1):
        line = lines[j][: rp.MAX_PATTERN_LINE]
        if not line.strip():
            continue
        if rp.SEPARATOR_LINE.match(line) or rp.ORIGINAL_MESSAGE.match(line):
            return j
        break
    return i


def _split(lines: list[str], start: int) -> Forward:
    return Forward(own_text="\n".join(lines[:start]).strip("\n").rstrip(),
                   forwarded="\n".join(lines[start:]).strip("\n").rstrip() + "\n")
