"""Which recipients a bounce reports as failed: from DSN fields, ARF reports, headers or plain text.

Plain-text bounces name the failed address near the start of a line; the
status and the reason are taken from the paragraph around it. The desk's own
addresses and the daemon's (postmaster, mailer-daemon...) are never taken.
"""

from __future__ import annotations

import re
from email.message import Message
from email.utils import getaddresses

from postdesk.mail.bounce_parts import header_text, one_line, unix_lines
from postdesk.mail.bounce_report import BouncedRecipient
from postdesk.mail.bounce_verdict import best_status, is_hard, status_in
from postdesk.mail.plain_headers import plain_address

_LOCAL_CHARS = r"A-Za-z0-9.!#$%&'*+/=?^_`{|}~-"
_ADDRESS_TEXT = rf"[{_LOCAL_CHARS}]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
#: An address found anywhere starts where a run of local-part characters starts: a search
#: from inside a long run (a line of "aaaa...") would scan to its end from every position.
_ADDRESS = re.compile(rf"(?<![{_LOCAL_CHARS}]){_ADDRESS_TEXT}")
_DSN_FIELD = re.compile(
    r"^(final-recipient|original-recipient|x-actual-recipient|action|status|diagnostic-code"
    r"|original-rcpt-to|removal-recipient|feedback-type)[ \t]*:[ \t]*(.*(?:\n[ \t]+.*)*)",
    re.IGNORECASE | re.MULTILINE,
)
_HEADER_LINE = re.compile(
    r"^\s*(?:to|from|cc|bcc|sent|date|subject|reply-to|sender|message-id|in-reply-to"
    r"|references|envelope-from|return-path|x-[\w-]+)\s*:",
    re.IGNORECASE,
)
_LINE_START_ADDRESS = re.compile(
    r"^[ \t]*(?:(?:recipient|address|to|rcpt to|original-recipient|final-recipient)"
    r"(?:\s*address)?\s*:?\s*)?[\"'<(]*+(" + _ADDRESS_TEXT + r")[\"'>)]*"
    r"(?=\s*(?:$|:|;|,|\.{3}|\(|<|on\b|\[|-{1,2}\s|\.?\s*$))",
    re.IGNORECASE | re.MULTILINE,
)
_NOT_RECIPIENT_LOCAL = re.compile(
    r"^(?:mailer-daemon|postmaster|mail-daemon|mdaemon|bounces?|abuse|root|noreply|no-reply)$",
    re.I,
)


def first_address(value: str) -> str | None:
    """The first mail address in a header value, lowercased, or None."""
    plain = plain_address(value)  # what getaddresses finds in a plain one
    if plain is not None:
        return plain.lower()
    try:
        for _name, address in getaddresses([value]):
            if "@" in address:
                return address.strip().lower()
    except Exception:  # getaddresses can choke on hostile input
        pass
    match = _ADDRESS.search(value)
    return match.group(0).lower() if match else None


def embedded_dsn(text: str) -> str:
    """DSN fields pasted into plain text (forwarders, some Exchange and Gmail bounces)."""
    if re.search(r"^final-recipient\s*:", text, re.I | re.M):
        return text[re.search(r"^(?:reporting-mta|final-recipient)\s*:", text, re.I | re.M)
                    .start():]  # type: ignore[union-attr]
    return ""


def returned_recipients(headers: Message | None, text: str) -> tuple[BouncedRecipient, ...]:
    """Last resort: the To of the returned message, when it names a single address."""
    if headers is None:
        return ()
    addresses = {a.lower() for a in _ADDRESS.findall(header_text(headers, "To"))}
    if len(addresses) != 1:
        return ()
    status = status_in(text)
    context = one_line(text)[:300]
    return tuple(BouncedRecipient(a, status, is_hard(status, text), context) for a in addresses)


def dsn_recipients(dsn_text: str, human_text: str) -> tuple[BouncedRecipient, ...]:
    """One recipient per Final-Recipient (or Original-Recipient) block."""
    found: dict[str, BouncedRecipient] = {}
    block: dict[str, str] = {}
    for match in _DSN_FIELD.finditer(unix_lines(dsn_text)):
        name, value = match.group(1).lower(), one_line(match.group(2))
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
    status = best_status(block.get("status", ""), diagnostic)
    if action.startswith(("delivered", "relayed", "expanded")):
        status = status if status and status[0] == "2" else "2.0.0"
    elif action.startswith("delayed") and (not status or status[0] != "4"):
        status = "4.0.0" if not status else "4" + status[1:]
    context = diagnostic or _around(human, email)
    prev = found.get(email)
    if prev is None or (prev.status is None and status):
        found[email] = BouncedRecipient(email, status, is_hard(status, context), context[:300])


def feedback_recipients(text: str) -> tuple[BouncedRecipient, ...]:
    found: dict[str, BouncedRecipient] = {}
    for match in _DSN_FIELD.finditer(unix_lines(text)):
        if match.group(1).lower() in ("original-rcpt-to", "removal-recipient"):
            for address in _ADDRESS.findall(match.group(2)):
                found.setdefault(address.lower(), BouncedRecipient(
                    address.lower(), None, False, "feedback report"))
    return tuple(found.values())


def text_recipients(text: str, msg: Message) -> tuple[BouncedRecipient, ...]:
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
        status = status_in(context)
        found[email] = BouncedRecipient(email, status, is_hard(status, context), context[:300])
    return tuple(found.values())


def header_recipients(msg: Message, text: str) -> tuple[BouncedRecipient, ...]:
    """Exim and Gmail name failed recipients in a header."""
    found = []
    for name in ("X-Failed-Recipients", "Original-Recipient", "X-Original-To"):
        for address in _ADDRESS.findall(header_text(msg, name)):
            context = _around(text, address) or text[:500]
            status = status_in(context)
            found.append(BouncedRecipient(address.lower(), status, is_hard(status, context),
                                          one_line(context)[:300]))
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
    return one_line(text[start:at] + following[:600])
