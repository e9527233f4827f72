"""Bounce parsing: who failed, with which DSN status, and is it permanent.

Reads standard delivery status notifications (RFC 3464 ``message/delivery-status``),
ARF feedback reports (RFC 5965) and the plain-text bounces that Postfix, Exim,
qmail, Exchange, Gmail and friends still send. The caller (``classify``) only asks
for this when the headers already look like a bounce, so the body work here is
never done for ordinary mail.

``hard`` answers the help desk's question "is this address unusable?": unknown
user or domain, moved, disabled, no mail accepted. Policy or spam rejections,
full mailboxes, expired queues and delays are soft even with a 5.x.x status,
because the address itself may be fine. This is sisimai's ``hardbounce`` notion.
Pure: no I/O, no clock.
"""

from __future__ import annotations

import json
import quopri
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from email.parser import HeaderParser
from email.utils import getaddresses
from typing import Any

_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_REPLY_CODE = re.compile(r"(?<![\d.])([245]\d\d)(?=[\s-])")
_DSN_FIELD = re.compile(
    r"^(final-recipient|original-recipient|x-actual-recipient|action|status|diagnostic-code"
    r"|original-rcpt-to|removal-recipient|feedback-type)[ \t]*:[ \t]*(.*(?:\n[ \t]+.*)*)",
    re.IGNORECASE | re.MULTILINE,
)
_RETURNED_MARKER = re.compile(
    r"^[ \t>]*(?:[-=_*]{2,}.*|.*\b(?:content-type:\s*message/rfc822|original message headers"
    r"|header of the original message)\b.*)$"
    r"|^(?:return-path|received|dkim-signature|x-received|arc-seal)\s*:",
    re.IGNORECASE | re.MULTILINE,
)
_MARKER_WORDS = re.compile(
    r"original|copy of|returned|undelivered message|unsent message|message header"
    r"|message follows|headers? of|rejected message|message text|rfc822",
    re.IGNORECASE,
)
_HEADER_LINE = re.compile(
    r"^\s*(?:to|from|cc|bcc|sent|date|subject|reply-to|sender|message-id|in-reply-to"
    r"|references|envelope-from|return-path|x-[\w-]+)\s*:",
    re.IGNORECASE,
)
_LINE_START_ADDRESS = re.compile(
    r"^[ \t]*(?:(?:recipient|address|to|rcpt to|original-recipient|final-recipient)"
    r"(?:\s*address)?\s*:?\s*)?[\"'<(]*(" + _ADDRESS.pattern + r")[\"'>)]*"
    r"(?=\s*(?:$|:|;|,|\.{3}|\(|<|on\b|\[|-{1,2}\s|\.?\s*$))",
    re.IGNORECASE | re.MULTILINE,
)
_MESSAGE_ID = re.compile(r"^[ \t>]*message-id\s*:\s*<?([^\s<>]+@[^\s<>]+)>?", re.I | re.M)
_HEADER_START = re.compile(r"^[A-Za-z][\w-]*:[ \t]")
_HTML_TAG = re.compile(r"<[^>]{0,2000}>")
_SOFT_TEXT = re.compile(
    r"mailbox (?:is )?full|over ?quota|quota (?:exceeded|full)|exceed\w* (?:the )?(?:storage|quota)"
    r"|insufficient (?:disk )?(?:space|storage)|mailbox size limit"
    r"|too many (?:connections|messages)"
    r"|temporar|try again later|greylist|rate limit|spam|blacklist|blocklist|blocked|\bpolicy\b"
    r"|virus|dmarc|spf|dkim|reverse dns|\bptr\b|relay(?:ing)? (?:denied|not permitted|access)"
    r"|message (?:is )?too (?:big|large)|quota|storage|size exceeds|reputation|timed? ?out|expired"
    r"|sender address|domain of sender|after mail from|recipient preferences|too many recipients",
    re.IGNORECASE,
)
_HARD_TEXT = re.compile(
    r"user ?unknown|unknown (?:user|recipient|local[- ]part|mailbox|address|alias)"
    r"|no such (?:user|recipient|mailbox|address|person|local user|account)"
    r"|(?:user|recipient|mailbox|address|account|addressee)\s+(?:\S+\s+)?(?:does ?n[o']t exist"
    r"|not found|not exist|unknown|is unknown|not known|invalid|is invalid|unavailable)"
    r"|(?:mailbox|account|user)\s+(?:is\s+)?(?:disabled|deactivated|suspended|inactive|closed)"
    r"|invalid (?:recipient|mailbox|address|user)|recipient (?:address )?rejected"
    r"|does not have (?:an? )?(?:\w+\.)*\w+ account|doesn't have (?:an? )?(?:\w+\.)*\w+ account"
    r"|no mailbox|mailbox not (?:found|available)|not (?:a )?(?:valid|known) (?:user|recipient)"
    r"|unrouteable address|host (?:or domain name )?not found|domain (?:name )?not found"
    r"|name service error|unknown (?:host|domain)|no (?:mx|such domain|route to host)"
    r"|has moved|not our customer|address rejected|addressee unknown|not listed"
    r"|does not accept mail|null mx|account (?:has been )?(?:expired|disabled)"
    r"|host (?:\S+ )?(?:unknown|not found)|(?:domain|host) (?:\S+ )?(?:does not exist|may not exist"
    r"|is not reachable)|\S+\.\w+ does not exist|invalid .{0,20}userid|check if address is correct"
    r"|no (?:smtp service|mx found)|indicated no smtp|address couldn.t be found"
    r"|wasn.t found at the destination",
    re.IGNORECASE,
)
_HARD_STATUS = frozenset({"5.1.1", "5.1.2", "5.1.6", "5.1.10", "5.4.4", "5.1.3"})
_NOT_RECIPIENT_LOCAL = re.compile(
    r"^(?:mailer-daemon|postmaster|mail-daemon|mdaemon|bounces?|abuse|root|noreply|no-reply)$",
    re.I,
)


