"""One mailbox read from a header, made into an address a reply can be written to.

Senders write ``From: Big Bug bb@bug.com`` (no angle brackets: the stdlib takes
the whole text for the address), ``From: foo`` (no address at all) or
``"Jöhn Doe" <jdöe@mächine.example>`` (an internationalised domain). A person
reading such a header sees who wrote: the last address-like token is the
address, the words before it are the name, and a domain in Unicode is written
in its IDNA (A-label) form, which every MTA can route. A local part in Unicode
is kept as written (it needs SMTPUTF8 on the way out). What holds no address a
reply could be written to gives None, so that the caller falls back to another
header (Sender, Reply-To, the envelope sender).
"""

from __future__ import annotations

import re

from postdesk.mail.parsed import Address

#: An address-like token: something, an "@", a domain with no blanks or specials.
_ADDRESS_TOKEN = re.compile(r"[^\s<>\"(),;:\[\]@]+@[^\s<>\"(),;:\[\]@]+")
#: What a domain label may hold once in A-label form (letters, digits, hyphens; the
#: underscore is seen in real hostnames and harmless).
_ASCII_DOMAIN = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?")
_MOST_DOMAIN = 253


def writable_mailbox(name: str, email: str) -> tuple[str, str] | None:
    """(name, address) with the address repaired as a person would read it, or None
    when the value holds no address a reply could be written to."""
    email = email.strip()
    if any(char.isspace() for char in email):
        tokens = _ADDRESS_TOKEN.findall(email)
        if not tokens:
            return None
        last = tokens[-1]
        words = email[: email.rfind(last)].strip().strip("<>\"' ").strip()
        name = name or words
        email = last
    local, at, domain = email.rpartition("@")
    if not at or not local or not domain or ("@" in local and not local.startswith('"')):
        return None  # (an "@" in a local part only ever stands in quotes)
    written = a_label_domain(domain)
    if written is None:
        return None
    return name, f"{local}@{written}"


def a_label_domain(domain: str) -> str | None:
    """The domain in ASCII (IDNA for a Unicode one), or None when it cannot be written."""
    domain = domain.strip().rstrip(".")
    if domain.startswith("[") and domain.endswith("]"):
        return domain  # an address literal, [192.0.2.1]
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except (UnicodeError, ValueError):
            return None
    if len(domain) > _MOST_DOMAIN or not _ASCII_DOMAIN.fullmatch(domain):
        return None
    return domain


def as_address(name: str, email: str) -> Address | None:
    """`writable_mailbox` as an `Address`."""
    mailbox = writable_mailbox(name, email)
    return None if mailbox is None else Address(email=mailbox[1], name=mailbox[0])
