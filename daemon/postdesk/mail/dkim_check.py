"""Which domains vouch for a mail: DKIM signatures that verify (dkimpy).

Used only to decide whether an agent's mail to the plain support address may
carry an agent's powers (`[agents] verify_dkim`); the signature must be from
the agent's own domain. Public keys are looked up in DNS (`dnsfunc` can be
given, e.g. a resolver with a timeout of its own). A signature that cannot be
checked (no key, DNS failure, broken header) simply does not count.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

#: At most this many signatures are checked on one mail (each may cost a DNS lookup).
MAX_SIGNATURES = 5

DnsLookup = Callable[..., bytes | None]


def dkim_pass_domains(raw: bytes, *, dnsfunc: DnsLookup | None = None) -> frozenset[str]:
    """The d= domains of the DKIM signatures on `raw` that verify, lowercased."""
    count = raw.split(b"\r\n\r\n", 1)[0].lower().count(b"\ndkim-signature:") + \
        int(raw[:15].lower() == b"dkim-signature:")
    if not count:
        return frozenset()
    # imported here: dkimpy with dnspython is about 16 MB a process, and a desk checks
    # signatures only with [agents] verify_dkim, on its agents' mail
    import dkim

    passed = set()
    for index in range(min(count, MAX_SIGNATURES)):
        checker = dkim.DKIM(raw)
        try:
            ok = (checker.verify(idx=index, dnsfunc=dnsfunc) if dnsfunc is not None
                  else checker.verify(idx=index))
        except Exception as exc:  # a broken signature is no signature
            log.debug("DKIM signature %d not checked: %s", index, exc)
            continue
        if ok and checker.domain:
            passed.add(checker.domain.decode("ascii", "replace").lower())
    return frozenset(passed)
