"""Teams and their agents, from ``rules/teams.yaml``.

Agents are the people who answer tickets from their mail client. The desk
knows an agent only by the address listed here: notifications go to it, and
commands are honoured only from it (see ``postdesk.tickets.agents``).

    teams:
      - name: support                   # lower-case letters, digits, '_', '.' or '-'
        lead: agent.en@example.com      # optional: hears of SLA breaches (`to: team_lead`)
        agents:
          - email: agent.pl@example.com # required; how the agent's mail is recognised
            name: Support PL            # shown to customers: "Support PL via Example Support"
            language: pl                # notifications in Polish (default: the desk's)
            timezone: Europe/Warsaw     # due times in this zone (default: the desk's)
          - {email: agent.en@example.com, name: Support EN}
      - name: hardware
        agents:
          - {email: agent.pl@example.com}   # one person may be in several teams

An agent listed in several teams is one person: name, language and time zone
may be written once and left out elsewhere, but two different values are an
error. Without the file the desk has no teams and no agents. Errors name the
file and line: ``rules/teams.yaml:9: agent 'a@example.com' is listed twice in
team 'support' (first at line 5)``.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from postdesk.config.rulesfile import Node, load_yaml, parse_yaml, suggest
from postdesk.notify.i18n import normalize_language

TEAMS_FILE = "teams.yaml"

_TEAM_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
# Deliberately plain: one '@', no spaces, a dotted domain of LDH labels.
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")
# BCP 47 language with an optional script and/or region, the way Babel names locales.
_LANGUAGE = re.compile(r"([A-Za-z]{2,3})(?:[-_]([A-Za-z]{4}))?(?:[-_]([A-Za-z]{2}|[0-9]{3}))?")
_TOP_KEYS = ("teams",)
_TEAM_KEYS = ("name", "lead", "agents")
_AGENT_KEYS = ("email", "name", "language", "timezone")


@dataclass(frozen=True)
class Agent:
    """One person: lower-cased address, display name, language and zone (None: desk default)."""

    email: str
    name: str = ""
    language: str | None = None
    timezone: str | None = None


@dataclass(frozen=True)
class Team:
    """A team in file order with its agents' addresses in file order (round-robin order)."""

    name: str
    members: tuple[str, ...]
    where: str = ""
    lead: str | None = None  # lower-cased address of the team lead, if named


@dataclass(frozen=True)
class TeamBook:
    """All teams and agents of the desk, with lookups by team name and by address."""

    teams: tuple[Team, ...] = ()
    people: Mapping[str, Agent] | None = None
    source: str = "(no teams file)"

    @property
    def team_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.teams)

    @property
    def agent_emails(self) -> tuple[str, ...]:
        """Every agent's address, each once, first appearance first."""
        return tuple(self.people or {})

    def team(self, name: str) -> Team | None:
        wanted = name.strip().lower()
        return next((t for t in self.teams if t.name == wanted), None)

    def agents(self, team: str) -> tuple[Agent, ...]:
        """The team's agents in file order; empty for an unknown team (e.g. renamed)."""
        found = self.team(team)
        people = self.people or {}
        return tuple(people[e] for e in found.members) if found is not None else ()

    def agent(self, email: str) -> Agent | None:
        """The agent with this address (case-insensitive), or None for anyone else."""
        return (self.people or {}).get(email.strip().lower())

    def language_of(self, email: str, default: str) -> str:
        """The language the desk writes to this address in: the agent's (teams.yaml), the
        desk's `default` for anyone else and for an agent without one."""
        found = self.agent(email)
        return found.language if found is not None and found.language else default

    def leads(self, team: str) -> tuple[Agent, ...]:
        """Who hears what goes to the team's lead: the lead when named (as an agent when
        listed as one), else the whole team, so that nothing addressed to a lead is lost."""
        found = self.team(team)
        if found is None or found.lead is None:
            return self.agents(team)
        return (self.agent(found.lead) or Agent(found.lead),)

    def teams_of(self, email: str) -> tuple[str, ...]:
        """Names of the teams the address belongs to, in file order."""
        wanted = email.strip().lower()
        return tuple(t.name for t in self.teams if wanted in t.members)

    def as_rule_teams(self) -> dict[str, tuple[str, ...]]:
        """team -> agent addresses, the shape the rules engine's RuleContext takes."""
        return {t.name: t.members for t in self.teams}


EMPTY_BOOK = TeamBook()


def load_teams(rules_dir: Path, *, display_root: str | None = None) -> TeamBook:
    """Read ``rules_dir/teams.yaml``; an empty book when the file is absent.

    Raises RuleError ``rules/teams.yaml:LINE: ...`` for an unknown key, a team
    listed twice, an agent listed twice in one team, an address that is not an
    email address, a malformed language tag or an unknown time zone.
    """
    path = rules_dir / TEAMS_FILE
    if not path.is_file():
        return EMPTY_BOOK
    root_name = display_root if display_root is not None else rules_dir.name
    return _book(load_yaml(path, display=f"{root_name}/{TEAMS_FILE}").root())


