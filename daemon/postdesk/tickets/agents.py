"""Is this mail from an agent? The decision that gives a reply its powers.

Commands and public replies are honoured only from an authenticated agent,
because a From header is trivial to forge. A mail counts as the agent's when

1. it came to the agent's own signed reply address for the ticket (the role in
   the token is ``agent_role(email)``, or ``note_role(email)`` for the agent's
   note address) *and* its From is that same agent; or
2. a trusted mail server vouches for the From domain: an Authentication-Results
   header (RFC 8601) whose authserv-id is in ``trusted_authserv_ids`` says
   ``dkim=pass`` with ``header.d`` (or ``header.i``) equal to the From domain, or
   ``dmarc=pass`` with ``header.from`` equal to it; or the caller verified a
   DKIM signature of that domain itself (``dkim_verified_domains``, e.g. dkimpy),
   and the From is an agent listed in ``rules/teams.yaml``.

Anything else gets no powers: the mail is handled like a customer's and the
``reason`` of `check_agent` says why (for the ticket's events). The trusted
MTA must remove Authentication-Results headers that carry its own authserv-id
from incoming mail (RFC 8601 section 5), or anyone could write one.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.utils import getaddresses

from postdesk.mail.address import ReplyToken
from postdesk.tickets.teams import Agent, TeamBook

AGENT_ROLE_PREFIX = "a."
NOTE_ROLE_PREFIX = "n."


@dataclass(frozen=True)
class AgentIdentity:
    """An authenticated agent and how: reply_address, note_address, dkim or dmarc."""

    agent: Agent
    method: str
    evidence: str = ""

    @property
    def internal(self) -> bool:
        """True when the mail came to the agent's note address, or the message was written
        in a chat triage thread: store it as a note (unless it starts with #public)."""
        return self.method in ("note_address", "chat_triage")


@dataclass(frozen=True)
class AuthDecision:
    """`check_agent`'s answer: the identity or None, and a sentence for the event log."""

    identity: AgentIdentity | None
    reason: str


def _agent_hash(email: str) -> str:
    digest = hashlib.sha256(email.strip().lower().encode("utf-8")).digest()
    return base64.b32encode(digest[:10]).decode("ascii").lower()[:12]


def agent_role(email: str) -> str:
    """The reply-address role of one agent: ``a.`` and 12 base32 chars of a hash of the address.

    The reply address is HMAC-signed as a whole, so the hash needs no secret; it
    only has to tell agents apart and fit the token's ``[a-z0-9.]{1,64}``.
    """
    return AGENT_ROLE_PREFIX + _agent_hash(email)


def note_role(email: str) -> str:
    """The role of the agent's note address: replies to it are internal notes."""
    return NOTE_ROLE_PREFIX + _agent_hash(email)


def authenticate(sender: str, reply_token: ReplyToken | None, teams: TeamBook, *,
                 authentication_results: str | Iterable[str] | None,
                 trusted_authserv_ids: frozenset[str],
                 dkim_verified_domains: frozenset[str] = frozenset()) -> AgentIdentity | None:
    """The agent the mail may act as, or None (see the module docstring)."""
    return check_agent(sender, reply_token, teams,
                       authentication_results=authentication_results,
                       trusted_authserv_ids=trusted_authserv_ids,
                       dkim_verified_domains=dkim_verified_domains).identity


def check_agent(sender: str, reply_token: ReplyToken | None, teams: TeamBook, *,
                authentication_results: str | Iterable[str] | None,
                trusted_authserv_ids: frozenset[str],
                dkim_verified_domains: frozenset[str] = frozenset()) -> AuthDecision:
    """Like `authenticate`, with the reason for the decision either way."""
    address = _single_address(sender)
    if address is None:
        return AuthDecision(None, "the From header does not hold exactly one address")
    agent = teams.agent(address)
    if agent is None:
        return AuthDecision(None, f"{address} is not an agent in {teams.source}")
    if reply_token is not None:
        if reply_token.role == agent_role(agent.email):
            return AuthDecision(AgentIdentity(agent, "reply_address"),
                                f"{address} replied to their own reply address")
        if reply_token.role == note_role(agent.email):
            return AuthDecision(AgentIdentity(agent, "note_address"),
                                f"{address} replied to their own note address")
    domain = _ascii_domain(address.rpartition("@")[2])
    if domain in {_ascii_domain(d) for d in dkim_verified_domains}:
        return AuthDecision(AgentIdentity(agent, "dkim", f"dkim=pass header.d={domain}"),
                            f"a DKIM signature of {domain} was verified")
    trusted = {t.strip().lower() for t in trusted_authserv_ids}
    for header in _headers(authentication_results):
        parsed = parse_authentication_results(header)
        if parsed is None or parsed.authserv_id.lower() not in trusted:
            continue
        found = _vouching_result(parsed, domain)
        if found is not None:
            return AuthDecision(AgentIdentity(agent, found[0], found[1]),
                                f"{parsed.authserv_id} reports {found[1]}")
    why = ("the reply address was given to someone else" if reply_token is not None
           else "the mail did not come to the agent's reply address")
    return AuthDecision(None, f"{why}, and no trusted Authentication-Results header "
                              f"passes DKIM or DMARC for {domain}")


def _vouching_result(parsed: AuthResults, domain: str) -> tuple[str, str] | None:
    """(method, evidence) of a dkim or dmarc pass for exactly this domain, if any."""
    for result in parsed.results:
        if result.result != "pass":
            continue
        if result.method == "dkim":
            signer = result.properties.get("header.d") or \
                result.properties.get("header.i", "").rpartition("@")[2]
            if signer and _ascii_domain(signer) == domain:
                return "dkim", f"dkim=pass header.d={signer.lower()}"
        elif result.method == "dmarc":
            author = result.properties.get("header.from", "").rpartition("@")[2]
            if author and _ascii_domain(author) == domain:
                return "dmarc", f"dmarc=pass header.from={author.lower()}"
    return None


def _headers(value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _single_address(sender: str) -> str | None:
    """The one address in a From value ("Name <a@b>" or "a@b"), lower-cased."""
    found = [a for _, a in getaddresses([sender]) if a]
    if len(found) != 1 or found[0].count("@") != 1:
        return None
    return found[0].strip().lower()


def _ascii_domain(domain: str) -> str:
    """Lower-case A-label form, so ``bücher.example`` equals ``xn--bcher-kva.example``."""
    domain = domain.strip().rstrip(".").lower()
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain


# --- Authentication-Results (RFC 8601) ---------------------------------------------------

@dataclass(frozen=True)
class AuthResult:
    """One ``method=result`` with its properties: ``dkim=pass header.d=example.com``."""

    method: str
    result: str
    properties: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AuthResults:
    """One Authentication-Results header: who wrote it and what it found."""

    authserv_id: str
    results: tuple[AuthResult, ...]


def parse_authentication_results(value: str) -> AuthResults | None:
    """Parse one header value; None when it has no authserv-id.

    Tolerant in the ways real servers differ: comments anywhere (nested,
    ``(2048-bit key)``), quoted values, folded lines, a method version
    (``dkim/1``), a version after the authserv-id, spaces around ``=``, a
    leading ``Authentication-Results:`` and ``none``. A malformed result is
    skipped, never guessed at.
    """
    value = value.strip()
    if value[:23].lower() == "authentication-results:":
        value = value[23:]
    segments: list[list[str]] = [[]]
    for token in _tokens(value):
        if token == ";":
            segments.append([])
        else:
            segments[-1].append(token)
    head = segments[0]
    if not head or head[0] in ("=", "/"):
        return None
    results = tuple(r for r in map(_result, segments[1:]) if r is not None)
    return AuthResults(head[0], results)


def _result(tokens: list[str]) -> AuthResult | None:
    """``method[/version] = result *(ptype.property = value)``, or None if not that shape.

    Words before each ``=`` are joined, so ``dkim / 1`` and ``header . d`` (CFWS
    is allowed there) read as ``dkim/1`` and ``header.d``.
    """
    pairs: list[tuple[str, str]] = []
    name: list[str] = []
    i = 0
    while i < len(tokens):
        if tokens[i] != "=":
            name.append(tokens[i])
            i += 1
            continue
        if not name or i + 1 >= len(tokens) or tokens[i + 1] == "=":
            return None
        pairs.append(("".join(name).lower(), tokens[i + 1]))
        name = []
        i += 2
    if not pairs or name:  # a word without "=value" means we misread it: skip the result
        return None
    method = pairs[0][0].split("/", 1)[0]
    return AuthResult(method, pairs[0][1].lower(), dict(pairs[1:]))


def _tokens(value: str) -> Iterable[str]:
    """Words, quoted strings (unquoted), ``=`` and ``;``; comments and spaces dropped."""
    word: list[str] = []
    i, depth = 0, 0
    while i < len(value):
        char = value[i]
        if depth:
            if char == "\\":
                i += 1
            depth += {"(": 1, ")": -1}.get(char, 0)
        elif char == '"':
            end, quoted = i + 1, []
            while end < len(value) and value[end] != '"':
                if value[end] == "\\":
                    end += 1
                quoted.append(value[end:end + 1])
                end += 1
            word.append("".join(quoted))
            i = end
        elif char == "(" or char in "=;" or char.isspace():
            if word:
                yield "".join(word)
                word = []
            if char == "(":
                depth = 1
            elif char in "=;":
                yield char
        else:
            word.append(char)
        i += 1
    if word:
        yield "".join(word)
