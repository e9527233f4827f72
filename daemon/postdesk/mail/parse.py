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
  ``MaxDepthExceeded``).
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import errors, policy
from email.header import Header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from typing import TypeVar

from postdesk.mail.charsets import (
    codec_candidates,
    decode_encoded_words,
    decode_text,
    guess_codec,
    lenient_base64,
    repair_seven_bit,
    repair_surrogates,
)
from postdesk.mail.htmltext import html_to_text, referenced_content_ids, sanitize_html

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

TNEF_NOTE = "TNEF (winmail.dat) kept as an attachment; its contents were not unpacked"
MAX_DEPTH_DEFECT = "MaxDepthExceeded"
MAX_FILENAME_BYTES = 255

_T = TypeVar("_T")


@dataclass(frozen=True)
class Address:
    """One mailbox from an address header."""

    email: str
    name: str

    @property
    def normalized(self) -> str:
        """The address lowercased, for lookups."""
        return self.email.lower()


@dataclass(frozen=True)
class Attachment:
    """A non-body MIME part (or uuencoded file), decoded, with a safe file name."""

    filename: str
    content_type: str
    data: bytes
    content_id: str | None
    inline: bool
    note: str | None = None


@dataclass(frozen=True)
class ParsedMail:
    """Everything the desk needs from one mail, decoded and normalised."""

    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    subject: str
    sender: Address | None
    reply_to: tuple[Address, ...]
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    date: datetime | None
    text: str
    html: str | None
    attachments: tuple[Attachment, ...]
    languages: tuple[str, ...]
    defects: tuple[str, ...]


# --------------------------------------------------------------------- loading

_SERIALIZE_POLICY = policy.default.clone(refold_source="none")


class UnparseableMessageDefect(errors.MessageDefect):
    """The stdlib parser failed (e.g. absurd nesting); the bytes are kept as one text part."""


def load_message(raw: bytes) -> EmailMessage:
    """Parse bytes with the standard library (policy.default); never raises.

    A message the default policy cannot parse is retried with compat32, and
    as a last resort returned as one text part holding the bytes, with an
    ``UnparseableMessageDefect``.
    """
    data = _repair_header_names(_as_bytes(raw))
    for parse_policy in (policy.default, policy.compat32):
        try:
            parsed = BytesParser(_class=EmailMessage, policy=parse_policy).parsebytes(data)
        except RecursionError:
            break  # compat32 nests the same way; do not pay for it twice
        except Exception:  # the stdlib parser has crashed on hostile input before
            continue
        if isinstance(parsed, EmailMessage):
            return parsed
    msg = EmailMessage()
    msg.set_payload(data.decode("ascii", errors="surrogateescape"))
    msg.defects.append(UnparseableMessageDefect())
    return msg


_HEADER_END = re.compile(rb"\r?\n\r?\n")
_SPACED_FIELD_NAME = re.compile(rb"(?m)^([!-9;-~]+)[ \t]+:")


def _repair_header_names(data: bytes) -> bytes:
    """Remove blanks before the colon of header names (RFC 5322 obs-optional).

    The stdlib takes "Message-ID  : <...>" for the start of the body and
    loses every header after it.
    """
    end = _HEADER_END.search(data)
    head = data[: end.start()] if end else data
    if not _SPACED_FIELD_NAME.search(head):
        return data
    return _SPACED_FIELD_NAME.sub(rb"\1:", head) + data[len(head) :]


def _as_bytes(raw: object) -> bytes:
    if isinstance(raw, bytes):
        return raw
    if isinstance(raw, str):
        return raw.encode("utf-8", errors="surrogateescape")
    try:
        return bytes(raw)  # type: ignore[call-overload]
    except Exception:
        return b""


def parse_message(raw: bytes, *, max_depth: int = 20) -> ParsedMail:
    """Parse raw mail bytes; never raises for any input."""
    return parse_loaded(load_message(raw), max_depth=max_depth)


