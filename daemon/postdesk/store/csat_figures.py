"""The KPI report's satisfaction figures, counted by the database from `csat_survey`.

Of the surveys asked in [since, until) (by `asked_at`) and not cancelled:

* **surveyed**: those that reached the customer (`sent_at`: the mail went, or
  the survey was asked without a mail, in chat), or that the customer rated
  anyway (a reply to the outcome mail while the survey was held);
* **rated**: those with a rating (the latest, when it was changed);
* **satisfied**: the rated ones with a top rating, at least `top[scale]`.

CSAT % is satisfied / rated and the response rate rated / surveyed
(`report.kpi_query`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from postdesk.store.figure_reads import period_filter, rows_of


@dataclass(frozen=True)
class CsatFigures:
    surveyed: int = 0
    rated: int = 0
    satisfied: int = 0

    @property
    def csat(self) -> float | None:
        """The share of top ratings; None without ratings."""
        return self.satisfied / self.rated if self.rated else None

    @property
    def response_rate(self) -> float | None:
        """Rated / surveyed; None when no survey went."""
        return self.rated / self.surveyed if self.surveyed else None


def csat_figures(since: datetime | None, until: datetime | None,
                 top: Mapping[str, int]) -> CsatFigures:
    """The figures of the surveys asked in [since, until); `top`: per scale name, the
    lowest rating that counts as satisfied."""
    where, params = period_filter(since, until, "s.asked_at")
    satisfied = " OR ".join(
        f"(s.scale = '{name}' AND s.rating >= {int(lowest)})" for name, lowest in top.items()
        if name.replace("-", "").isalnum()) or "1 = 0"
    sql = ("SELECT COUNT(*), COUNT(s.rating), "
           f"COALESCE(SUM(CASE WHEN {satisfied} THEN 1 ELSE 0 END), 0) "
           f'FROM "csat_survey" s WHERE {where} AND s.state <> \'cancelled\' '
           "AND (s.sent_at IS NOT NULL OR s.rating IS NOT NULL)")
    surveyed, rated, happy = next(iter(rows_of(sql, params)))
    return CsatFigures(int(surveyed), int(rated), int(happy))
