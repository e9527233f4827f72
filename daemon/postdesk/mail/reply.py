"""Reply extraction: the new text of a follow-up mail, without history or signature.

A follow-up usually carries the whole conversation below (or around) what the
person actually wrote. :func:`extract_reply` keeps only the new lines:

* ``>``-quoted lines and the attribution line that introduces them ("On ...
  wrote:", "Am ... schrieb ...:", "W dniu ... pisze:", "Le ... a écrit :") are
  dropped; new lines written between quotes (inline replies) are kept;
* unquoted history (Outlook "-----Original Message-----" or a "From:/Sent:"
  header block, Gmail-style "On ... wrote:" followed by unquoted text) cuts off
  everything below it;
* the desk's own "##- Please type your reply above this line -##" marker (in
  any language, quoted or not) cuts off everything from it on, attribution
  lines above it included;
* the signature ("-- " delimiter, "Sent from my iPhone", a closing "Thanks,\\nName"
  block, a "-Name" line or a mailing-list footer) goes to ``Reply.signature``.

The scan is line by line and every pattern sees a bounded line, so time stays
linear on pathological input. The function never returns an empty ``new_text``
for a body that has any unquoted text: when everything looks like history the
text comes back unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from postdesk.mail import reply_patterns as rp
from postdesk.mail.htmltext import html_to_text
from postdesk.mail.reply_html import quotes_stripped, strip_html_quotes
from postdesk.mail.reply_lines import has_text, strip_separators, trim
from postdesk.mail.reply_signature import split_signature

__all__ = ["Reply", "extract_reply", "header_block_at", "strip_html_quotes"]

# A header name ("*Gesendet:*", "Отправлено:") ends within this many characters.
_COLON_REACH = 40
# How many following lines an attribution may wrap over ("On ..., Name\n<addr>\nwrote:").
_ATTRIBUTION_SPAN = 3


@dataclass(frozen=True)
class Reply:
    """What one mail adds to the conversation."""

    new_text: str
    signature: str
    quoted: bool
    #: Everything looked like history, so ``new_text`` is the whole text, unchanged:
    #: better a repeated quote than a customer's words lost (show the agent this flag).
    whole_text: bool = False


def extract_reply(text: str, *, html: str | None = None, keep_closing: bool = False) -> Reply:
    """Split ``text`` (or, when it is empty, ``html``) into new text and signature;
    `keep_closing`: the writer's closing formula stays in the new text (see
    `reply_signature.split_signature`)."""
    body = text.replace("\r\n", "\n").replace("\r", "\n")
    html_quoted = False
    if not body.strip() and html:
        stripped, body = quotes_stripped(html)
        html_quoted = stripped != html
        body = body or html_to_text(html)
    lines = body.split("\n")
    marker = _reply_marker(lines)
    if marker is not None and has_text(lines[:marker]):
        lines = _without_attribution(lines[:marker])
        html_quoted = True
    kept, quoted = _drop_history(lines)
    if not has_text(kept):
        return Reply(new_text=trim(lines), signature="", quoted=False,
                     whole_text=has_text(lines))
    new_lines, signature = split_signature(kept, keep_closing=keep_closing)
    return Reply(
        new_text=trim(new_lines),
        signature=trim(signature, keep_delimiter=True),
        quoted=quoted or html_quoted,
    )


# --- the desk's marker ---------------------------------------------------------


def _reply_marker(lines: list[str]) -> int | None:
    """The index of the first line holding the desk's reply marker, or None."""
    return next((i for i, line in enumerate(lines)
                 if "##" in line and rp.REPLY_MARKER.match(line[: rp.MAX_PATTERN_LINE])), None)


def _without_attribution(lines: list[str]) -> list[str]:
    """`lines` (the text above the marker) without the client's attribution or header
    block right above it ("On ... wrote:", Outlook's "From:/Sent:" block, a rule)."""
    kept = list(lines)
    while kept and not kept[-1].strip():
        kept.pop()
    cut, _ = _drop_history([*kept, "> -"])  # as if the quote began right below
    return cut


# --- history -----------------------------------------------------------------


