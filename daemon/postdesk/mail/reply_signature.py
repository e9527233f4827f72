"""The signature at the end of a reply: what it is, where it starts.

Recognised, from the most certain: the RFC 3676 "-- " delimiter (anywhere), a
"--" or "____" rule near the end, a phone or app signature ("Sent from my
iPhone"), a closing formula with a short name block ("Thanks,\\nAnna"), a lone
"-Name" line, a corporate block (a name line and contact lines: phone, address,
web, "|"-separated titles) and a legal disclaimer paragraph. Stacked signatures
(a name block above "Sent from my iPhone") are split one after the other.
With `keep_closing` (an agent's answer to a customer) the closing formula the
writer chose ("Pozdrawiam,", "Mit freundlichen Grüßen") stays with the text and
only the name block below it is cut: the customer's mail must not end abruptly.
The words come from :mod:`postdesk.mail.reply_languages` via
:mod:`postdesk.mail.reply_patterns`.
"""

from __future__ import annotations

from postdesk.mail import reply_patterns as rp
from postdesk.mail.reply_lines import has_text, strip_blank_tail, strip_separators

# Longest trailing block (non-blank lines) that still counts as a signature.
_MAX_SIGNATURE_LINES = 12
# Longest "Thanks,\nName\nTitle..." block after the closing formula.
_MAX_CLOSING_LINES = 6
# A corporate block: a name line and this many lines at most, contact lines among them.
_MAX_BLOCK_LINES = 8
_MIN_CONTACT_LINES = 2
# How far from the end a disclaimer paragraph may start (non-blank lines).
_MAX_DISCLAIMER_LINES = 30
# Stacked signatures split at most (name block, phone signature, disclaimer, ...).
_MAX_STACKED = 4


def split_signature(lines: list[str], *, keep_closing: bool = False
                    ) -> tuple[list[str], list[str]]:
    """Split trailing signature lines off ``lines``; repeat for stacked signatures.
    `keep_closing`: a closing formula stays in the body, its name block does not."""
    body = strip_blank_tail(lines)
    signature: list[str] = []
    for _ in range(_MAX_STACKED):
        start = _signature_start(body, keep_closing)
        if start is None or not has_text(body[:start]):
            return body, signature
        signature = body[start:] + ([""] if signature else []) + signature
        body = strip_separators(body[:start])
    return body, signature


def ends_with_closing(text: str) -> bool:
    """True when the last line of `text` is a closing formula ("Best,", "Pozdrawiam"):
    the writer's name goes right below it, without a blank line."""
    lines = [line for line in text.splitlines() if line.strip()]
    return bool(lines) and bool(rp.VALEDICTION.match(lines[-1][: rp.MAX_PATTERN_LINE]))


def _signature_start(lines: list[str], keep_closing: bool = False) -> int | None:
    """Index where a trailing signature begins, or None."""
    nonblank = [i for i, line in enumerate(lines) if line.strip()]
    if not nonblank:
        return None
    for i in nonblank:
        if lines[i].rstrip("\n") == "-- " and i:
            return i
    tail = nonblank[-_MAX_SIGNATURE_LINES:]
    for i in tail:
        line = lines[i][: rp.MAX_PATTERN_LINE].strip()
        if rp.SIGNATURE_DELIMITER.match(line) or rp.UNDERSCORE_RULE.match(line):
            return i
    for i in nonblank[-3:]:
        if rp.MOBILE_SIGNATURE.match(lines[i][: rp.MAX_PATTERN_LINE]):
            return i
    start = _closing_start(lines, nonblank, keep_closing)
    if start is not None:
        return start
    for find in (_disclaimer_start, _corporate_block_start):
        start = find(lines, nonblank)
        if start is not None:
            return start
    return None


def _last_paragraph(lines: list[str], nonblank: list[int]) -> list[int]:
    """Indices of the non-blank lines after the last blank line."""
    block = [nonblank[-1]]
    for i in reversed(nonblank[:-1]):
        if i != block[-1] - 1:
            break
        block.append(i)
    return block[::-1]


def _corporate_block_start(lines: list[str], nonblank: list[int]) -> int | None:
    """A closing paragraph of a name and contact lines ("Anna Nowak\nACME | +48 ...")."""
    block = _last_paragraph(lines, nonblank)
    if not 2 <= len(block) <= _MAX_BLOCK_LINES or block[0] == nonblank[0]:
        return None
    cut = [lines[i][: rp.MAX_PATTERN_LINE] for i in block]
    if any(len(line.strip()) > 70 or line.rstrip().endswith("?") for line in cut):
        return None
    contacts = sum(bool(rp.CONTACT_LINE.search(line)) for line in cut[1:])
    if rp.NAME_LINE.match(cut[0]) and contacts >= _MIN_CONTACT_LINES:
        return block[0]
    return None


def _disclaimer_start(lines: list[str], nonblank: list[int]) -> int | None:
    """A legal disclaimer paragraph near the end; it runs to the end."""
    for i in nonblank[-_MAX_DISCLAIMER_LINES:]:
        if i == nonblank[0] or not _blank_before(lines, i):
            continue
        if rp.DISCLAIMER_START.match(lines[i][: rp.MAX_PATTERN_LINE]):
            paragraph = " ".join(lines[j][: rp.MAX_PATTERN_LINE] for j in range(i, len(lines))
                                 if j - i < 6)
            if rp.DISCLAIMER_WORD.search(paragraph):
                return i
    return None


def _closing_start(lines: list[str], nonblank: list[int], keep_closing: bool = False
                   ) -> int | None:
    """Start of a "Thanks,\\nName" block or a lone "-Name" line at the end; with
    `keep_closing`, of the name block below the closing formula (None without one)."""
    last = nonblank[-1]
    if rp.CLOSING_NAME.match(lines[last][: rp.MAX_PATTERN_LINE]) and _blank_before(lines, last):
        return last
    for i in nonblank[-(_MAX_CLOSING_LINES + 1) :]:
        if rp.VALEDICTION.match(lines[i][: rp.MAX_PATTERN_LINE]):
            after = [j for j in nonblank if j > i]
            if all(len(lines[j].strip()) <= 60 for j in after):
                if keep_closing:
                    return after[0] if after else None
                return i
    return None


def _blank_before(lines: list[str], i: int) -> bool:
    """True when the line before ``i`` is blank (a signature stands apart)."""
    return i > 0 and not lines[i - 1].strip()