def parse_loaded(msg: EmailMessage, *, max_depth: int = 20) -> ParsedMail:
    """Parse an already loaded message; never raises."""
    defects: set[str] = set()
    undeclared = _UndeclaredCharset(msg)
    body = _guarded(
        lambda: _collect_body(msg, max_depth, undeclared), _Body(), "BodyParseError", defects
    )
    headers = _guarded(
        lambda: _read_headers(msg, undeclared), _HeaderFields(), "HeaderParseError", defects
    )
    defects |= body.defects
    result: ParsedMail | None = _guarded(
        lambda: _assemble(headers, body, defects), None, "AssembleError", defects
    )
    if result is None:
        return _assemble(_HeaderFields(), _Body(), defects)
    return result


def _guarded(make: Callable[[], _T], default: _T, defect: str, defects: set[str]) -> _T:
    # The last line of defence: report a defect instead of losing the mail.
    try:
        return make()
    except Exception:
        defects.add(defect)
        return default


# --------------------------------------------------------------------- headers

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_WHITESPACE = re.compile(r"[ \t\r\n\f\v]+")
_FOLDING_RUN = re.compile(r"[ \t]*[\t\r\n\f\v][ \t\r\n\f\v]*")
_MESSAGE_ID = re.compile(r"<([^<>]*)>")
_BARE_ADDRESS = re.compile(r"[^\s<>\"(),;:\[\]]+@[^\s<>\"(),;:\[\]]+")


def decode_header_value(value: object) -> str:
    """Decode any header value to clean text; never raises.

    Accepts raw strings (with surrogate-escaped 8-bit bytes), bytes,
    ``email.header.Header`` and policy header objects.  Folding and control
    characters become spaces; RFC 2047 encoded-words are decoded.
    """
    try:
        return _decode_header(value, None)
    except Exception:
        return ""


def _decode_header(value: object, fallback: str | None) -> str:
    text = _header_text(value)
    text = repair_surrogates(text, fallback)
    text = _FOLD.sub("", text)
    if "=?" in text:
        text = decode_encoded_words(text)
    return _CONTROL.sub(" ", text)


def _header_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("ascii", errors="surrogateescape")
    if isinstance(value, Header):
        return _header_object_text(value)
    return str(value)


def _header_object_text(value: Header) -> str:
    try:
        return str(value)
    except Exception:
        return value.encode()


@dataclass(frozen=True)
class _HeaderFields:
    message_id: str | None = None
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    subject: str = ""
    sender: Address | None = None
    reply_to: tuple[Address, ...] = ()
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    date: datetime | None = None
    languages: tuple[str, ...] = ()


class _RawHeaders:
    """The raw header values of one message, decoded with a shared 8-bit fallback."""

    def __init__(self, msg: Message, undeclared: _UndeclaredCharset) -> None:
        self._msg = msg
        self._undeclared = undeclared
        self._values: dict[str, list[str]] = {}
        for name, value in _raw_items(msg):
            self._values.setdefault(name.strip().lower(), []).append(_header_text(value))
        self._fallback: str | None = None
        self._fallback_known = False
        self._body_codecs_cache: tuple[str, ...] | None = None

    def all(self, name: str) -> list[str]:
        """Every value of header ``name``, decoded."""
        return [self._decode(value) for value in self._values.get(name, [])]

    def all_raw(self, name: str) -> list[str]:
        """Every value of header ``name`` with 8-bit bytes repaired, words still encoded."""
        return [self._repair(value) for value in self._values.get(name, [])]

    def first(self, name: str) -> str:
        """The first value of header ``name``, decoded ('' when absent)."""
        values = self._values.get(name)
        return self._decode(values[0]) if values else ""

    def first_line(self, name: str) -> str:
        """The first value of ``name`` on one line: folds and tabs become one space."""
        values = self._values.get(name)
        if not values:
            return ""
        return _collapse_folding(self._decode(_collapse_folding(values[0])))

    def _decode(self, value: str) -> str:
        return _decode_header(self._repair(value), None)

    def _repair(self, value: str) -> str:
        if value.isascii():
            if "\x1b" in value or "+" in value:
                return repair_seven_bit(value, self._body_codecs())
            return value
        return repair_surrogates(value, self._fallback_charset())

    def _body_codecs(self) -> tuple[str, ...]:
        if self._body_codecs_cache is None:
            declared, _ = _body_charset_evidence(self._msg)
            self._body_codecs_cache = codec_candidates(declared)
        return self._body_codecs_cache

    def _fallback_charset(self) -> str | None:
        if not self._fallback_known:
            self._fallback = self._undeclared.for_headers()
            self._fallback_known = True
        return self._fallback


