"""Terminal tables of agents and teams (rich), for `cli/people.py`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.table import Table
from rich.text import Text


def _hours(hours: dict[str, Any] | None) -> str:
    if hours is None:
        return "(no rules/sla.yaml: any time)"
    return f"{hours['week']} ({hours['calendar']})"


def agents_table(rows: Sequence[dict[str, Any]], *, source: str) -> Table:
    table = Table(title=f"Agents ({len(rows)}) from {source}", title_justify="left")
    for column in ("Email", "Name", "Teams", "Language", "Time zone", "Working hours"):
        table.add_column(column, overflow="fold", no_wrap=column in ("Email", "Time zone"))
    for row in rows:
        table.add_row(row["email"], Text(row["name"]), ", ".join(row["teams"]),
                      row["language"], row["timezone"], _hours(row["hours"]))
    if not rows:
        table.caption = "No agents: name them in rules/teams.yaml (agents get no mail until then)"
    return table


def teams_table(rows: Sequence[dict[str, Any]], *, source: str) -> Table:
    table = Table(title=f"Teams ({len(rows)}) from {source}", title_justify="left")
    for column in ("Team", "Agents", "Working hours"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(row["name"], "\n".join(row["agents"]) or "(nobody)", _hours(row["hours"]))
    if not rows:
        table.caption = "No teams: add them to rules/teams.yaml"
    return table
