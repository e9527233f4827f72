"""The sender's own HTML, for agents to read, when it says what the extracted text says.

Agents read a customer's mail in their notification. The text part of an
Outlook mail drops the bold of "please refund **149.90 EUR**"; the HTML part
has it. So the notification shows the sender's HTML (its quoted history
removed, cleaned down to text formatting: no images, styles, forms or
scripts) when its words are the words of the extracted new text, give or
take a signature below; otherwise, the text (reflowed).
"""

from __future__ import annotations

import nh3

from postdesk.mail.htmltext import html_to_text
from postdesk.mail.reply_html import strip_html_quotes

#: Formatting a reader relies on; everything else goes (its text stays).
DISPLAY_TAGS = frozenset({
    "a", "b", "strong", "i", "em", "u", "s", "del", "ins", "mark", "small", "sub", "sup",
    "code", "pre", "kbd", "p", "div", "span", "br", "hr", "blockquote", "ul", "ol", "li",
    "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody",
    "tfoot", "tr", "td", "th", "caption"})
#: How many characters the HTML's text may have beyond the new text (a signature).
MAX_EXTRA = 400


def _words(text: str) -> str:
    return " ".join(text.split())


def display_html(html: str | None, new_text: str) -> str | None:
    """`html` cleaned for display instead of `new_text`, or None to show the text."""
    if not html or not new_text.strip():
        return None
    cleaned = nh3.clean(strip_html_quotes(html), tags=set(DISPLAY_TAGS),
                        clean_content_tags={"script", "style", "title", "head", "template"},
                        attributes={"a": {"href"}, "td": {"colspan", "rowspan"},
                                    "th": {"colspan", "rowspan"}},
                        url_schemes={"http", "https", "mailto", "tel"},
                        link_rel="noopener noreferrer", strip_comments=True)
    shown, wanted = _words(html_to_text(cleaned)), _words(new_text)
    if not shown.startswith(wanted) or len(shown) - len(wanted) > MAX_EXTRA:
        return None
    return cleaned