def _raw_items(msg: Message) -> list[tuple[str, object]]:
    try:
        return [(str(name), value) for name, value in msg.raw_items()]
    except Exception:
        return []


class _UndeclaredCharset:
    """One guess per message for 8-bit text that declares no (usable) charset.

    The headers and undeclared text parts of one mail nearly always share a
    charset, and a guess over all of them beats a guess over each short piece.
    """

    def __init__(self, msg: Message) -> None:
        self._msg = msg
        self._codec: str | None = None
        self._known = False

    def __call__(self) -> str | None:
        if not self._known:
            self._codec = self._guess()
            self._known = True
        return self._codec

    def for_headers(self) -> str | None:
        """The body's declared charset when it fits the broken headers, else the guess."""
        sample = b" ".join(self._broken_headers())
        declared, _ = _body_charset_evidence(self._msg)
        for codec in codec_candidates(declared):
            if codec not in ("utf-8", "ascii") and _decodes(sample, codec):
                return codec
        return self()

    def _broken_headers(self) -> list[bytes]:
        values = [_header_text(value) for _, value in _raw_items(self._msg)]
        return [raw for raw in _eight_bit_values(values) if not _is_utf8(raw)]

    def _guess(self) -> str | None:
        _, body = _body_charset_evidence(self._msg)
        pieces = self._broken_headers()
        if body and not body.isascii() and not _is_utf8(body):
            pieces.append(body)
        return guess_codec(b"\n".join(pieces)) if pieces else None


def _eight_bit_values(values: list[str]) -> list[bytes]:
    return [v.encode("utf-8", errors="surrogateescape") for v in values if not v.isascii()]


def _is_utf8(data: bytes) -> bool:
    return _decodes(data, "utf-8")


def _decodes(data: bytes, codec: str) -> bool:
    try:
        data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _body_charset_evidence(msg: Message) -> tuple[str | None, bytes]:
    """The first text part's declared charset, or its bytes when it declares none."""
    stack: list[Message] = [msg]
    for _ in range(50):
        if not stack:
            break
        part = stack.pop(0)
        if part.is_multipart():
            payload = part.get_payload()
            if isinstance(payload, list):
                stack.extend(p for p in payload if isinstance(p, Message))
            continue
        if _content_type(part).startswith("text/"):
            charset = _charset(part)
            if charset is not None:
                return charset, b""
            return None, _payload_bytes(part)[:8192]
    return None, b""


def _read_headers(msg: Message, undeclared: _UndeclaredCharset) -> _HeaderFields:
    headers = _RawHeaders(msg, undeclared)
    senders = _addresses(headers.all_raw("from"))
    return _HeaderFields(
        message_id=_first_message_id(headers.first("message-id")),
        in_reply_to=_message_ids(" ".join(headers.all("in-reply-to"))),
        references=_message_ids(" ".join(headers.all("references"))),
        subject=headers.first_line("subject"),
        sender=senders[0] if senders else None,
        reply_to=_addresses(headers.all_raw("reply-to")),
        to=_addresses(headers.all_raw("to")),
        cc=_addresses(headers.all_raw("cc")),
        date=_parse_date(headers.first("date")),
        languages=_languages(headers.all("content-language") + headers.all("accept-language")),
    )


