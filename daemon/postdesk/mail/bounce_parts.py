"""A bounce's MIME tree read into its pieces: the failure text, the DSN, the returned original.

The walk never enters the returned original message: addresses in there are
the desk's own and the customer's, not the recipients that failed.
"""

from __future__ import annotations

import quopri
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from email.parser import HeaderParser
from email.policy import EmailPolicy

from postdesk.mail.mime_part import undecoded_payload
from postdesk.mail.plain_headers import plain_text

#: The quote markers before a line's text are taken whole (`*+`): `.*` after them could
#: take them too, and trying every split of a long run of "> > > ..." is quadratic.
_RETURNED_MARKER = re.compile(
    r"^[ \t>]*+(?:[-=_*]{2,}.*|.*\b(?:content-type:\s*message/rfc822|original message headers"
    r"|header of the original message)\b.*)$"
    r"|^(?:return-path|received|dkim-signature|x-received|arc-seal)\s*:",
    re.IGNORECASE | re.MULTILINE,
)
_MARKER_WORDS = re.compile(
    r"original|copy of|returned|undelivered message|unsent message|message header"
    r"|message follows|headers? of|rejected message|message text|rfc822",
    re.IGNORECASE,
)
_MESSAGE_ID = re.compile(r"^[ \t>]*message-id\s*:\s*<?([^\s<>]+@[^\s<>]+)>?", re.I | re.M)
_HEADER_START = re.compile(r"^[A-Za-z][\w-]*:[ \t]")
_HTML_TAG = re.compile(r"<[^>]{0,2000}>")


def header_text(msg: Message, name: str) -> str:
    """All values of header ``name`` joined by ", "; never raises on a broken header."""
    try:
        return ", ".join(one_line(v) for v in _decoded_values(msg, name))
    except Exception:  # policy.default may raise while parsing a malformed header
        raw = [str(v) for k, v in msg.raw_items() if k.lower() == name.lower()]
        return ", ".join(one_line(v) for v in raw)


def _decoded_values(msg: Message, name: str) -> list[str]:
    """``[str(v) for v in msg.get_all(name)]``; plain values are read as written."""
    policy = msg.policy
    factory = getattr(policy, "header_factory", None) if isinstance(policy, EmailPolicy) else None
    if factory is None:
        return [str(value) for value in msg.get_all(name) or []]
    wanted = name.lower()
    size = len(wanted)
    values = []
    for key, value in msg.raw_items():
        if len(key) == size and key.lower() == wanted:  # (most names differ in length)
            plain = plain_text(factory, key, value) if isinstance(value, str) else None
            values.append(str(policy.header_fetch_parse(key, value)) if plain is None
                          else plain)
    return values


@dataclass
class BounceParts:
    """The pieces of one bounce, gathered by `collect_parts`."""

    report_text: str = ""
    dsn_text: str = ""
    feedback_text: str = ""
    returned_text: str = ""
    original_message_id: str | None = None
    returned_headers: Message | None = None


def collect_parts(msg: Message) -> BounceParts:
    """Sort the parts of ``msg``: failure text, DSN fields, ARF report, the returned original."""
    parts = BounceParts()
    texts: list[str] = []
    for part in _walk(msg):
        ctype = part.get_content_type()
        if ctype in ("message/delivery-status", "message/global-delivery-status",
                     "text/delivery-status"):
            parts.dsn_text += _block_text(part) + "\n\n"
        elif ctype == "message/feedback-report":
            parts.feedback_text += _block_text(part)
        elif ctype in ("message/rfc822", "message/global", "text/rfc822-headers",
                       "message/rfc822-headers", "text/rfc822-header"):
            if parts.returned_headers is None:
                parts.returned_headers = _returned_headers(part)
        elif part.get_content_maintype() == "text" or (
                part.get_content_maintype() == "multipart" and not part.is_multipart()):
            # a multipart whose boundary is missing is readable as text
            head, tail = _split_returned(_part_text(part, ctype))
            texts.append(head)
            parts.returned_text += tail
    parts.report_text = "\n".join(texts)
    if parts.returned_headers is None and parts.returned_text:
        parts.returned_headers = _headers_in(parts.returned_text)
    if parts.returned_headers is not None:
        parts.original_message_id = strip_id(header_text(parts.returned_headers, "Message-ID"))
    return parts


