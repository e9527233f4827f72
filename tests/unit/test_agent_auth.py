"""Who may act as an agent: signed reply address + matching From, or a trusted DKIM/DMARC pass."""

from __future__ import annotations

import re

import pytest

from postdesk.mail.address import (
    CUSTOMER_ROLE,
    ReplyToken,
    read_reply_address,
    reply_address,
)
from postdesk.tickets.agents import (
    AgentIdentity,
    agent_role,
    authenticate,
    check_agent,
    note_role,
    parse_authentication_results,
)
from postdesk.tickets.teams import parse_teams

SECRET = "s3cret-s3cret-s3cret"
DESK = ("support@example.com",)
TRUSTED = frozenset({"mx.example.com"})
TEAMS = parse_teams("""\
teams:
  - name: support
    agents:
      - {email: agent.pl@example.com, name: Support PL}
      - {email: agent.en@example.com, name: Support EN}
      - {email: freelancer@partner.example}
""")
PL, EN = "agent.pl@example.com", "agent.en@example.com"
GMAIL_STYLE = (
    "mx.example.com;\r\n       dkim=pass header.i=@example.com header.s=20230601 "
    "header.b=DkLn+9Ab;\r\n       spf=pass (mx.example.com: domain of agent.pl@example.com "
    "designates 192.0.2.1 as permitted sender) smtp.mailfrom=agent.pl@example.com;\r\n"
    "       dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=example.com")


def token_for(role: str, ticket_id: int = 42) -> ReplyToken:
    token = read_reply_address(reply_address(DESK[0], ticket_id, role, SECRET), SECRET, DESK)
    assert token is not None
    return token


def auth(sender: str, role: str | None = None, results: str | list[str] | None = None,
         trusted: frozenset[str] = TRUSTED) -> AgentIdentity | None:
    return authenticate(sender, token_for(role) if role else None, TEAMS,
                        authentication_results=results, trusted_authserv_ids=trusted)


def test_agent_roles_are_distinct_and_fit_the_reply_token() -> None:
    roles = {agent_role(PL), agent_role(EN), note_role(PL), note_role(EN)}
    assert len(roles) == 4
    assert agent_role("Agent.PL@Example.com ") == agent_role(PL)
    for role in roles:
        assert re.fullmatch(r"[a-z0-9.]{1,64}", role)
        assert role != CUSTOMER_ROLE and token_for(role).role == role


def test_own_reply_address_and_matching_from() -> None:
    identity = auth(f"Support PL <{PL.upper()}>", agent_role(PL))
    assert identity is not None and identity.agent.email == PL
    assert identity.method == "reply_address" and not identity.internal


def test_own_note_address_makes_the_mail_internal() -> None:
    identity = auth(PL, note_role(PL))
    assert identity is not None and identity.method == "note_address" and identity.internal


def test_forged_from_without_a_token_gets_nothing() -> None:
    assert auth(PL) is None
    decision = check_agent(PL, None, TEAMS, authentication_results=None,
                           trusted_authserv_ids=TRUSTED)
    assert decision.identity is None
    assert "did not come to the agent's reply address" in decision.reason


def test_token_of_another_agent_gets_nothing() -> None:
    assert auth(PL, agent_role(EN)) is None
    assert auth(PL, note_role(EN)) is None


def test_right_token_with_the_from_of_another_agent_gets_nothing() -> None:
    assert auth(EN, agent_role(PL)) is None


def test_customer_token_or_a_stranger_gets_nothing() -> None:
    assert auth(PL, CUSTOMER_ROLE) is None
    assert auth("mallory@evil.example", agent_role("mallory@evil.example")) is None
    decision = check_agent("carl@customer.example", None, TEAMS, authentication_results=None,
                           trusted_authserv_ids=TRUSTED)
    assert decision.reason == "carl@customer.example is not an agent in rules/teams.yaml"


def test_from_with_two_addresses_gets_nothing() -> None:
    assert auth(f"{PL}, {EN}", agent_role(PL)) is None
    assert auth("", agent_role(PL)) is None