def header_text(msg: Message, name: str) -> str:
    """All values of header ``name`` joined by ", "; never raises on a broken header."""
    try:
        values = msg.get_all(name) or []
        return ", ".join(_one_line(str(v)) for v in values)
    except Exception:  # policy.default may raise while parsing a malformed header
        raw = [str(v) for k, v in msg.raw_items() if k.lower() == name.lower()]
        return ", ".join(_one_line(v) for v in raw)


def first_address(value: str) -> str | None:
    """The first mail address in a header value, lowercased, or None."""
    try:
        for _name, address in getaddresses([value]):
            if "@" in address:
                return address.strip().lower()
    except Exception:  # getaddresses can choke on hostile input
        pass
    match = _ADDRESS.search(value)
    return match.group(0).lower() if match else None


@dataclass(frozen=True)
class BouncedRecipient:
    """One recipient a bounce reports, with what the remote side said about it."""

    email: str
    status: str | None
    hard: bool
    diagnostic: str = ""


@dataclass(frozen=True)
class BounceReport:
    """What a bounce-looking message says; ``kind`` is ``dsn``, ``feedback`` or ``text``."""

    kind: str
    recipients: tuple[BouncedRecipient, ...]
    delivered_only: bool
    original_message_id: str | None


def parse_bounce(msg: Message) -> BounceReport | None:
    """Return what ``msg`` reports about failed delivery, or None if nothing was found."""
    parts = _collect(msg)
    original_id = parts.original_message_id or _find_message_id(parts.returned_text)
    if parts.feedback_text:
        rcpts = (_feedback_recipients(parts.feedback_text)
                 or _returned_recipients(parts.returned_headers, ""))
        return BounceReport("feedback", rcpts, False, original_id)
    ses = _ses_notification(parts.report_text)
    if ses is not None:
        return ses
    dsn_text = parts.dsn_text or _embedded_dsn(parts.report_text)
    if dsn_text:
        rcpts = _dsn_recipients(dsn_text, parts.report_text)
        if rcpts:
            delivered = all(r.status and r.status[0] == "2" for r in rcpts)
            return BounceReport("dsn", rcpts, delivered, original_id)
    rcpts = (_text_recipients(parts.report_text, msg)
             or _header_recipients(msg, parts.report_text)
             or _returned_recipients(parts.returned_headers, parts.report_text))
    if rcpts or parts.dsn_text:
        return BounceReport("dsn" if parts.dsn_text else "text", rcpts, False, original_id)
    return None