def _drop_history(lines: list[str]) -> tuple[list[str], bool]:
    """Return the lines that are not history, and whether history was found."""
    kept: list[str] = []
    dropped = False
    gap = False  # something was dropped since the last kept line
    i = 0
    while i < len(lines):
        line = lines[i][: rp.MAX_PATTERN_LINE]
        if rp.QUOTE_LINE.match(line):
            dropped = gap = True
            i += 1
            continue
        if _starts_unquoted_history(lines, i):
            return strip_separators(kept), True
        end = _attribution_end(lines, i)
        if end is not None:
            if not _quote_follows(lines, end):
                return strip_separators(kept), True
            dropped = gap = True
            i = end
            continue
        # One blank line stands in for a removed quote between two new paragraphs.
        if not (gap and not line.strip() and kept and not kept[-1].strip()):
            kept.append(lines[i])
            gap = gap and not line.strip()
        i += 1
    return kept, dropped


def _starts_unquoted_history(lines: list[str], i: int) -> bool:
    """True at an "Original Message" line or an Outlook-style header block."""
    line = lines[i][: rp.MAX_PATTERN_LINE]
    if rp.ORIGINAL_MESSAGE.match(line):
        return True
    return header_block_at(lines, i) and not _after_forward_marker(lines, i)


def header_block_at(lines: list[str], i: int) -> bool:
    """True when ``lines[i]`` opens a block of mail headers that includes "From:"."""
    opening = lines[i][:_COLON_REACH]
    # A substring test first: the header-name pattern of 12 languages is costly to
    # try on every line of every reply, and most lines have no colon near the start.
    if ":" not in opening and "\uff1a" not in opening:
        return False
    if not rp.HEADER_LINE.match(lines[i][: rp.MAX_PATTERN_LINE]):
        return False
    headers = 0
    has_from = has_dated = False
    for line in lines[i : i + 8]:
        cut = line[: rp.MAX_PATTERN_LINE]
        if rp.HEADER_LINE.match(cut):
            headers += 1
            is_from = bool(rp.FROM_HEADER.match(cut))
            has_from = has_from or is_from
            # "From:" and "To:" alone are what a customer writes about a move or a
            # transfer; a mail's header block also says when or about what.
            has_dated = has_dated or not (is_from or rp.RECIPIENT_HEADER.match(cut))
        elif headers and cut.strip():
            # Outlook wraps long To:/Cc: values onto an indented next line.
            if not line.startswith((" ", "\t")):
                break
        elif not cut.strip() and headers:
            break
    return has_from and has_dated and headers >= 2


def _after_forward_marker(lines: list[str], i: int) -> bool:
    """True when the header block at ``i`` belongs to a forwarded message."""
    for line in reversed(lines[max(0, i - 3) : i]):
        if line.strip():
            return bool(rp.FORWARD_MARKER.match(line[: rp.MAX_PATTERN_LINE]))
    return False


def _attribution_end(lines: list[str], i: int) -> int | None:
    """Index after an attribution line starting at ``i`` (it may wrap), else None."""
    if not lines[i].strip():
        return None
    parts: list[str] = []
    for j in range(i, min(i + _ATTRIBUTION_SPAN, len(lines))):
        part = lines[j].strip()
        if j > i and (not part or rp.QUOTE_LINE.match(lines[j])):
            return None
        parts.append(part)
        joined = " ".join(parts)
        if len(joined) > rp.MAX_PATTERN_LINE:
            return None
        if _is_attribution(joined, wrapped=j > i):
            return j + 1
    return None


def _is_attribution(line: str, *, wrapped: bool = False) -> bool:
    """True for "On <date>, <name> wrote:" in any supported language.

    A ``wrapped`` attribution (joined from several lines) must open like one,
    so that "Hi," above "On ... wrote:" is not taken for part of it.
    """
    if not line.endswith(rp.COLONS):
        return False
    opens = bool(rp.ATTRIBUTION_OPENER.match(line))
    if wrapped and not opens:
        return False
    if _is_dated_address_line(line):
        return True
    verb = rp.WROTE_VERB.search(line)
    if verb is None:
        return False
    if opens:
        return True
    # "John Doe <john@example.com> wrote:" without a date.
    return "@" in line[: verb.start()] or len(line) - verb.end() <= 2


def _is_dated_address_line(line: str) -> bool:
    """Gmail/Mail.ru style: "<date> <time> Name <addr>:" with no verb at all."""
    if not line.rstrip(": \uff1a").endswith(">"):
        return False
    bracket = line.rfind("<")
    address = line[bracket:]
    return bracket > 0 and "@" in address and " " not in address.strip(" :") and bool(
        rp.CLOCK_TIME.search(line[:bracket])
    )


def _quote_follows(lines: list[str], start: int) -> bool:
    """True when the next non-blank line from ``start`` is ``>``-quoted."""
    for line in lines[start:]:
        if line.strip():
            return bool(rp.QUOTE_LINE.match(line))
    return True
