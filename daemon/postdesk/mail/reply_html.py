"""Quoted history in HTML replies: blockquotes and the quote containers of mail clients.

Used when a reply has no text part: the HTML is re-emitted without the quoted
parts, and converted to text by the caller.
"""

from __future__ import annotations

from html import escape

from postdesk.mail.html_tokens import MarkupReader
from postdesk.mail.htmltext import html_to_text

# Elements that hold quoted history in the HTML of common mail clients.
_QUOTE_CLASSES = frozenset(
    {"gmail_quote", "yahoo_quoted", "moz-cite-prefix", "protonmail_quote", "zmail_extra"}
)
# Markers after which everything in the document is history (Outlook, Hotmail).
_CUT_IDS = frozenset({"divrplyfwdmsg", "olk_src_body_section", "stopspelling"})
_VOID_TAGS = frozenset(
    {"br", "hr", "img", "meta", "link", "input", "area", "base", "col", "wbr", "source"}
)


class _QuoteStripper(MarkupReader):
    """Re-emits HTML without blockquotes and known quote containers."""

    def __init__(self) -> None:
        super().__init__()
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
    return quotes_stripped(html)[0]


def quotes_stripped(html: str) -> tuple[str, str]:
    """`strip_html_quotes` of ``html``, and the text of what it returns when the stripping
    left some ('' when it returns ``html`` as nothing would remain): the caller needs that
    text too, and reading it costs as much as the stripping."""
    stripper = _QuoteStripper()
    stripper.read(html)
    result = "".join(stripper.out)
    text = html_to_text(result)
    return (result, text) if text else (html, "")