def report_text(msg: Message) -> str:
    """The human-readable failure text of ``msg``, without the returned message."""
    return _collect(msg).report_text


@dataclass
class _Parts:
    report_text: str = ""
    dsn_text: str = ""
    feedback_text: str = ""
    returned_text: str = ""
    original_message_id: str | None = None
    returned_headers: Message | None = None


def _collect(msg: Message) -> _Parts:
    parts = _Parts()
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
        parts.original_message_id = _strip_id(header_text(parts.returned_headers, "Message-ID"))
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
    payload = part.get_payload()
    if isinstance(payload, list):
        text = "\n\n".join(
            "\n".join(f"{k}: {v}" for k, v in sub.raw_items())
            for sub in payload if isinstance(sub, Message)
        )
    else:
        raw = part.get_payload(decode=True)
        text = _decode(raw) if isinstance(raw, bytes) else str(payload)
    return _unix_lines(text)


def _unix_lines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _part_text(part: Message, ctype: str) -> str:
    raw = _payload_bytes(part)
    text = _decode(raw, part.get_content_charset()) if isinstance(raw, bytes) else ""
    text = _unix_lines(text)
    if ctype == "text/html":
        text = _HTML_TAG.sub(" ", re.sub(r"(?i)<br\s*/?>|</p>|</div>|</tr>", "\n", text))
    return text


def _payload_bytes(part: Message) -> bytes | None:
    """Decoded payload; quoted-printable with bare CR line ends is normalised first."""
    payload = part.get_payload()
    cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    if isinstance(payload, str) and "\r" in payload and cte == "quoted-printable":
        try:
            return quopri.decodestring(_unix_lines(payload).encode("ascii", "surrogateescape"))
        except (UnicodeEncodeError, ValueError):
            pass
    raw = part.get_payload(decode=True)
    return raw if isinstance(raw, bytes) else None


def _decode(raw: bytes, charset: str | None = None) -> str:
    for name in (charset, "utf-8"):
        if name:
            try:
                return raw.decode(name)
            except (LookupError, UnicodeDecodeError):
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
    payload = part.get_payload()
    if isinstance(payload, list) and payload:
        first = payload[0]
        return first if isinstance(first, Message) else None
    if isinstance(payload, str) and payload.strip():
        return HeaderParser().parsestr(_unix_lines(payload).lstrip(), headersonly=True)
    return None


def _headers_in(text: str) -> Message:
    """Parse the header block that starts somewhere near the top of ``text``."""
    lines = text.split("\n")
    for index, line in enumerate(lines[:12]):
        if _HEADER_START.match(line):
            return HeaderParser().parsestr("\n".join(lines[index:]), headersonly=True)
    return HeaderParser().parsestr("", headersonly=True)


def _returned_recipients(headers: Message | None, text: str) -> tuple[BouncedRecipient, ...]:
    """Last resort: the To of the returned message, when it names a single address."""
    if headers is None:
        return ()
    addresses = {a.lower() for a in _ADDRESS.findall(header_text(headers, "To"))}
    if len(addresses) != 1:
        return ()
    status = _status_in(text)
    context = _one_line(text)[:300]
    return tuple(BouncedRecipient(a, status, is_hard(status, text), context) for a in addresses)


def _find_message_id(text: str) -> str | None:
    match = _MESSAGE_ID.search(text)
    return match.group(1) if match else None


def _strip_id(value: str) -> str | None:
    value = value.strip().strip("<>").strip()
    return value or None