def _collapse_folding(value: str) -> str:
    """Newlines and tabs (with the spaces around them) become one space."""
    return _FOLDING_RUN.sub(" ", value).strip()


def _addresses(values: list[str]) -> tuple[Address, ...]:
    found: list[Address] = []
    for value in values:
        found.extend(_addresses_in(_quote_bare_names(_FOLD.sub("", value))))
    return tuple(found)


_BARE_NAME_WITH_AT = re.compile(r'(^|,)\s*([^,"<>()]*@[^,"<>()]*?)\s*<([^<>]*)>')


def _quote_bare_names(value: str) -> str:
    """Quote unquoted display names holding an '@' ("a@x.org <b@y.org>").

    Without quotes the stdlib takes the display name for the address; the
    real address, the one in angle brackets, is the one that matters.
    """
    if "<" not in value or "@" not in value:
        return value
    return _BARE_NAME_WITH_AT.sub(r'\1 "\2" <\3>', value)


def _addresses_in(value: str) -> list[Address]:
    try:
        pairs = getaddresses([value])
    except Exception:
        pairs = []
    found = [_address(name, email) for name, email in pairs]
    usable = [address for address in found if address is not None]
    if usable or not value.strip():
        return usable
    # getaddresses gives up on some broken headers; keep any addr-spec in sight.
    return [Address(email=email, name="") for email in _BARE_ADDRESS.findall(value)]


def _address(name: str, email: str) -> Address | None:
    email = _CONTROL.sub("", email).strip().strip("<>").strip()
    if not email or ("@" not in email and not email.isalnum()):
        return None
    decoded_name = _WHITESPACE.sub(" ", decode_header_value(name)).strip()
    if decoded_name.strip("'\"").lower() == email.lower():
        decoded_name = ""  # a name repeating the address says nothing more
    return Address(email=email, name=decoded_name)


def _message_ids(value: str) -> tuple[str, ...]:
    ids = [_WHITESPACE.sub("", found) for found in _MESSAGE_ID.findall(value)]
    if not any(ids):
        ids = [token.strip("<>,;") for token in value.split() if "@" in token]
    unique: dict[str, None] = {}
    for message_id in ids:
        if message_id:
            unique.setdefault(message_id, None)
    return tuple(unique)


def _first_message_id(value: str) -> str | None:
    ids = _message_ids(value)
    if ids:
        return ids[0]
    stripped = value.strip().strip("<>").strip()
    return stripped or None


def _parse_date(value: str) -> datetime | None:
    if not value.strip():
        return None
    try:
        parsed = parsedate_to_datetime(value.strip())
    except Exception:  # ValueError, TypeError, OverflowError on garbage dates
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _languages(values: list[str]) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for value in values:
        for item in value.split(","):
            tag = _language_tag(item.split(";", 1)[0].strip())
            if tag:
                found.setdefault(tag, None)
    return tuple(found)


def _language_tag(tag: str) -> str | None:
    parts = re.split(r"[-_]", tag)
    primary = parts[0].lower()
    if not (primary.isascii() and primary.isalpha() and 2 <= len(primary) <= 3):
        return None
    normalised = [primary]
    for part in parts[1:]:
        if not (part.isascii() and part.isalnum()):
            return None
        if len(part) == 4 and part.isalpha():
            normalised.append(part.title())
        elif (len(part) == 2 and part.isalpha()) or (len(part) == 3 and part.isdigit()):
            normalised.append(part.upper())
        else:
            break
    return "_".join(normalised)


# ------------------------------------------------------------------------ body


@dataclass(frozen=True)
class _PendingAttachment:
    filename: str | None
    content_type: str
    data: bytes
    content_id: str | None
    disposition: str | None
    default_extension: str | None = None
    charset: str | None = None


