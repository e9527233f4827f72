"""Who works the desk: each agent and team with language, time zone and working hours.

`postdesk agents` and `postdesk teams` print these rows (JSON and a table). The
facts come from rules/teams.yaml (teams, agents, language, time zone) with the
desk's defaults filled in, and the working hours are the calendar that holds
SLA warnings for that person (`sla.notify_hours`: the agent's own, the first
team's, `notify_hours.calendar`, else the default policy's calendar), read in
the agent's zone: what a lead needs to see why a warning waited until 08:00.
"""

from __future__ import annotations

from typing import Any

from postdesk.sla.calendar import DAY_NAMES, Calendar
from postdesk.sla.notify_hours import recipient_calendar
from postdesk.sla.policy import SlaConfig
from postdesk.tickets.teams import TeamBook


def agent_rows(teams: TeamBook, sla: SlaConfig | None, *, language: str,
               timezone: str) -> list[dict[str, Any]]:
    """One row per agent, in file order: `{email, name, teams, language, timezone, hours}`;
    `language` / `timezone` are the desk's defaults, used where teams.yaml gives none."""
    rows = []
    for email in teams.agent_emails:
        agent = teams.agent(email)
        assert agent is not None  # every listed address is in the book
        member_of = teams.teams_of(email)
        zone = agent.timezone or timezone
        calendar = None if sla is None else recipient_calendar(
            sla.notify_hours, sla.default.calendar, email, member_of, zone)
        rows.append({"email": email, "name": agent.name, "teams": list(member_of),
                     "language": agent.language or language, "timezone": zone,
                     "hours": hours_of(calendar)})
    return rows


def team_rows(teams: TeamBook, sla: SlaConfig | None) -> list[dict[str, Any]]:
    """One row per team, in file order: `{name, agents: [email], hours}`; `hours` is the
    calendar `notify_hours` gives the team (else the desk's), in its own zone."""
    rows = []
    for team in teams.teams:
        calendar = None if sla is None else (
            sla.notify_hours.teams.get(team.name) or sla.notify_hours.calendar
            or sla.default.calendar)
        rows.append({"name": team.name, "agents": list(team.members),
                     "hours": hours_of(calendar)})
    return rows


def hours_of(calendar: Calendar | None) -> dict[str, Any] | None:
    """`{calendar, timezone, week}` for a calendar (None: no SLA file, no hours to keep);
    `week` reads like `mon-fri 08:00-16:00; sat 09:00-12:00`."""
    if calendar is None:
        return None
    return {"calendar": calendar.name, "timezone": calendar.zone.key,
            "week": describe_week(calendar)}


def describe_week(calendar: Calendar) -> str:
    """The weekly hours in one line, consecutive days with the same hours joined."""
    if all(day == ((0, 86400),) for day in calendar.week):
        return "24/7"
    groups: list[tuple[int, int, str]] = []  # first day, last day, hours
    for index, intervals in enumerate(calendar.week):
        hours = ", ".join(f"{_clock(a)}-{_clock(b)}" for a, b in intervals)
        if groups and groups[-1][2] == hours and groups[-1][1] == index - 1:
            groups[-1] = (groups[-1][0], index, hours)
        else:
            groups.append((index, index, hours))
    parts = [(DAY_NAMES[a] if a == b else f"{DAY_NAMES[a]}-{DAY_NAMES[b]}") + f" {hours}"
             for a, b, hours in groups if hours]
    return "; ".join(parts) or "closed"


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"