def _embedded_dsn(text: str) -> str:
    """DSN fields pasted into plain text (forwarders, some Exchange and Gmail bounces)."""
    if re.search(r"^final-recipient\s*:", text, re.I | re.M):
        return text[re.search(r"^(?:reporting-mta|final-recipient)\s*:", text, re.I | re.M)
                    .start():]  # type: ignore[union-attr]
    return ""


def _ses_notification(text: str) -> BounceReport | None:
    """Amazon SES bounce/complaint/delivery notifications mailed by SNS as JSON."""
    body = text.lstrip()
    if not body.startswith("{") or '"notificationType"' not in body[:200]:
        return None
    try:
        data, _end = json.JSONDecoder().raw_decode(body)
    except ValueError:
        try:  # SNS wraps long JSON lines; the break can fall inside a string
            data, _end = json.JSONDecoder().raw_decode(body.replace("\n", ""))
        except ValueError:
            return None
    if not isinstance(data, dict):
        return None
    kind = str(data.get("notificationType", "")).lower()
    section: dict[str, Any] = data[kind] if isinstance(data.get(kind), dict) else {}
    mail: dict[str, Any] = data["mail"] if isinstance(data.get("mail"), dict) else {}
    original = _strip_id(str(mail.get("messageId", ""))) if mail else None
    if kind == "complaint":
        entries, hard_kind = section.get("complainedRecipients", []), "feedback"
    elif kind == "delivery":
        found = [BouncedRecipient(str(a).lower(), "2.0.0", False,
                                  _one_line(str(section.get("smtpResponse", ""))))
                 for a in section.get("recipients", [])]
        return BounceReport("dsn", tuple(found), True, original)
    else:
        entries, hard_kind = section.get("bouncedRecipients", []), "dsn"
    rcpts = []
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and "@" in str(entry.get("emailAddress", "")):
            diag = _one_line(str(entry.get("diagnosticCode", "")))
            status = str(entry.get("status") or "") or _status_in(diag)
            hard = hard_kind == "dsn" and is_hard(status, diag)
            rcpts.append(BouncedRecipient(str(entry["emailAddress"]).lower(), status or None,
                                          hard, diag[:300]))
    return BounceReport("feedback" if kind == "complaint" else "dsn", tuple(rcpts), False,
                        original)


def _dsn_recipients(dsn_text: str, human_text: str) -> tuple[BouncedRecipient, ...]:
    """One recipient per Final-Recipient (or Original-Recipient) block."""
    found: dict[str, BouncedRecipient] = {}
    block: dict[str, str] = {}
    for match in _DSN_FIELD.finditer(_unix_lines(dsn_text)):
        name, value = match.group(1).lower(), _one_line(match.group(2))
        if name == "final-recipient" and "final-recipient" in block:
            _add_dsn(found, block, human_text)
            block = {}
        block.setdefault(name, value)
    _add_dsn(found, block, human_text)
    return tuple(found.values())


def _add_dsn(found: dict[str, BouncedRecipient], block: dict[str, str], human: str) -> None:
    raw = block.get("final-recipient") or block.get("original-recipient") or ""
    if not block.get("final-recipient") and "x-actual-recipient" in block:
        raw = block["x-actual-recipient"]
    address = _ADDRESS.search(raw)
    if not address:
        return
    email = address.group(0).lower()
    action = block.get("action", "").lower()
    diagnostic = block.get("diagnostic-code", "")
    status = _best_status(block.get("status", ""), diagnostic)
    if action.startswith(("delivered", "relayed", "expanded")):
        status = status if status and status[0] == "2" else "2.0.0"
    elif action.startswith("delayed") and (not status or status[0] != "4"):
        status = "4.0.0" if not status else "4" + status[1:]
    context = diagnostic or _around(human, email)
    prev = found.get(email)
    if prev is None or (prev.status is None and status):
        found[email] = BouncedRecipient(email, status, is_hard(status, context), context[:300])