@dataclass
class _Body:
    """What one walk over a MIME tree found (local to one parse call)."""

    texts: list[str] = field(default_factory=list)
    htmls: list[str] = field(default_factory=list)
    attachments: list[_PendingAttachment] = field(default_factory=list)
    defects: set[str] = field(default_factory=set)
    undeclared: Callable[[], str | None] = lambda: None

    def absorb(self, other: _Body, *, texts: bool, htmls: bool) -> None:
        """Take over ``other``'s attachments and defects, and optionally its bodies."""
        if texts:
            self.texts.extend(other.texts)
        if htmls:
            self.htmls.extend(other.htmls)
        self.attachments.extend(other.attachments)
        self.defects |= other.defects


_BODY_TYPES = frozenset({"text/plain", "text/html"})
_MESSAGE_ATTACHMENTS = frozenset({"message/rfc822", "message/global"})


def _collect_body(msg: Message, max_depth: int, undeclared: _UndeclaredCharset) -> _Body:
    body = _Body(undeclared=undeclared)
    _walk(msg, 0, max_depth, body)
    return body


def _walk(part: Message, depth: int, max_depth: int, out: _Body) -> None:
    if depth > max_depth:
        out.defects.add(MAX_DEPTH_DEFECT)
        return
    _note_defects(part, out)
    content_type = _content_type(part)
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
    part: Message, content_type: str, depth: int, max_depth: int, out: _Body
) -> None:
    payload = part.get_payload()
    children = [child for child in payload if isinstance(child, Message)]
    if content_type == "multipart/alternative":
        _walk_alternative(children, depth + 1, max_depth, out)
        return
    for child in children:
        _walk(child, depth + 1, max_depth, out)


def _walk_alternative(children: list[Message], depth: int, max_depth: int, out: _Body) -> None:
    """Plain text from the first variant that has some, HTML from the last one."""
    variants = []
    for child in children:
        variant = _Body(undeclared=out.undeclared)
        _walk(child, depth, max_depth, variant)
        variants.append(variant)
    text_from = next((v for v in variants if any(t.strip() for t in v.texts)), None)
    if text_from is None:
        text_from = next((v for v in variants if v.texts), None)
    html_from = next((v for v in reversed(variants) if v.htmls), None)
    for variant in variants:
        out.absorb(variant, texts=variant is text_from, htmls=variant is html_from)


def _note_nested_defects(part: Message, depth: int, max_depth: int, out: _Body) -> None:
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


def _note_defects(part: Message, out: _Body) -> None:
    for defect in getattr(part, "defects", ()):
        out.defects.add(type(defect).__name__)


def _leaf(part: Message, content_type: str, out: _Body) -> None:
    disposition = _disposition(part)
    filename = _filename(part)
    data = _payload_bytes(part)
    is_broken_multipart = content_type.startswith("multipart/")
    if (
        disposition != "attachment"
        and not filename
        and (content_type in _BODY_TYPES or is_broken_multipart)
    ):
        text = _normalise_newlines(_decode_part_text(data, _charset(part), out.undeclared))
        if content_type == "text/html":
            out.htmls.append(text)
        else:
            text, files = _extract_uuencoded(text)
            out.texts.append(text)
            out.attachments.extend(files)
        return
    out.attachments.append(
        _PendingAttachment(
            filename=filename,
            content_type=content_type,
            data=data,
            content_id=_content_id(part),
            disposition=disposition,
            charset=_charset(part) if content_type.startswith("text/") else None,
        )
    )


def _decode_part_text(
    data: bytes, charset: str | None, undeclared: Callable[[], str | None]
) -> str:
    if charset is None and not data.isascii() and not _is_utf8(data):
        guess = undeclared()
        if guess is not None and _decodes(data, guess):
            return data.decode(guess)
    return decode_text(data, charset)


def _nested_message(part: Message) -> _PendingAttachment:
    payload = part.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload else None
    if isinstance(inner, Message):
        data = _message_bytes(inner)
        subject = _RawHeaders(inner, _UndeclaredCharset(inner)).first_line("subject")
    else:
        data, subject = _payload_bytes(part), ""
    filename = _filename(part) or (f"{subject}.eml" if subject else None)
    return _PendingAttachment(
        filename=filename,
        content_type="message/rfc822",
        data=data,
        content_id=_content_id(part),
        disposition=_disposition(part),
    )