def _walk(msg: Message) -> Iterator[Message]:
    """Walk the MIME tree but never into a returned original message."""
    yield msg
    if msg.get_content_maintype() == "message" and msg.get_content_type() not in (
        "message/delivery-status", "message/global-delivery-status", "message/feedback-report"
    ):
        return
    if msg.is_multipart():
        payload = msg.get_payload()
        if isinstance(payload, list):
            for sub in payload:
                if isinstance(sub, Message):
                    yield from _walk(sub)


def _block_text(part: Message) -> str:
    payload = undecoded_payload(part)
    if isinstance(payload, list):
        text = "\n\n".join(
            "\n".join(f"{k}: {v}" for k, v in sub.raw_items())
            for sub in payload if isinstance(sub, Message)
        )
    else:
        raw = part.get_payload(decode=True)
        text = _decode(raw) if isinstance(raw, bytes) else str(payload)
    return unix_lines(text)


def unix_lines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _part_text(part: Message, ctype: str) -> str:
    raw = _payload_bytes(part)
    text = _decode(raw, part.get_content_charset()) if isinstance(raw, bytes) else ""
    text = unix_lines(text)
    if ctype == "text/html":
        text = _HTML_TAG.sub(" ", re.sub(r"(?i)<br\s*/?>|</p>|</div>|</tr>", "\n", text))
    return text


def _payload_bytes(part: Message) -> bytes | None:
    """Decoded payload; quoted-printable with bare CR line ends is normalised first."""
    payload = undecoded_payload(part)
    cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    if isinstance(payload, str) and "\r" in payload and cte == "quoted-printable":
        try:
            return quopri.decodestring(unix_lines(payload).encode("ascii", "surrogateescape"))
        except (UnicodeEncodeError, ValueError):
            pass
    raw = part.get_payload(decode=True)
    return raw if isinstance(raw, bytes) else None


def _decode(raw: bytes, charset: str | None = None) -> str:
    for name in (charset, "utf-8"):
        if name:
            try:
                return raw.decode(name)
            except (LookupError, ValueError):  # ValueError: a charset name like "\x00"
                continue
    return raw.decode("latin-1")


def _split_returned(text: str) -> tuple[str, str]:
    """Split plain text at the start of the returned original message."""
    for match in _RETURNED_MARKER.finditer(text):
        line = match.group(0)
        if line.lstrip(" \t>")[:1] in "-=_*" and not _MARKER_WORDS.search(line):
            continue
        if match.start() > 0:
            return text[: match.start()], text[match.start():]
    return text, ""


def _returned_headers(part: Message) -> Message | None:
    payload = undecoded_payload(part)
    if isinstance(payload, list) and payload:
        first = payload[0]
        return first if isinstance(first, Message) else None
    if isinstance(payload, str) and payload.strip():
        return HeaderParser().parsestr(unix_lines(payload).lstrip(), headersonly=True)
    return None


def _headers_in(text: str) -> Message:
    """Parse the header block that starts somewhere near the top of ``text``."""
    lines = text.split("\n")
    for index, line in enumerate(lines[:12]):
        if _HEADER_START.match(line):
            return HeaderParser().parsestr("\n".join(lines[index:]), headersonly=True)
    return HeaderParser().parsestr("", headersonly=True)


def find_message_id(text: str) -> str | None:
    match = _MESSAGE_ID.search(text)
    return match.group(1) if match else None


def strip_id(value: str) -> str | None:
    value = value.strip().strip("<>").strip()
    return value or None


def one_line(text: str) -> str:
    return " ".join(text.split())
