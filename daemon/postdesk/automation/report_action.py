"""The `send_report` action: the KPI report mailed to managers on a schedule.

    rules:
      - name: weekly-kpis
        on: schedule
        then:
          - send_report:
              to: [boss@example.com, support]  # addresses, or teams (each of their agents)
              every: week                      # week (on Mondays, the week before) or day
              at: "08:00"                      # the desk's time zone; default 08:00
              format: html                     # the attached report: html, csv or json
              by: team                         # team, agent, request_type or channel

The mail shows the totals and bar charts made of table cells (every mail client
draws them; inline SVG is not shown by Gmail or Outlook) and carries the full
report as a file (`postdesk report kpi --format FORMAT`), both in each recipient's
language (an agent's from rules/teams.yaml, else the desk's default language),
figures included (`45,2 %`). It is sent once per
period and recipient, at the first schedule scan after `at` (within the hour
after, if the desk was down). `postdesk.report.schedule` runs it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from typing import Any

from postdesk.automation.actions import ACTIONS
from postdesk.automation.digest_action import recipient_names, time_of_day
from postdesk.automation.model import TicketFacts, Vocabulary
from postdesk.automation.registry import ActionDef, ActionOutcome, Param, ParamType, Workspace
from postdesk.config.rulesfile import Node, suggest

PERIODS = ("week", "day")
FORMATS = ("html", "csv", "json")
GROUPINGS = ("team", "agent", "request_type", "channel")


def _one_of(choices: tuple[str, ...], what: str) -> ParamType:
    def parse(node: Node, vocabulary: Vocabulary) -> str:
        written = node.as_str(what).strip().lower()
        if written not in choices:
            raise node.error(f"'{written}' is not {what}{suggest(written, choices)}; use "
                             f"{', '.join(choices)}")
        return written
    return ParamType(what, parse)


def _never_per_ticket(p: Mapping[str, Any], t: TicketFacts, w: Workspace) -> ActionOutcome:
    return t, None  # desk-level: postdesk.report.schedule sends it


ACTIONS.register(ActionDef(
    "send_report",
    (Param("to", ParamType("addresses or teams", recipient_names)),
     Param("every", _one_of(PERIODS, "a period (week or day)")),
     Param("at", ParamType('a time of day like "08:00"', time_of_day), required=False,
           default=time(8, 0)),
     Param("format", _one_of(FORMATS, "a report format"), required=False, default="html"),
     Param("by", _one_of(GROUPINGS, "a grouping"), required=False, default="team")),
    False, _never_per_ticket, desk_level=True,
    doc="Mail the KPI report of the last week (or day) to managers, charts inline and the "
        "report attached."))
