"""Outgoing MIME: text and HTML alternatives with the thread and safety headers.

Header values come from customers (subjects, names), so every value is
checked: a CR or LF never reaches a header (header injection), non-ASCII
values become RFC 2047 encoded-words, and an address that is not exactly one
address is refused. Long lines are folded at spaces to 78 characters (the
CRLF is always followed by the space, so a fold never starts a header).

The message is written directly rather than through `email.message` (many
times faster); tests parse it back with the standard library.
"""

from __future__ import annotations

import base64
import functools
import itertools
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.header import Header
from email.utils import encode_rfc2231, formataddr, make_msgid

# The loop header belongs to the loop detection; this name stays for the writers of
# outgoing mail that still import it from here.
from postdesk.mail.classify import LOOP_HEADER as LOOP_HEADER
from postdesk.mail.quoted_printable import encode_body

_NOT_ONE_ADDRESS = re.compile(r'[<>",;\\ ]')
_HEADER_NAME = re.compile(r"[A-Za-z0-9-]{1,76}")
#: type/subtype, and for a text its charset (readers decode a text without one as ASCII).
_CONTENT_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}"
                           r"(; charset=[a-z0-9_-]{1,40})?")


@dataclass(frozen=True)
class OutgoingAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class OutgoingMail:
    sender_name: str
    sender_address: str
    recipient: str
    subject: str
    text: str
    html: str | None
    message_id: str  # without <>
    date: datetime
    reply_to: str | None = None
    in_reply_to: str | None = None  # without <>
    references: Sequence[str] = ()
    auto_submitted: str | None = None  # 'auto-replied' / 'auto-generated'
    extra_headers: Mapping[str, str] = field(default_factory=dict)
    attachments: Sequence[OutgoingAttachment] = ()
    cc: Sequence[str] = ()  # the others on the customer's side, who see each other


def new_message_id(domain: str) -> str:
    """A fresh Message-ID in our domain, without angle brackets."""
    return make_msgid(idstring="pd", domain=domain).strip("<>")


def one_line(value: str) -> str:
    """Collapse CR, LF, tabs (all white space) so the value can never start a new header."""
    return " ".join(value.split())


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


#: strftime("%z") by UTC offset: it depends on nothing else, and strftime goes through
#: the C library's time zone machinery on every call.
_ZONE_TEXTS: dict[timedelta | None, str] = {}


def rfc5322_date(moment: datetime) -> str:
    """What `email.utils.format_datetime` writes (``-0000`` for a naive moment), in one step."""
    if moment.tzinfo is None:
        zone = "-0000"
    else:
        offset = moment.utcoffset()
        zone = _ZONE_TEXTS.get(offset) or _ZONE_TEXTS.setdefault(offset, moment.strftime("%z"))
    return (f"{_WEEKDAYS[moment.weekday()]}, {moment.day:02d} {_MONTHS[moment.month - 1]} "
            f"{moment.year:04d} {moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} {zone}")


def _angle(message_id: str) -> str:
    return f"<{one_line(message_id).strip('<>')}>"


#: RFC 5322 2.1.1: lines SHOULD keep to 78 characters (MUST to 998).
_LINE = 78


def _header(name: str, value: str, *, text: bool = False) -> str:
    """One header line, folded at spaces past 78 characters; non-ASCII or overlong values
    become RFC 2047 encoded-words, and so does `text` (free text such as a subject) that
    a reader would take for encoded-words."""
    value = one_line(value)
    if value.isascii() and len(value) < 900 and not (text and "=?" in value):
        line = f"{name}: {value}"
        return f"{line}\r\n" if len(line) <= _LINE else f"{_folded(line, len(name) + 2)}\r\n"
    encoded = Header(value, "utf-8", header_name=name).encode(linesep="\r\n")
    return f"{name}: {encoded}\r\n"


def _address(name: str, address: str) -> str:
    """`formataddr`'s ``Name <address>``, the name written once per name (it is the desk's).

    A non-ASCII domain is written in its IDNA form (any server takes it); a non-ASCII
    local part stays UTF-8 (RFC 6532), which only a relay offering SMTPUTF8 carries
    (the transport checks)."""
    address = one_line(address)
    if _NOT_ONE_ADDRESS.search(address) or address.count("@") != 1:
        raise ValueError(f"not a single mail address: {address!r}")
    address = wire_address(address)
    name = one_line(name)
    return f"{_display_name(name)} <{address}>" if name else address


def wire_address(address: str) -> str:
    """The address as it goes over SMTP: the domain in IDNA (ASCII) form, the local part
    as it is (non-ASCII only with SMTPUTF8). ValueError for a domain IDNA cannot write."""
    local, _, domain = address.rpartition("@")
    if domain.isascii():
        return address
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError as exc:
        raise ValueError(f"not a mail domain: {domain!r} ({exc})") from exc


