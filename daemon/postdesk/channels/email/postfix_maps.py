"""Postfix lookup tables that list the addresses this desk answers for.

Postfix accepts a mail before its pipe runs `postdesk ingest`, so a recipient that
the pipe refuses (exit 67) becomes a bounce to a sender who may be forged:
backscatter. With these tables as `relay_recipient_maps` (a relay domain) or
`local_recipient_maps` (one address of a domain Postfix delivers itself), Postfix
refuses unknown addresses at RCPT, as Postdesk's own SMTP and LMTP listeners do.

Two table types: `regexp` (read as it is, and covers `support+anything@`) and
`hash` (run `postmap` on it; Postfix strips a `+detail` itself when
`recipient_delimiter = +`).
"""

from __future__ import annotations

from collections.abc import Iterable

TABLE_TYPES = ("regexp", "hash")
#: the characters special in a POSIX extended regular expression (Postfix's regexp
#: tables); Python's re.escape also escapes '-', which POSIX leaves undefined
_ERE_SPECIAL = frozenset(".[]()*+?{}|^$\\/")


def _ere_escape(text: str) -> str:
    return "".join(f"\\{char}" if char in _ERE_SPECIAL else char for char in text)


def recipient_table(addresses: Iterable[str], *, catch_all: bool, table_type: str) -> str:
    """The table's text: every support address (with any +detail), or with `catch_all`
    every address of the support domains."""
    if table_type not in TABLE_TYPES:
        raise ValueError(f"table type {table_type!r}: use one of {', '.join(TABLE_TYPES)}")
    unique = sorted({address.strip().lower() for address in addresses})
    domains = sorted({address.rpartition("@")[2] for address in unique})
    lines = ["# the addresses Postdesk answers for (postdesk postfix-maps); "
             "regenerate after changing [desk]"]
    if table_type == "hash":
        lines += [f"@{domain}\tOK" for domain in domains] if catch_all \
            else [f"{address}\tOK" for address in unique]
    elif catch_all:
        lines += [f"/@{_ere_escape(domain)}$/\tOK" for domain in domains]
    else:
        for address in unique:
            local, _, domain = address.rpartition("@")
            lines.append(f"/^{_ere_escape(local)}(\\+[^@]*)?@{_ere_escape(domain)}$/\tOK")
    return "\n".join(lines) + "\n"
