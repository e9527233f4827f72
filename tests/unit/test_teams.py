"""rules/teams.yaml: teams, agents, lookups and the file:line errors an admin sees."""

from __future__ import annotations

from pathlib import Path

import pytest

from postdesk.config.shipped import shipped
from postdesk.errors import RuleError
from postdesk.tickets.teams import EMPTY_BOOK, Agent, load_teams, parse_teams

SHIPPED_RULES = shipped("rules")

EXAMPLE = """\
teams:
  - name: support
    agents:
      - {email: agent.pl@example.com, name: "Support PL", language: pl, timezone: Europe/Warsaw}
      - {email: Agent.EN@Example.com, name: "Support EN"}
  - name: hardware
    agents:
      - {email: agent.pl@example.com}
      - email: hw.de@example.com
        language: de-at
        timezone: Europe/Berlin
"""


def write(tmp_path: Path, text: str) -> Path:
    rules = tmp_path / "rules"
    rules.mkdir(exist_ok=True)
    (rules / "teams.yaml").write_text(text, encoding="utf-8")
    return rules


def error_of(text: str) -> str:
    with pytest.raises(RuleError) as caught:
        parse_teams(text)
    return str(caught.value)


def test_absent_file_gives_an_empty_book(tmp_path: Path) -> None:
    book = load_teams(tmp_path)
    assert book is EMPTY_BOOK
    assert book.team_names == () and book.agent("agent.pl@example.com") is None
    assert book.agents("support") == () and book.teams_of("agent.pl@example.com") == ()


def test_the_example_loads_with_lookups(tmp_path: Path) -> None:
    book = load_teams(write(tmp_path, EXAMPLE))
    assert book.source == "rules/teams.yaml"
    assert book.team_names == ("support", "hardware")
    assert [a.email for a in book.agents("support")] == ["agent.pl@example.com",
                                                          "agent.en@example.com"]
    assert book.agent("AGENT.PL@example.com") == Agent(
        "agent.pl@example.com", "Support PL", "pl", "Europe/Warsaw")
    assert book.agent("agent.en@example.com") == Agent("agent.en@example.com", "Support EN")
    assert book.agent("hw.de@example.com") == Agent(
        "hw.de@example.com", "", "de_AT", "Europe/Berlin")
    assert book.agent("customer@example.com") is None
    assert book.teams_of("agent.pl@example.com") == ("support", "hardware")
    assert book.teams_of("agent.en@example.com") == ("support",)
    assert book.agents("Hardware")[0].name == "Support PL"  # one person in two teams
    assert book.agents("renamed-team") == ()
    assert book.as_rule_teams()["hardware"] == ("agent.pl@example.com", "hw.de@example.com")


def test_shipped_file_is_empty_and_its_commented_example_is_valid() -> None:
    assert load_teams(SHIPPED_RULES).team_names == ()
    text = (SHIPPED_RULES / "teams.yaml").read_text(encoding="utf-8")
    commented = text[text.index("# teams:"):text.index("\nteams: []")]
    book = parse_teams("\n".join(line[2:] for line in commented.splitlines()))
    assert book.team_names == ("support", "hardware")
    assert book.teams_of("agent.pl@example.com") == ("support", "hardware")


def test_empty_file_and_empty_list_mean_no_teams() -> None:
    assert parse_teams("").team_names == ()
    assert parse_teams("teams: []\n").team_names == ()
    assert parse_teams("teams:\n  - name: idle\n").agents("idle") == ()