def _message_report(part: Message, content_type: str) -> _PendingAttachment:
    """A message/* part the stdlib split into header blocks (delivery-status etc.)."""
    payload = part.get_payload()
    blocks = payload if isinstance(payload, list) else []
    data = b"".join(_message_bytes(block) for block in blocks if isinstance(block, Message))
    return _PendingAttachment(
        filename=_filename(part),
        content_type=content_type,
        data=data,
        content_id=_content_id(part),
        disposition=_disposition(part),
        default_extension=".txt",
    )


def _message_bytes(msg: Message) -> bytes:
    for serialize_policy in (_SERIALIZE_POLICY, policy.compat32):
        try:
            return msg.as_bytes(policy=serialize_policy)
        except Exception:  # e.g. RecursionError on absurd nesting, bad header objects
            continue
    return b""


# ------------------------------------------------------------- part accessors


def _raw_header(part: Message, name: str) -> str | None:
    for key, value in _raw_items(part):
        if key.lower() == name:
            return _header_text(value)
    return None


_SIMPLE_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")
_SIMPLE_CHARSET = re.compile(r"""(?i)(?:^|;)\s*charset\s*=\s*["']?([^"';\s]+)""")

# The stdlib's header objects are thorough but slow (they dominate the time
# for mails with hundreds of parts); the raw value is read directly whenever
# it is simple, and the stdlib is asked only for the rest.


def _content_type(part: Message) -> str:
    raw = _raw_header(part, "content-type")
    if raw is None:
        return part.get_default_type()
    simple = raw.split(";", 1)[0].strip().lower()
    if _SIMPLE_TYPE.fullmatch(simple):
        return simple
    try:
        return part.get_content_type()
    except Exception:
        return "text/plain"


def _charset(part: Message) -> str | None:
    raw = _raw_header(part, "content-type") or ""
    if "*" not in raw and "\\" not in raw:
        found = _SIMPLE_CHARSET.search(raw)
        return found.group(1).lower() if found else None
    try:
        charset = part.get_content_charset()
    except Exception:
        return None
    return charset if isinstance(charset, str) else None


def _disposition(part: Message) -> str | None:
    raw = _raw_header(part, "content-disposition")
    if raw is None:
        return None
    return decode_header_value(raw).split(";", 1)[0].strip().lower() or None


def _content_id(part: Message) -> str | None:
    raw = _raw_header(part, "content-id")
    if raw is None:
        return None
    value = _WHITESPACE.sub("", decode_header_value(raw)).strip("<>")
    return value or None


def _filename(part: Message) -> str | None:
    raw = (_raw_header(part, "content-disposition") or "") + (
        _raw_header(part, "content-type") or ""
    )
    if "name" not in raw.lower():
        return None
    # The stdlib turns undeclared 8-bit bytes in parameters into U+FFFD, so
    # such headers are repaired first and read with compat32's simpler parser.
    name = _filename_stdlib(part) if raw.isascii() else _filename_compat(part)
    if name is None:
        return None
    decoded = _WHITESPACE.sub(" ", decode_header_value(_windows_basename(part) or name)).strip()
    return decoded or None


