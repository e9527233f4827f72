"""Markup as html5ever writes it, read without html.parser's cost per tag.

The text of an HTML mail (`htmltext.html_to_text`) and its quote stripping
(`reply_html`) read markup that nh3 (html5ever) has written. ``html.parser``
reads it in linear time, but with much bookkeeping per tag (tolerant patterns,
line numbers): a 190 KB mail of nested tables spent 1.3 s of CPU there over its
four readings (bench/fuzz.py case 4361, issue 25). Markup exactly in the form
html5ever writes (start tags whose attributes are all ``name="value"``, end
tags, text with ``<`` escaped; no comments, no script or style) is cut here by
one regular expression, and the parser's handlers get the calls ``feed``
would make, with the same arguments: names in lower case, attribute values
and text with character references replaced, the text between two tags in one
piece. Any other markup goes to ``html.parser`` as before.
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

_NAME = r"[A-Za-z][A-Za-z0-9]*+"
_ATTRIBUTES = r"(?: [^\s\"'<>/=]++=\"[^\"]*+\")*+"
#: One token: a start tag, an end tag, or the text up to the next tag.
_TOKEN = re.compile(rf"<({_NAME})({_ATTRIBUTES})>|</({_NAME})>|[^<]++")
_MARKUP = re.compile(rf"(?:<{_NAME}{_ATTRIBUTES}>|</{_NAME}>|[^<]++)*+")
_ATTRIBUTE = re.compile(r" ([^\s\"'<>/=]++)=\"([^\"]*+)\"")
#: Elements whose content html.parser reads as raw text (its CDATA_CONTENT_ELEMENTS).
_RAW_TEXT = re.compile(r"<(?:script|style)\b", re.IGNORECASE)


class MarkupReader(HTMLParser):
    """``HTMLParser`` (with ``convert_charrefs``) that reads html5ever's markup quickly."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._start_tag: str | None = None

    def read(self, markup: str) -> None:
        """``feed(markup)`` and ``close()``, calling the same handlers with the same
        arguments."""
        if _RAW_TEXT.search(markup) or not _MARKUP.fullmatch(markup):
            self.feed(markup)
            self.close()
            return
        for token in _TOKEN.finditer(markup):
            start, attributes, end = token.groups()
            if start is not None:
                self._start_tag = token.group()
                self.handle_starttag(start.lower(), [
                    (name.lower(), unescape(value))
                    for name, value in _ATTRIBUTE.findall(attributes)])
                self._start_tag = None
            elif end is not None:
                self.handle_endtag(end.lower())
            else:
                self.handle_data(unescape(token.group()))

    def get_starttag_text(self) -> str | None:
        if self._start_tag is not None:
            return self._start_tag
        return super().get_starttag_text()
