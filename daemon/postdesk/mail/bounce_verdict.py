"""Is a failure permanent for the address? DSN status codes and the words around them.

``hard`` answers the help desk's question "is this address unusable?": unknown
user or domain, moved, disabled, no mail accepted. Policy or spam rejections,
full mailboxes, expired queues and delays are soft even with a 5.x.x status,
because the address itself may be fine. This is sisimai's ``hardbounce`` notion.
"""

from __future__ import annotations

import re

_STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_REPLY_CODE = re.compile(r"(?<![\d.])([245]\d\d)(?=[\s-])")
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
    r"|is not reachable)|(?<!\S)\S+\.\w+ does not exist|invalid .{0,20}userid"
    r"|check if address is correct"
    r"|no (?:smtp service|mx found)|indicated no smtp|address couldn.t be found"
    r"|wasn.t found at the destination",
    re.IGNORECASE,
)
_HARD_STATUS = frozenset({"5.1.1", "5.1.2", "5.1.6", "5.1.10", "5.4.4", "5.1.3"})


def is_hard(status: str | None, text: str) -> bool:
    """Permanent failure that makes the address itself unusable."""
    if status and status[0] in "24":
        return False
    if status in _HARD_STATUS:
        return not _SOFT_TEXT.search(text) or bool(_HARD_TEXT.search(text))
    return bool(_HARD_TEXT.search(text)) and not _SOFT_TEXT.search(text)


def status_in(text: str) -> str | None:
    match = _STATUS.search(text)
    if match:
        return match.group(0)
    code = _REPLY_CODE.search(text)
    return f"{code.group(1)[0]}.0.0" if code else None


def best_status(status_field: str, diagnostic: str) -> str | None:
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
