"""`postdesk agents` and `postdesk teams`: who works the desk, as rules/teams.yaml says.

Read from the files in force (the last good version when teams.yaml is broken,
as the daemon would); no database needed.
"""

from __future__ import annotations

import click

from postdesk.cli.context import Context, console, pass_context
from postdesk.cli.json_output import echo_json


@click.command()
@click.option("--team", default=None, help="Only the agents of this team.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_context
def agents(obj: Context, team: str | None, as_json: bool) -> None:
    """The agents: teams, language, time zone and working hours."""
    from postdesk.tickets.directory import agent_rows

    desk = obj.settings.desk
    rows = agent_rows(obj.runtime.teams, obj.sla, language=desk.default_language,
                      timezone=desk.timezone)
    if team is not None:
        _known_team(obj, team)
        rows = [row for row in rows if team.strip().lower() in row["teams"]]
    if as_json:
        echo_json(rows)
        return
    from postdesk.cli.render_people import agents_table

    console().print(agents_table(rows, source=obj.runtime.teams.source))


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_context
def teams(obj: Context, as_json: bool) -> None:
    """The teams, their agents and working hours."""
    from postdesk.tickets.directory import team_rows

    rows = team_rows(obj.runtime.teams, obj.sla)
    if as_json:
        echo_json(rows)
        return
    from postdesk.cli.render_people import teams_table

    console().print(teams_table(rows, source=obj.runtime.teams.source))


def _known_team(obj: Context, team: str) -> None:
    from postdesk.cli.context import fail

    book = obj.runtime.teams
    if book.team(team) is None:
        fail(f"no team '{team}' in {book.source} (teams: {', '.join(book.team_names) or '-'})")
