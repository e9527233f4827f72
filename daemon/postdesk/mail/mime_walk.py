"""The walk over a MIME tree: which parts are the body, which are attachments, how deep to go.

Text comes from the first variant of a multipart/alternative that has some,
HTML from the last; forwarded messages are kept whole as ``.eml``
attachments; nesting deeper than ``max_depth`` is not walked (defect
``MaxDepthExceeded``). The walk's findings live in one `Body` per parse.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message

from postdesk.mail.attachments import PendingAttachment
from postdesk.mail.charsets import decode_text
from postdesk.mail.flowed import unflow
from postdesk.mail.header_fields import RawHeaders
from postdesk.mail.loading import message_bytes
from postdesk.mail.mime_part import (
    part_charset,
    part_content_id,
    part_content_type,
    part_disposition,
    part_filename,
    payload_bytes,
    undecoded_payload,
)
from postdesk.mail.undeclared import UndeclaredCharset, decodes, is_utf8
from postdesk.mail.uuencode import extract_uuencoded

MAX_DEPTH_DEFECT = "MaxDepthExceeded"


@dataclass
class Body:
    """What one walk over a MIME tree found (local to one parse call)."""

    texts: list[str] = field(default_factory=list)
    htmls: list[str] = field(default_factory=list)
    attachments: list[PendingAttachment] = field(default_factory=list)
    defects: set[str] = field(default_factory=set)
    undeclared: Callable[[], str | None] = lambda: None

    def absorb(self, other: Body, *, texts: bool, htmls: bool) -> None:
        """Take over ``other``'s attachments and defects, and optionally its bodies."""
        if texts:
            self.texts.extend(other.texts)
        if htmls:
            self.htmls.extend(other.htmls)
        self.attachments.extend(other.attachments)
        self.defects |= other.defects


_BODY_TYPES = frozenset({"text/plain", "text/html"})


_MESSAGE_ATTACHMENTS = frozenset({"message/rfc822", "message/global"})


def collect_body(msg: Message, max_depth: int, undeclared: UndeclaredCharset) -> Body:
    body = Body(undeclared=undeclared)
    _walk(msg, 0, max_depth, body)
    return body


def _walk(part: Message, depth: int, max_depth: int, out: Body) -> None:
    if depth > max_depth:
        out.defects.add(MAX_DEPTH_DEFECT)
        return
    _note_defects(part, out)
    content_type = part_content_type(part)
    if content_type in _MESSAGE_ATTACHMENTS:
        out.attachments.append(_nested_message(part))
        _note_nested_defects(part, depth, max_depth, out)
    elif content_type.startswith("message/") and part.is_multipart():
        out.attachments.append(_message_report(part, content_type))
        _note_nested_defects(part, depth, max_depth, out)
    elif part.is_multipart():
        _walk_multipart(part, content_type, depth, max_depth, out)
    else:
        _leaf(part, content_type, out)
        _note_defects(part, out)


def _walk_multipart(
    part: Message, content_type: str, depth: int, max_depth: int, out: Body
) -> None:
    payload = part.get_payload()
    children = [child for child in payload if isinstance(child, Message)]
    if content_type == "multipart/alternative":
        _walk_alternative(children, depth + 1, max_depth, out)
        return
    for child in children:
        _walk(child, depth + 1, max_depth, out)


def _walk_alternative(children: list[Message], depth: int, max_depth: int, out: Body) -> None:
    """Plain text from the first variant that has some, HTML from the last one."""
    variants = []
    for child in children:
        variant = Body(undeclared=out.undeclared)
        _walk(child, depth, max_depth, variant)
        variants.append(variant)
    text_from = next((v for v in variants if any(t.strip() for t in v.texts)), None)
    if text_from is None:
        text_from = next((v for v in variants if v.texts), None)
    html_from = next((v for v in reversed(variants) if v.htmls), None)
    for variant in variants:
        out.absorb(variant, texts=variant is text_from, htmls=variant is html_from)


def _note_nested_defects(part: Message, depth: int, max_depth: int, out: Body) -> None:
    """Record defects inside a message kept whole as an attachment (not walked)."""
    stack = [(child, depth + 1) for child in _children(part)]
    while stack:
        child, level = stack.pop()
        if level > max_depth:
            out.defects.add(MAX_DEPTH_DEFECT)
            continue
        _note_defects(child, out)
        stack.extend((grandchild, level + 1) for grandchild in _children(child))


def _children(part: Message) -> list[Message]:
    payload = part.get_payload() if part.is_multipart() else None
    if not isinstance(payload, list):
        return []
    return [child for child in payload if isinstance(child, Message)]


def _note_defects(part: Message, out: Body) -> None:
    for defect in getattr(part, "defects", ()):
        out.defects.add(type(defect).__name__)


def _leaf(part: Message, content_type: str, out: Body) -> None:
    disposition = part_disposition(part)
    filename = part_filename(part, out.undeclared)
    data = payload_bytes(part)
    is_broken_multipart = content_type.startswith("multipart/")
    if (
        disposition != "attachment"
        and not filename
        and (content_type in _BODY_TYPES or is_broken_multipart)
    ):
        text = normalise_newlines(_decode_part_text(data, part_charset(part), out.undeclared))
        if content_type == "text/html":
            out.htmls.append(text)
        else:
            if _flowed(part):  # soft breaks joined, so paragraphs reflow in HTML
                text = unflow(text, delsp=_param(part, "delsp").lower() == "yes")
            text, files = extract_uuencoded(text)
            out.texts.append(text)
            out.attachments.extend(files)
        return
    out.attachments.append(
        PendingAttachment(
            filename=filename,
            content_type=content_type,
            data=data,
            content_id=part_content_id(part),
            disposition=disposition,
            charset=part_charset(part) if content_type.startswith("text/") else None,
        )
    )


def _param(part: Message, name: str) -> str:
    """A Content-Type parameter, "" when absent or unreadable."""
    try:
        value = part.get_param(name)
    except Exception:  # a malformed header: the text stays as it is
        return ""
    return value.strip() if isinstance(value, str) else ""


def _flowed(part: Message) -> bool:
    return _param(part, "format").lower() == "flowed"


def _decode_part_text(
    data: bytes, charset: str | None, undeclared: Callable[[], str | None]
) -> str:
    if charset is None and not data.isascii() and not is_utf8(data):
        guess = undeclared()
        if guess is not None and decodes(data, guess):
            return data.decode(guess)
    return decode_text(data, charset)


def _nested_message(part: Message) -> PendingAttachment:
    payload = undecoded_payload(part)
    inner = payload[0] if isinstance(payload, list) and payload else None
    if isinstance(inner, Message):
        data = message_bytes(inner)
        subject = RawHeaders(inner, UndeclaredCharset(inner)).first_line("subject")
    else:
        data, subject = payload_bytes(part), ""
    filename = part_filename(part) or (f"{subject}.eml" if subject else None)
    return PendingAttachment(
        filename=filename,
        content_type="message/rfc822",
        data=data,
        content_id=part_content_id(part),
        disposition=part_disposition(part),
    )


def _message_report(part: Message, content_type: str) -> PendingAttachment:
    """A message/* part the stdlib split into header blocks (delivery-status etc.)."""
    payload = undecoded_payload(part)
    blocks = payload if isinstance(payload, list) else []
    data = b"".join(message_bytes(block) for block in blocks if isinstance(block, Message))
    return PendingAttachment(
        filename=part_filename(part),
        content_type=content_type,
        data=data,
        content_id=part_content_id(part),
        disposition=part_disposition(part),
        default_extension=".txt",
    )


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
