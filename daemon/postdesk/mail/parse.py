"""Parse raw mail bytes into a :class:`ParsedMail` the rest of the desk can trust.

The parser is pure (no I/O, no clock) and never raises: whatever bytes arrive,
the desk gets a result, and whatever could not be understood is reported in
``defects`` rather than lost.  What it does with real-world mail:

* Headers are decoded from the raw values: 8-bit bytes that no header declared
  are repaired (UTF-8, then the body's charset, then detection), RFC 2047
  encoded-words are decoded even when malformed or split mid-character.
* Bodies are decoded with the declared charset when it works, otherwise the
  charset is detected (see :mod:`postdesk.mail.charsets`).
* ``text`` is the plain-text body; mail with only HTML (or an empty text part)
  gets readable text made from its HTML.  ``html`` is always sanitised.
* Attachments keep every non-body part: signatures, delivery reports, TNEF
  blobs (with a note), forwarded messages (as ``.eml``), inline images (with
  their Content-ID), and files uuencoded into the text by old Lotus Notes.
* MIME nesting deeper than ``max_depth`` is not walked (defect
  ``MaxDepthExceeded``); HTML elements nested deeper than ``max_html_depth``
  lose their tags, not their text, before cleaning (defect ``HtmlTooDeep``).
"""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from typing import TypeVar

from postdesk.mail.attachments import finish_attachments, sanitize_filename
from postdesk.mail.charsets import decode_text
from postdesk.mail.header_fields import HeaderFields, read_headers
from postdesk.mail.header_text import decode_header_value
from postdesk.mail.html_depth import DEFAULT_MAX_DEPTH
from postdesk.mail.htmltext import html_to_text, sanitize_html
from postdesk.mail.loading import DEFAULT_MAX_MIME_DEPTH, UnparseableMessageDefect, load_message
from postdesk.mail.mime_walk import Body, collect_body, normalise_newlines
from postdesk.mail.parsed import TNEF_NOTE, Address, Attachment, ParsedMail
from postdesk.mail.undeclared import UndeclaredCharset

__all__ = [
    "TNEF_NOTE",
    "Address",
    "Attachment",
    "ParsedMail",
    "UnparseableMessageDefect",
    "decode_header_value",
    "load_message",
    "parse_loaded",
    "parse_message",
    "sanitize_filename",
]

_T = TypeVar("_T")


def parse_message(raw: bytes, *, max_depth: int = DEFAULT_MAX_MIME_DEPTH,
                  max_html_depth: int = DEFAULT_MAX_DEPTH) -> ParsedMail:
    """Parse raw mail bytes; never raises for any input."""
    return parse_loaded(load_message(raw, max_depth=max_depth), max_depth=max_depth,
                        max_html_depth=max_html_depth)


def parse_loaded(msg: EmailMessage, *, max_depth: int = DEFAULT_MAX_MIME_DEPTH,
                 max_html_depth: int = DEFAULT_MAX_DEPTH) -> ParsedMail:
    """Parse an already loaded message; never raises."""
    defects: set[str] = set()
    undeclared = UndeclaredCharset(msg)
    body = _guarded(
        lambda: collect_body(msg, max_depth, undeclared), Body(), "BodyParseError", defects
    )
    headers = _guarded(
        lambda: read_headers(msg, undeclared), HeaderFields(), "HeaderParseError", defects
    )
    defects |= body.defects
    result: ParsedMail | None = _guarded(
        lambda: _assemble(headers, body, defects, max_html_depth), None, "AssembleError", defects
    )
    if result is None:
        return _assemble(HeaderFields(), Body(), defects, max_html_depth)
    return result


def _guarded(make: Callable[[], _T], default: _T, defect: str, defects: set[str]) -> _T:
    # The last line of defence: report a defect instead of losing the mail.
    try:
        return make()
    except Exception:
        defects.add(defect)
        return default


def _assemble(headers: HeaderFields, body: Body, defects: set[str],
              max_html_depth: int) -> ParsedMail:
    html_source = "\n".join(body.htmls) if body.htmls else None
    text = _join_texts(body.texts) if body.texts or body.htmls else _inline_text_file(body)
    html = None
    if html_source is not None:
        if not text.strip():
            text = html_to_text(html_source) or text
        html, flattened = sanitize_html(html_source, max_html_depth)
        if flattened:
            defects.add("HtmlTooDeep")
    return ParsedMail(
        message_id=headers.message_id,
        in_reply_to=headers.in_reply_to,
        references=headers.references,
        subject=headers.subject,
        sender=headers.sender,
        sender_source=headers.sender_source,
        reply_to=headers.reply_to,
        to=headers.to,
        cc=headers.cc,
        date=headers.date,
        text=text,
        html=html,
        attachments=finish_attachments(body.attachments, html_source),
        languages=headers.languages,
        defects=tuple(sorted(defects)),
    )


def _inline_text_file(body: Body) -> str:
    """The text of an inline text/plain file when the mail has no other body."""
    for item in body.attachments:
        if item.content_type == "text/plain" and item.disposition == "inline":
            return normalise_newlines(decode_text(item.data, item.charset))
    return ""


def _join_texts(texts: list[str]) -> str:
    if len(texts) == 1:
        return texts[0]
    return "\n\n".join(text.strip("\n") for text in texts if text.strip())