def _filename_stdlib(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        return _filename_compat(part)
    return name if isinstance(name, str) else None


_QUOTED_NAME = re.compile(r'(?i)\b(?:file)?name\s*=\s*"([^"]*)"')


def _windows_basename(part: Message) -> str | None:
    """The last component of a quoted Windows path ("C:\\TEMP\\x.png" -> "x.png").

    Quoted-string unescaping would turn such a name into "C:TEMPx.png".
    """
    for header in ("content-disposition", "content-type"):
        raw = _raw_header(part, header) or ""
        if "\\" not in raw:
            continue
        for value in _QUOTED_NAME.findall(raw):
            if "\\" in value:
                return value.rsplit("\\", 1)[-1]
    return None


def _filename_compat(part: Message) -> str | None:
    """Read the file name with compat32's simpler parameter parser."""
    fallback = Message(policy=policy.compat32)
    for name in ("content-disposition", "content-type"):
        raw = _raw_header(part, name)
        if raw is not None:
            fallback[name] = repair_surrogates(raw)
    try:
        found = fallback.get_filename()
    except Exception:
        return None
    return found if isinstance(found, str) else None


def _payload_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        if any(isinstance(d, errors.InvalidBase64LengthDefect) for d in part.defects):
            # The stdlib gives up and returns the encoded text; salvage what decodes.
            return lenient_base64(_raw_payload(part))
        return data
    return _raw_payload(part)


def _raw_payload(part: Message) -> bytes:
    try:
        payload = part.get_payload()
    except Exception:
        return b""
    if isinstance(payload, str):
        return payload.encode("utf-8", errors="surrogateescape")
    return b""


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


# ----------------------------------------------------------------- uuencode

_UU_BEGIN = re.compile(r"^begin [0-7]{3,4} (?P<name>[^\n]+?)[ \t]*$", re.MULTILINE)
_UU_END = re.compile(r"^end[ \t]*$", re.MULTILINE)


def _extract_uuencoded(text: str) -> tuple[str, list[_PendingAttachment]]:
    """Cut uuencoded files ("begin 644 name" ... "end") out of a text body."""
    if "begin " not in text:
        return text, []
    files: list[_PendingAttachment] = []
    kept: list[str] = []
    position = 0
    for begin in _UU_BEGIN.finditer(text):
        if begin.start() < position:
            continue
        end = _UU_END.search(text, begin.end())
        if end is None:
            break
        data = _uudecode(text[begin.end() : end.start()])
        if data is None:
            continue
        kept.append(text[position : begin.start()])
        position = end.end() + 1 if text[end.end() : end.end() + 1] == "\n" else end.end()
        files.append(
            _PendingAttachment(
                filename=begin.group("name"),
                content_type=_type_for_name(begin.group("name")),
                data=data,
                content_id=None,
                disposition="attachment",
            )
        )
    kept.append(text[position:])
    return "".join(kept), files


def _uudecode(block: str) -> bytes | None:
    decoded = bytearray()
    for line in block.split("\n"):
        if not line.strip():
            continue
        chunk = _uudecode_line(line.rstrip("\r"))
        if chunk is None:
            return None
        decoded += chunk
    return bytes(decoded)


def _uudecode_line(line: str) -> bytes | None:
    try:
        return binascii.a2b_uu(line)
    except (binascii.Error, ValueError):
        pass
    # Some encoders pad lines with garbage; trust the length byte instead.
    length = (((ord(line[0]) - 32) & 63) * 4 + 5) // 3
    try:
        return binascii.a2b_uu(line[:length])
    except (binascii.Error, ValueError):
        return None


# -------------------------------------------------------------- attachments

_EXTENSIONS = {
    "application/pdf": ".pdf",
    "application/zip": ".zip",
    "application/ms-tnef": ".dat",
    "application/vnd.ms-tnef": ".dat",
    "application/pgp-signature": ".asc",
    "application/pgp-encrypted": ".asc",
    "application/pgp-keys": ".asc",
    "application/pkcs7-signature": ".p7s",
    "application/x-pkcs7-signature": ".p7s",
    "application/pkcs7-mime": ".p7m",
    "application/x-pkcs7-mime": ".p7m",
    "application/msword": ".doc",
    "application/json": ".json",
    "image/jpeg": ".jpg",
    "image/pjpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/bmp": ".bmp",
    "image/webp": ".webp",
    "image/tiff": ".tif",
    "image/svg+xml": ".svg",
    "text/plain": ".txt",
    "text/html": ".html",
    "text/calendar": ".ics",
    "text/csv": ".csv",
    "text/x-vcard": ".vcf",
    "text/vcard": ".vcf",
    "text/rfc822-headers": ".txt",
    "message/rfc822": ".eml",
    "message/global": ".eml",
    "audio/mpeg": ".mp3",
    "audio/x-wav": ".wav",
    "video/mp4": ".mp4",
}
_TYPES_BY_EXTENSION = {ext: ctype for ctype, ext in reversed(list(_EXTENSIONS.items()))}
_TNEF_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _type_for_name(name: str) -> str:
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return _TYPES_BY_EXTENSION.get(extension, "application/octet-stream")


def _finish_attachments(
    pending: list[_PendingAttachment], html: str | None
) -> tuple[Attachment, ...]:
    cids = referenced_content_ids(html) if html and "cid:" in html.lower() else frozenset()
    finished = []
    for number, item in enumerate(pending, start=1):
        filename = sanitize_filename(item.filename or "", fallback=_fallback_name(item, number))
        inline = item.disposition == "inline" or (
            item.content_id is not None and item.content_id.lower() in cids
        )
        note = TNEF_NOTE if _is_tnef(item.content_type, filename) else None
        finished.append(
            Attachment(
                filename=filename,
                content_type=item.content_type,
                data=item.data,
                content_id=item.content_id,
                inline=inline,
                note=note,
            )
        )
    return tuple(finished)


def _is_tnef(content_type: str, filename: str) -> bool:
    return content_type in _TNEF_TYPES or filename.lower() == "winmail.dat"


def sanitize_filename(name: str, *, fallback: str = "attachment.bin") -> str:
    """A file name safe to store and offer for download; never empty.

    Directories are stripped (``../../etc/passwd`` gives ``passwd``), as are
    control and bidi-override characters and leading dots; the result is at
    most 255 bytes of UTF-8 and keeps its extension when shortened.
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = _WHITESPACE.sub(" ", _INVISIBLE.sub("", base)).strip()
    base = base.lstrip(". ").rstrip(" ")
    return _truncate_name(base or fallback)


def _fallback_name(item: _PendingAttachment, number: int) -> str:
    extension = _EXTENSIONS.get(item.content_type, item.default_extension or ".bin")
    return f"attachment-{number}{extension}"


def _truncate_name(name: str) -> str:
    if len(name.encode("utf-8")) <= MAX_FILENAME_BYTES:
        return name
    stem, dot, extension = name.rpartition(".")
    suffix = f".{extension}"
    if not dot or not stem or len(extension.encode("utf-8")) > 16:
        stem, suffix = name, ""
    budget = MAX_FILENAME_BYTES - len(suffix.encode("utf-8"))
    shortened = stem.encode("utf-8")[:budget].decode("utf-8", errors="ignore")
    return shortened.rstrip() + suffix


# ------------------------------------------------------------------ assembly


def _assemble(headers: _HeaderFields, body: _Body, defects: set[str]) -> ParsedMail:
    html_source = "\n".join(body.htmls) if body.htmls else None
    text = _join_texts(body.texts) if body.texts or body.htmls else _inline_text_file(body)
    if not text.strip() and html_source is not None:
        text = html_to_text(html_source) or text
    return ParsedMail(
        message_id=headers.message_id,
        in_reply_to=headers.in_reply_to,
        references=headers.references,
        subject=headers.subject,
        sender=headers.sender,
        reply_to=headers.reply_to,
        to=headers.to,
        cc=headers.cc,
        date=headers.date,
        text=text,
        html=sanitize_html(html_source) if html_source is not None else None,
        attachments=_finish_attachments(body.attachments, html_source),
        languages=headers.languages,
        defects=tuple(sorted(defects)),
    )


def _inline_text_file(body: _Body) -> str:
    """The text of an inline text/plain file when the mail has no other body."""
    for item in body.attachments:
        if item.content_type == "text/plain" and item.disposition == "inline":
            return _normalise_newlines(decode_text(item.data, item.charset))
    return ""


def _join_texts(texts: list[str]) -> str:
    if len(texts) == 1:
        return texts[0]
    return "\n\n".join(text.strip("\n") for text in texts if text.strip())
