"""The KPI report's satisfaction figures, counted by the database from `csat_survey`.

Of the surveys asked in [since, until) (by `asked_at`) and not cancelled:

* **surveyed**: those that reached the customer (`sent_at`: the mail went, or
  the survey was asked without a mail, in chat), or that the customer rated
  anyway (a reply to the outcome mail while the survey was held);
* **rated**: those with a rating (the latest, when it was changed);
* **satisfied**: the rated ones with a top rating, at least `top[scale]`.

They are counted per (group, agent) of the survey: the agent the rating belongs
to (the ticket's assignee at that resolution, kept when it is reassigned), the
other groups the ticket's now, copied from its `ticket_figures` row (so they
group as every other figure of the report does). One statement over the
figures index of `csat_survey` alone: no join, no look-up per survey.

CSAT % is satisfied / rated and the response rate rated / surveyed
(`report.kpi_summary.CsatFigures`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from postdesk.store.figure_reads import period_filter, rows_of
from postdesk.store.ticket_figures_sql import GROUPS, SURVEY_GROUP_COLUMNS

#: (group, agent, surveyed, rated, satisfied)
CsatRow = tuple[str, str, int, int, int]


def csat_counts(by: str, since: datetime | None, until: datetime | None,
                top: Mapping[str, int]) -> list[CsatRow]:
    """The figures of the surveys asked in [since, until) per group `by` (a column of
    `ticket_figures`) and agent of their tickets; `top`: per scale name, the lowest
    rating that counts as satisfied."""
    if by not in GROUPS:
        raise ValueError(f"cannot group by {by!r}; use one of {', '.join(GROUPS)}")
    where, params = period_filter(since, until, "s.asked_at")
    satisfied = " OR ".join(
        f"(s.scale = '{name}' AND s.rating >= {int(lowest)})" for name, lowest in top.items()
        if name.replace("-", "").isalnum()) or "1 = 0"
    group = f"s.{SURVEY_GROUP_COLUMNS[by]}"
    pair = "s.agent" if by == "agent" else f"{group}, s.agent"
    sql = (f"SELECT {group}, s.agent, COUNT(*), COUNT(s.rating), "
           f"COALESCE(SUM(CASE WHEN {satisfied} THEN 1 ELSE 0 END), 0) "
           'FROM "csat_survey" s '
           f"WHERE {where} AND s.state <> 'cancelled' "
           f"AND (s.sent_at IS NOT NULL OR s.rating IS NOT NULL) GROUP BY {pair}")
    return [(str(g), str(a), int(surveyed), int(rated), int(happy))
            for g, a, surveyed, rated, happy in rows_of(sql, params)]
