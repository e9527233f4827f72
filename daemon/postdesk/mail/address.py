"""Addresses we hand out and recognise: signed reply addresses and subject tags.

A reply address is the support address with a signed detail:
``support+<ticket>-<role>-<signature>@example.com``. The signature is an HMAC of
ticket and role with the desk secret, so nobody can forge a foothold in a
ticket they were never sent. Tokens are lowercase because some MTAs fold the
local part's case.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

#: Role of the person a reply address was given to (extended by the agent issue).
CUSTOMER_ROLE = "c"

_TOKEN = re.compile(r"(?P<ticket>\d{1,12})-(?P<role>[a-z0-9.]{1,64})-(?P<sig>[a-z2-7]{16})")
_SUBJECT_TAG = re.compile(r"\[#(\d{1,12})\]")


@dataclass(frozen=True)
class ReplyToken:
    ticket_id: int
    role: str


def split_address(address: str) -> tuple[str, str | None, str]:
    """'support+abc@Example.COM' -> ('support', 'abc', 'example.com'); local part lowercased."""
    local, _, domain = address.strip().rpartition("@")
    base, plus, detail = local.partition("+")
    return base.lower(), (detail.lower() if plus else None), domain.lower()


def signature(secret: str, message: str) -> str:
    """16 lowercase base32 characters of an HMAC of `message` with the desk secret: the
    signed part of the addresses we hand out (reply addresses, VERP return paths)."""
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:10]).decode("ascii").lower()


def _signature(secret: str, ticket_id: int, role: str) -> str:
    return signature(secret, f"{ticket_id}:{role}")


def reply_address(support_address: str, ticket_id: int, role: str, secret: str) -> str:
    """The signed per-ticket reply address for one role on one ticket."""
    base, _, domain = split_address(support_address)
    return f"{base}+{ticket_id}-{role}-{_signature(secret, ticket_id, role)}@{domain}"


def read_reply_address(
    address: str, secret: str, support_addresses: tuple[str, ...]
) -> ReplyToken | None:
    """The token of a signed reply address of ours, or None (unknown, unsigned or forged)."""
    base, detail, domain = split_address(address)
    if detail is None or f"{base}@{domain}" not in {a.lower() for a in support_addresses}:
        return None
    match = _TOKEN.fullmatch(detail)
    if not match:
        return None
    ticket_id, role = int(match["ticket"]), match["role"]
    if not hmac.compare_digest(match["sig"], _signature(secret, ticket_id, role)):
        return None
    return ReplyToken(ticket_id=ticket_id, role=role)


def is_support_address(address: str, support_addresses: tuple[str, ...]) -> bool:
    """True for a support address, with or without a +detail."""
    base, _, domain = split_address(address)
    return f"{base}@{domain}" in {a.lower() for a in support_addresses}


def alias_map(aliases: tuple[str, ...]) -> dict[str, str]:
    """`[desk] aliases` ("internal@host=public@host" each) as internal -> public, lowercased.
    ValueError names an entry that is not of that form."""
    mapping: dict[str, str] = {}
    for entry in aliases:
        internal, equals, public = (part.strip().lower() for part in entry.partition("="))
        if not equals or internal.count("@") != 1 or public.count("@") != 1:
            raise ValueError(f"{entry!r} is not of the form internal@host=public@host")
        mapping[internal] = public
    return mapping


def public_recipient(address: str, aliases: dict[str, str]) -> str:
    """The public support address an internal routing name stands for, with the same
    +detail (`support+12-c-x@support.example.com` -> `support+12-c-x@example.com`);
    any other address as it is."""
    base, detail, domain = split_address(address)
    public = aliases.get(f"{base}@{domain}")
    if public is None:
        return address
    local, _, public_domain = public.partition("@")
    return f"{local}+{detail}@{public_domain}" if detail is not None else public


def tag_subject(ticket_id: int, subject: str) -> str:
    """'[#12] subject', without adding a second tag for the same ticket."""
    tag = f"[#{ticket_id}]"
    return subject if tag in subject else f"{tag} {subject}".strip()


def find_subject_tag(subject: str) -> int | None:
    match = _SUBJECT_TAG.search(subject)
    return int(match.group(1)) if match else None