def _folded(line: str, start: int) -> str:
    """`line` with a CRLF before some of its single spaces (after `start`, the value's
    first character) so that each line keeps to 78 characters where a word allows.
    Unfolding (RFC 5322 2.2.3) gives `line` back."""
    head, _, rest = line[start:].partition(" ")
    lines, current = [], line[:start] + head
    for word in rest.split(" ") if rest else ():
        if len(current) + 1 + len(word) > _LINE:
            lines.append(current)
            current = " " + word
        else:
            current += " " + word
    lines.append(current)
    return "\r\n".join(lines)


@functools.lru_cache(maxsize=256)
def _display_name(name: str) -> str:
    """The display name as `formataddr` writes it: quoted, escaped or RFC 2047-encoded."""
    return formataddr((name, ""), charset="utf-8").removesuffix(" <>")


#: Boundaries need only differ from the content and from each other within a message:
#: quoted-printable and base64 never write "=_" (RFC 2045), so a random prefix per
#: process and a counter do, without asking the kernel for randomness for every mail.
_BOUNDARY_PREFIX = f"=_pd_{secrets.token_hex(6)}"
_boundary_numbers = itertools.count()


def _boundary() -> str:
    return f"{_BOUNDARY_PREFIX}{next(_boundary_numbers):012x}"


_PART_HEADS = {
    subtype: (f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
              "Content-Transfer-Encoding: quoted-printable\r\n\r\n").encode("ascii")
    for subtype in ("plain", "html")
}


def _part(subtype: str, content: str) -> bytes:
    body = content.replace("\r\n", "\n").replace("\r", "\n") if "\r" in content else content
    if not body.endswith("\n"):
        body += "\n"
    return _PART_HEADS[subtype] + encode_body(body.encode("utf-8"))


def compose(mail: OutgoingMail) -> bytes:
    """The complete message as bytes with CRLF line ends, ready for any transport."""
    head = [
        _address_header("From", _address(mail.sender_name, mail.sender_address)),
        _address_header("To", _address("", mail.recipient)),
        *([_address_header("Cc", ", ".join(_address("", cc) for cc in mail.cc))]
          if mail.cc else []),
        _header("Subject", mail.subject, text=True),
        _header("Date", rfc5322_date(mail.date)),
        _header("Message-ID", _angle(mail.message_id)),
    ]
    if mail.reply_to:
        head.append(_address_header("Reply-To", _address(mail.sender_name, mail.reply_to)))
    if mail.in_reply_to:
        head.append(_header("In-Reply-To", _angle(mail.in_reply_to)))
    references = [_angle(ref) for ref in mail.references if ref.strip()]
    if references:
        head.append(_header("References", " ".join(references)))
    if mail.auto_submitted:
        head.append(_header("Auto-Submitted", mail.auto_submitted))
    for name, value in mail.extra_headers.items():
        if not _HEADER_NAME.fullmatch(name):
            raise ValueError(f"not a header name: {name!r}")
        head.append(_header(name, value, text=True))
    head.append("MIME-Version: 1.0\r\n")
    text = "".join(head)
    # UTF-8 only for an address with a non-ASCII local part (RFC 6532, sent with SMTPUTF8)
    return text.encode("ascii" if text.isascii() else "utf-8") + _body(mail)


def _address_header(name: str, value: str) -> str:
    """An address header: the display name is encoded already (`_display_name`), so what
    is not ASCII is the address itself, written as UTF-8 and never as an encoded-word
    (which no reader would take for an address)."""
    return _header(name, value) if value.isascii() else f"{name}: {value}\r\n"


def _multipart(subtype: str, parts: Sequence[bytes]) -> bytes:
    """A multipart entity; the CRLF before a delimiter belongs to the delimiter."""
    boundary = _boundary()
    head = f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n\r\n--{boundary}\r\n'
    between = f"\r\n--{boundary}\r\n".encode("ascii")
    close = f"\r\n--{boundary}--\r\n"
    return b"".join((head.encode("ascii"), between.join(parts), close.encode("ascii")))


def _body(mail: OutgoingMail) -> bytes:
    text = _part("plain", mail.text)
    body = text if mail.html is None else _multipart("alternative",
                                                     [text, _part("html", mail.html)])
    if not mail.attachments:
        return body
    return _multipart("mixed", [body, *(_attachment(a) for a in mail.attachments)])


def _attachment(item: OutgoingAttachment) -> bytes:
    """One attachment, base64, its name encoded for any client (RFC 2231 and 2047)."""
    name = one_line(item.filename).replace('"', "'") or "attachment"
    content_type = item.content_type if _CONTENT_TYPE.fullmatch(item.content_type) \
        else "application/octet-stream"
    if name.isascii():
        type_param, disposition = f'; name="{name}"', f'attachment; filename="{name}"'
    else:
        encoded = Header(name, "utf-8").encode()
        type_param = f'; name="{encoded}"'
        disposition = f"attachment; filename*={encode_rfc2231(name, 'utf-8')}"
    data = base64.encodebytes(item.data).replace(b"\n", b"\r\n")
    return (f"Content-Type: {content_type}{type_param}\r\n"
            f"Content-Disposition: {disposition}\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n").encode("ascii") + data