@pytest.mark.parametrize(("text", "expected"), [
    ("teams:\n  - name: support\n  - name: hardware\n  - name: support\n",
     "rules/teams.yaml:4: team 'support' is listed twice (first at line 2)"),
    ("teams:\n  - name: support\n    agents:\n      - {email: a@example.com}\n"
     "      - {email: b@example.com}\n      - {email: A@Example.com}\n",
     "rules/teams.yaml:6: agent 'a@example.com' is listed twice in team 'support' "
     "(first at line 4)"),
    ("teams:\n  - name: support\n    agents:\n      - {email: 'Ann <ann@example.com>'}\n",
     "rules/teams.yaml:4: 'Ann <ann@example.com>' is not an email address"),
    ("teams:\n  - name: support\n    agents:\n      - {email: ann@localhost}\n",
     "rules/teams.yaml:4: 'ann@localhost' is not an email address"),
    ("teams:\n  - name: support\n    agents:\n\n      - email: ann@example.com\n"
     "        language: polish\n",
     "rules/teams.yaml:6: 'polish' is not a language tag"),
    ("teams:\n  - name: support\n    agents:\n      - email: ann@example.com\n"
     "        language: xx\n",
     "rules/teams.yaml:5: unknown language 'xx'"),
    ("teams:\n  - name: support\n    agents:\n      - email: ann@example.com\n"
     "        timezone: Europe/Warszawa\n",
     "rules/teams.yaml:5: unknown time zone 'Europe/Warszawa' (did you mean 'Europe/Warsaw'?)"),
    ("teams:\n  - name: support\n    agents:\n      - {email: ann@example.com, timezone: ../etc}\n",
     "rules/teams.yaml:4: unknown time zone '../etc'"),
    ("teams:\n  - name: Support Team\n",
     "rules/teams.yaml:2: team name 'Support Team' must be lower-case letters"),
    ("teams:\n  - name: support\n    agent:\n      - {email: a@example.com}\n",
     "rules/teams.yaml:3: unknown key 'agent' (did you mean 'agents'?)"),
    ("teams:\n  - name: support\n    agents:\n      - {mail: a@example.com}\n",
     "rules/teams.yaml:4: unknown key 'mail' (did you mean 'email'?)"),
    ("teams:\n  - agents: []\n", "rules/teams.yaml:2: item 1 needs the key 'name'"),
    ("team:\n  - name: support\n", "rules/teams.yaml:1: unknown key 'team'"),
    ("teams:\n  - name: a\n    agents:\n      - {email: x@example.com, language: pl}\n"
     "  - name: b\n    agents:\n      - {email: x@example.com, language: de}\n",
     "rules/teams.yaml:7: agent 'x@example.com' has language 'pl' at line 4 but 'de' here"),
])
def test_errors_name_file_and_line(text: str, expected: str) -> None:
    assert error_of(text).startswith(expected)


def test_load_errors_name_the_rules_folder(tmp_path: Path) -> None:
    rules = write(tmp_path, "teams:\n  - name: x\n  - name: x\n")
    with pytest.raises(RuleError, match=r"^desk/rules/teams.yaml:3: team 'x' is listed twice"):
        load_teams(rules, display_root="desk/rules")


def test_agent_values_given_once_are_shared_across_teams() -> None:
    book = parse_teams("teams:\n  - name: a\n    agents: [{email: x@example.com}]\n"
                       "  - name: b\n    agents: [{email: x@example.com, name: X, language: pl}]\n")
    assert book.agent("x@example.com") == Agent("x@example.com", "X", "pl", None)
    assert [a.name for a in book.agents("a")] == ["X"]


def test_a_team_lead_hears_what_goes_to_the_lead_else_the_whole_team() -> None:
    book = parse_teams(EXAMPLE.replace("  - name: support\n",
                                       "  - name: support\n    lead: Agent.EN@Example.com\n"))
    assert [a.email for a in book.leads("support")] == ["agent.en@example.com"]
    assert book.leads("support")[0].name == "Support EN"  # the agent, with name and language
    assert [a.email for a in book.leads("hardware")] == ["agent.pl@example.com",
                                                         "hw.de@example.com"]
    outsider = parse_teams(EXAMPLE.replace("  - name: hardware\n",
                                           "  - name: hardware\n    lead: boss@example.com\n"))
    assert outsider.leads("hardware") == (Agent("boss@example.com"),)
    assert error_of(EXAMPLE.replace("  - name: support\n",
                                    "  - name: support\n    lead: the boss\n")) == (
        "rules/teams.yaml:3: 'the boss' is not an email address; write the team lead like "
        "lead@example.com")