def test_trusted_dkim_pass_for_the_from_domain() -> None:
    results = "mx.example.com; dkim=pass (2048-bit key) header.d=example.com header.s=sel"
    identity = auth(PL, results=results)
    assert identity is not None and identity.agent.email == PL and identity.method == "dkim"
    assert auth(PL, results=GMAIL_STYLE) is not None  # header.i only, folded, comments


def test_trusted_dmarc_pass_for_the_from_domain() -> None:
    results = "MX.Example.COM 1; dkim=fail header.d=example.com; dmarc=pass header.from=example.com"
    identity = auth(PL, results=results)
    assert identity is not None and identity.method == "dmarc"


def test_untrusted_authserv_id_gets_nothing() -> None:
    assert auth(PL, results=GMAIL_STYLE.replace("mx.example.com;", "mx.evil.example;", 1)) is None
    assert auth(PL, results=GMAIL_STYLE, trusted=frozenset()) is None


def test_a_pass_for_another_domain_gets_nothing() -> None:
    results = ("mx.example.com; dkim=pass header.d=evil.example; "
               "dmarc=pass header.from=evil.example; dkim=pass header.d=mail.example.com")
    assert auth(PL, results=results) is None
    assert auth("freelancer@partner.example", results=GMAIL_STYLE) is None


def test_failing_or_neutral_results_get_nothing() -> None:
    for result in ("fail", "neutral", "temperror", "none", "policy"):
        assert auth(PL, results=f"mx.example.com; dkim={result} header.d=example.com") is None
    assert auth(PL, results="mx.example.com; none") is None
    assert auth(PL, results="mx.example.com; spf=pass smtp.mailfrom=example.com") is None


def test_a_pass_hidden_in_a_comment_or_quote_does_not_count() -> None:
    assert auth(PL, results="mx.example.com; dkim=fail (dkim=pass header.d=example.com) "
                            "header.d=example.com") is None
    assert auth(PL, results='mx.example.com; dkim=fail reason="dkim=pass; x" '
                            "header.d=example.com") is None


def test_only_the_trusted_header_among_several_counts() -> None:
    forged = "mx.evil.example; dkim=pass header.d=example.com"
    honest = "mx.example.com; dkim=fail header.d=example.com"
    assert auth(PL, results=[forged, honest]) is None
    assert auth(PL, results=[forged, GMAIL_STYLE]) is not None


def test_another_agents_token_with_a_trusted_pass_is_the_sender() -> None:
    identity = auth(PL, agent_role(EN), results=GMAIL_STYLE)
    assert identity is not None and identity.agent.email == PL


def test_dkim_verified_by_the_caller() -> None:
    identity = authenticate(PL, None, TEAMS, authentication_results=None,
                            trusted_authserv_ids=frozenset(),
                            dkim_verified_domains=frozenset({"Example.com"}))
    assert identity is not None and identity.method == "dkim"


@pytest.mark.parametrize(("value", "authserv_id", "methods"), [
    (GMAIL_STYLE, "mx.example.com", [("dkim", "pass"), ("spf", "pass"), ("dmarc", "pass")]),
    ("Authentication-Results: mx.example.com; dkim/1 = pass header . d = example.com",
     "mx.example.com", [("dkim", "pass")]),
    ('"mx example" (nested (comment)) 1; DKIM=Pass header.d="example.com"',
     "mx example", [("dkim", "pass")]),
    ("mx.example.com; dkim=pass header.d; spf=pass smtp.mailfrom=a@example.com",
     "mx.example.com", [("spf", "pass")]),  # the malformed result is skipped
])
def test_parse_authentication_results(value: str, authserv_id: str,
                                      methods: list[tuple[str, str]]) -> None:
    parsed = parse_authentication_results(value)
    assert parsed is not None and parsed.authserv_id == authserv_id
    assert [(r.method, r.result) for r in parsed.results] == methods


def test_parse_gives_properties_and_refuses_garbage() -> None:
    parsed = parse_authentication_results(GMAIL_STYLE)
    assert parsed is not None
    assert parsed.results[0].properties["header.i"] == "@example.com"
    assert parsed.results[2].properties["header.from"] == "example.com"
    assert parse_authentication_results("") is None
    assert parse_authentication_results("; dkim=pass header.d=example.com") is None
