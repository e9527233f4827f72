"""Reply extraction: the new text of a follow-up mail, without history or signature.

A follow-up usually carries the whole conversation below (or around) what the
person actually wrote. :func:`extract_reply` keeps only the new lines:

* ``>``-quoted lines and the attribution line that introduces them ("On ...
  wrote:", "Am ... schrieb ...:", "W dniu ... pisze:", "Le ... a écrit :") are
  dropped; new lines written between quotes (inline replies) are kept;
* unquoted history (Outlook "-----Original Message-----" or a "From:/Sent:"
  header block, Gmail-style "On ... wrote:" followed by unquoted text) cuts off
  everything below it;
* the signature ("-- " delimiter, "Sent from my iPhone", a closing "Thanks,\\nName"
  block, a "-Name" line or a mailing-list footer) goes to ``Reply.signature``.

The scan is line by line and every pattern sees a bounded line, so time stays
linear on pathological input. The function never returns an empty ``new_text``
for a body that has any unquoted text: when everything looks like history the
text comes back unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from html.parser import HTMLParser

from postdesk.mail import reply_patterns as rp
from postdesk.mail.htmltext import html_to_text

# How many following lines an attribution may wrap over ("On ..., Name\n<addr>\nwrote:").
_ATTRIBUTION_SPAN = 3
# Longest trailing block (non-blank lines) that still counts as a signature.
_MAX_SIGNATURE_LINES = 12
# Longest "Thanks,\nName\nTitle..." block after the closing formula.
_MAX_CLOSING_LINES = 6


@dataclass(frozen=True)
class Reply:
    """What one mail adds to the conversation."""

    new_text: str
    signature: str
    quoted: bool


def extract_reply(text: str, *, html: str | None = None) -> Reply:
    """Split ``text`` (or, when it is empty, ``html``) into new text and signature."""
    body = text.replace("\r\n", "\n").replace("\r", "\n")
    html_quoted = False
    if not body.strip() and html:
        stripped = strip_html_quotes(html)
        html_quoted = stripped != html
        body = html_to_text(stripped) or html_to_text(html)
    lines = body.split("\n")
    kept, quoted = _drop_history(lines)
    if not _has_text(kept):
        return Reply(new_text=_trim(lines), signature="", quoted=False)
    new_lines, signature = _split_signature(kept)
    return Reply(
        new_text=_trim(new_lines),
        signature=_trim(signature, keep_delimiter=True),
        quoted=quoted or html_quoted,
    )


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
            return _strip_separators(kept), True
        end = _attribution_end(lines, i)
        if end is not None:
            if not _quote_follows(lines, end):
                return _strip_separators(kept), True
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
    return _header_block_at(lines, i) and not _after_forward_marker(lines, i)


def _header_block_at(lines: list[str], i: int) -> bool:
    """True when ``lines[i]`` opens a block of mail headers that includes "From:"."""
    if not rp.HEADER_LINE.match(lines[i][: rp.MAX_PATTERN_LINE]):
        return False
    headers = 0
    has_from = False
    for line in lines[i : i + 8]:
        cut = line[: rp.MAX_PATTERN_LINE]
        if rp.HEADER_LINE.match(cut):
            headers += 1
            has_from = has_from or bool(rp.FROM_HEADER.match(cut))
        elif headers and cut.strip():
            # Outlook wraps long To:/Cc: values onto an indented next line.
            if not line.startswith((" ", "\t")):
                break
        elif not cut.strip() and headers:
            break
    return has_from and headers >= 2


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


def _strip_separators(lines: list[str]) -> list[str]:
    """Drop trailing blank and rule lines left above a cut ("_____", "-----")."""
    end = len(lines)
    while end and (
        not lines[end - 1].strip() or rp.SEPARATOR_LINE.match(lines[end - 1][: rp.MAX_PATTERN_LINE])
    ):
        end -= 1
    return lines[:end]


# --- signature ---------------------------------------------------------------


def _split_signature(lines: list[str]) -> tuple[list[str], list[str]]:
    """Split trailing signature lines off ``lines``; repeat for stacked signatures."""
    body = _strip_blank_tail(lines)
    signature: list[str] = []
    while True:
        start = _signature_start(body)
        if start is None or not _has_text(body[:start]):
            return body, signature
        signature = body[start:] + ([""] if signature else []) + signature
        body = _strip_separators(body[:start])


def _signature_start(lines: list[str]) -> int | None:
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
    return _closing_start(lines, nonblank)


def _closing_start(lines: list[str], nonblank: list[int]) -> int | None:
    """Start of a "Thanks,\\nName" block or a lone "-Name" line at the end."""
    last = nonblank[-1]
    if rp.CLOSING_NAME.match(lines[last][: rp.MAX_PATTERN_LINE]) and _blank_before(lines, last):
        return last
    for i in nonblank[-(_MAX_CLOSING_LINES + 1) :]:
        if rp.VALEDICTION.match(lines[i][: rp.MAX_PATTERN_LINE]):
            after = [j for j in nonblank if j > i]
            if all(len(lines[j].strip()) <= 60 for j in after):
                return i
    return None


def _blank_before(lines: list[str], i: int) -> bool:
    """True when the line before ``i`` is blank (a signature stands apart)."""
    return i > 0 and not lines[i - 1].strip()


# --- html --------------------------------------------------------------------

# Elements that hold quoted history in the HTML of common mail clients.
_QUOTE_CLASSES = frozenset(
    {"gmail_quote", "yahoo_quoted", "moz-cite-prefix", "protonmail_quote", "zmail_extra"}
)
# Markers after which everything in the document is history (Outlook, Hotmail).
_CUT_IDS = frozenset({"divrplyfwdmsg", "olk_src_body_section", "stopspelling"})
_VOID_TAGS = frozenset(
    {"br", "hr", "img", "meta", "link", "input", "area", "base", "col", "wbr", "source"}
)


class _QuoteStripper(HTMLParser):
    """Re-emits HTML without blockquotes and known quote containers."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._skip_tag: str | None = None
        self._skip_depth = 0
        self._cut = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._cut:
            return
        if self._skip_tag is not None:
            if tag == self._skip_tag:
                self._skip_depth += 1
            return
        if _is_cut_marker(attrs):
            self._cut = True
            return
        if tag not in _VOID_TAGS and _is_quote_container(tag, attrs):
            self._skip_tag, self._skip_depth = tag, 1
            return
        self.out.append(self.get_starttag_text() or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._cut or self._skip_tag is not None:
            return
        if _is_cut_marker(attrs):
            self._cut = True
            return
        self.out.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        if self._cut:
            return
        if self._skip_tag is not None:
            if tag == self._skip_tag:
                self._skip_depth -= 1
                if self._skip_depth == 0:
                    self._skip_tag = None
            return
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if not self._cut and self._skip_tag is None:
            self.out.append(escape(data, quote=False))


def _is_quote_container(tag: str, attrs: list[tuple[str, str | None]]) -> bool:
    """True for ``<blockquote>`` and elements whose class marks a quote."""
    if tag == "blockquote":
        return True
    classes = {
        c.lower() for name, value in attrs if name == "class" and value for c in value.split()
    }
    return bool(classes & _QUOTE_CLASSES)


def _is_cut_marker(attrs: list[tuple[str, str | None]]) -> bool:
    """True for Outlook's reply header ids after which all content is history."""
    return any(name == "id" and value and value.lower() in _CUT_IDS for name, value in attrs)


def strip_html_quotes(html: str) -> str:
    """Return ``html`` without quoted history; unchanged if nothing would remain."""
    stripper = _QuoteStripper()
    stripper.feed(html)
    stripper.close()
    result = "".join(stripper.out)
    return result if html_to_text(result).strip() else html


# --- helpers -----------------------------------------------------------------


def _has_text(lines: list[str]) -> bool:
    """True when any line has non-blank content."""
    return any(line.strip() for line in lines)


def _strip_blank_tail(lines: list[str]) -> list[str]:
    """``lines`` without trailing blank lines."""
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    return lines[:end]


def _trim(lines: list[str], *, keep_delimiter: bool = False) -> str:
    """Join ``lines``, dropping leading/trailing blank lines and trailing spaces.

    With ``keep_delimiter`` the RFC 3676 "-- " line keeps its significant space.
    """
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    return "\n".join(
        line if keep_delimiter and line == "-- " else line.rstrip()
        for line in _strip_blank_tail(lines[start:])
    )