def _best_status(status_field: str, diagnostic: str) -> str | None:
    """The Status field, refined by a more specific code in the diagnostic."""
    field = _STATUS.search(status_field)
    diag = _STATUS.search(diagnostic)
    if field and diag and field.group(1) == diag.group(1) and field.group(0).endswith(".0.0"):
        return diag.group(0)
    if field:
        return field.group(0)
    if diag:
        return diag.group(0)
    code = _REPLY_CODE.search(diagnostic)
    return f"{code.group(1)[0]}.0.0" if code else None


def _feedback_recipients(text: str) -> tuple[BouncedRecipient, ...]:
    found: dict[str, BouncedRecipient] = {}
    for match in _DSN_FIELD.finditer(_unix_lines(text)):
        if match.group(1).lower() in ("original-rcpt-to", "removal-recipient"):
            for address in _ADDRESS.findall(match.group(2)):
                found.setdefault(address.lower(), BouncedRecipient(
                    address.lower(), None, False, "feedback report"))
    return tuple(found.values())


def _text_recipients(text: str, msg: Message) -> tuple[BouncedRecipient, ...]:
    """Failed recipients named in a plain-text bounce, with status from nearby lines."""
    excluded = _excluded_addresses(msg)
    lines = [ln for ln in text.split("\n") if not _HEADER_LINE.match(ln)]
    body = "\n".join(lines)
    candidates = [m.group(1) for m in _LINE_START_ADDRESS.finditer(body)]
    if not [c for c in candidates if _usable(c, excluded)]:
        candidates = _ADDRESS.findall(body)
    found: dict[str, BouncedRecipient] = {}
    for address in candidates:
        email = address.lower()
        if email in found or not _usable(email, excluded):
            continue
        context = _around(body, address)
        status = _status_in(context)
        found[email] = BouncedRecipient(email, status, is_hard(status, context), context[:300])
    return tuple(found.values())


def _header_recipients(msg: Message, text: str) -> tuple[BouncedRecipient, ...]:
    """Exim and Gmail name failed recipients in a header."""
    found = []
    for name in ("X-Failed-Recipients", "Original-Recipient", "X-Original-To"):
        for address in _ADDRESS.findall(header_text(msg, name)):
            context = _around(text, address) or text[:500]
            status = _status_in(context)
            found.append(BouncedRecipient(address.lower(), status, is_hard(status, context),
                                          _one_line(context)[:300]))
        if found:
            break
    return tuple(found)


def _excluded_addresses(msg: Message) -> set[str]:
    excluded = set()
    for name in ("To", "From", "Sender", "Reply-To", "Return-Path", "Delivered-To"):
        address = first_address(header_text(msg, name))
        if address:
            excluded.add(address)
    return excluded


def _usable(address: str, excluded: set[str]) -> bool:
    local = address.rsplit("@", 1)[0].lower()
    return address.lower() not in excluded and not _NOT_RECIPIENT_LOCAL.match(local)


def _around(text: str, address: str) -> str:
    """The paragraph that names ``address``: its line and the indented lines after it."""
    at = text.lower().find(address.lower())
    if at < 0:
        return ""
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n\n", at)
    following = text[at: end if end >= 0 else len(text)]
    if len(following.strip()) < len(address) + 8:
        # "did not reach: bob@x" then a blank line then the reason
        nxt = text.find("\n\n", end + 2) if end >= 0 else -1
        following = text[at: nxt if nxt >= 0 else at + 600]
    return _one_line(text[start:at] + following[:600])


def _status_in(text: str) -> str | None:
    match = _STATUS.search(text)
    if match:
        return match.group(0)
    code = _REPLY_CODE.search(text)
    return f"{code.group(1)[0]}.0.0" if code else None


def _one_line(text: str) -> str:
    return " ".join(text.split())


def is_hard(status: str | None, text: str) -> bool:
    """Permanent failure that makes the address itself unusable."""
    if status and status[0] in "24":
        return False
    if status in _HARD_STATUS:
        return not _SOFT_TEXT.search(text) or bool(_HARD_TEXT.search(text))
    return bool(_HARD_TEXT.search(text)) and not _SOFT_TEXT.search(text)