def parse_teams(text: str, display: str = f"rules/{TEAMS_FILE}") -> TeamBook:
    """The same checks as `load_teams`, on text (for `postdesk check` and tests)."""
    return _book(parse_yaml(text, display).root())


def _book(root: Node) -> TeamBook:
    if root.value is None:  # an emptied file: no teams, as if it were absent
        return TeamBook(source=root.doc.display)
    root.check_keys(_TOP_KEYS, required=("teams",))
    listed = root.as_mapping()["teams"]
    items = [] if listed.value is None else listed.as_list("a list of teams (name, agents)")
    teams: list[Team] = []
    people: dict[str, Agent] = {}
    first_seen: dict[tuple[str, str], str] = {}  # (address, field) -> where it was given
    for item in items:
        team = _team(item, people, first_seen)
        previous = next((t for t in teams if t.name == team.name), None)
        if previous is not None:
            raise item.error(f"team '{team.name}' is listed twice (first at line "
                             f"{_line(previous.where)}); merge the two entries")
        teams.append(team)
    return TeamBook(tuple(teams), people, source=root.doc.display)


def _team(item: Node, people: dict[str, Agent],
          first_seen: dict[tuple[str, str], str]) -> Team:
    item.check_keys(_TEAM_KEYS, required=("name",))
    fields = item.as_mapping("a team (a mapping with name and agents)")
    name = fields["name"].as_str("the team name").strip()
    if not _TEAM_NAME.fullmatch(name):
        raise fields["name"].error(
            f"team name '{name}' must be lower-case letters, digits, '_', '.' or '-' "
            f"(at most 64, e.g. hardware or first-line); agents write it in '#assign {name}'")
    members: list[str] = []
    where: dict[str, str] = {}
    agents = fields.get("agents")
    entries = [] if agents is None or agents.value is None else agents.as_list(
        "a list of agents (each with email and optionally name, language, timezone)")
    for entry in entries:
        agent = _agent(entry)
        if agent.email in where:
            raise entry.error(f"agent '{agent.email}' is listed twice in team '{name}' "
                              f"(first at line {_line(where[agent.email])}); remove one")
        where[agent.email] = entry.where
        members.append(agent.email)
        people[agent.email] = _merge(people.get(agent.email), agent, entry, first_seen)
    lead = None
    if "lead" in fields:
        lead = fields["lead"].as_str("the team lead's email address").strip().lower()
        if not _EMAIL.fullmatch(lead):
            raise fields["lead"].error(f"'{lead}' is not an email address; write the team "
                                       f"lead like lead@example.com")
    return Team(name, tuple(members), item.where, lead=lead)


def _agent(entry: Node) -> Agent:
    entry.check_keys(_AGENT_KEYS, required=("email",))
    fields = entry.as_mapping("an agent (a mapping with email, name, language, timezone)")
    email = fields["email"].as_str("the agent's email address").strip()
    if not _EMAIL.fullmatch(email):
        raise fields["email"].error(f"'{email}' is not an email address; write it like "
                                    f"agent@example.com, without a display name")
    name = fields["name"].expect(str, "the agent's display name").strip() \
        if "name" in fields else ""
    return Agent(email=email.lower(), name=name,
                 language=_language(fields["language"]) if "language" in fields else None,
                 timezone=_timezone(fields["timezone"]) if "timezone" in fields else None)


def _language(node: Node) -> str:
    written = node.as_str("a language like en, pl or pt_BR").strip()
    match = _LANGUAGE.fullmatch(written)
    if not match:
        raise node.error(f"'{written}' is not a language tag; write it like en, pl, "
                         f"pt_BR or zh_Hant_TW")
    if normalize_language(written) is None:
        raise node.error(f"unknown language '{written}' (Babel knows no such language); "
                         f"write one like en, pl, de or pt_BR")
    language, script, region = match.groups()
    parts = [language.lower(), script.title() if script else "", (region or "").upper()]
    return "_".join(p for p in parts if p)


def _timezone(node: Node) -> str:
    written = node.as_str("a time zone like Europe/Warsaw").strip()
    try:
        zoneinfo.ZoneInfo(written)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        known = zoneinfo.available_timezones()
        raise node.error(f"unknown time zone '{written}'{suggest(written, known)}; use an IANA "
                         f"name like Europe/Warsaw or America/New_York") from None
    return written


def _merge(known: Agent | None, agent: Agent, entry: Node,
           first_seen: dict[tuple[str, str], str]) -> Agent:
    """One agent in several teams: fill in missing values, refuse contradicting ones."""
    merged = known or Agent(email=agent.email)
    for attribute, empty in (("name", ""), ("language", None), ("timezone", None)):
        old, new = getattr(merged, attribute), getattr(agent, attribute)
        if new in (empty, old):
            continue
        if old != empty:
            raise entry.error(
                f"agent '{agent.email}' has {attribute} '{old}' at line "
                f"{_line(first_seen[agent.email, attribute])} but '{new}' here; an agent is "
                f"one person in every team, so give the {attribute} once or the same everywhere")
        first_seen[agent.email, attribute] = entry.where
        merged = replace(merged, **{attribute: new})
    return merged


def _line(where: str) -> str:
    return where.rpartition(":")[2]
