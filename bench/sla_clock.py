"""SLA arithmetic benchmark: clocks of one busy ticket, due times of many tickets.

    .venv/bin/python bench/sla_clock.py [--tickets 100000] [--json]

1. `compute_clocks` for one ticket with 20 events (replies, pauses, a team
   assignment with an OLA, a reopen) on the office calendar (Europe/Warsaw,
   Polish holidays); best of 7 runs of 200 calls each.
2. Due times for N tickets (default 100,000) created at random moments of a
   year, 16h resolution target, on a calendar that is closed for a holiday
   season from 15 December to 15 January: the bare `add_business_seconds`
   (the arithmetic alone), and `compute_clocks` for a ticket with two events
   (created, agent reply). The first pass starts with empty day caches.

The baseline is the trivial wall-clock version of the same work: summing
event-to-event differences, and `start + timedelta(hours=16)`. It is the
floor, not a target. Prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "daemon"))

from postdesk.sla import SlaEvent, compute_clocks, parse_sla
from postdesk.sla.calendar import to_epoch

SEASON = [str(date(2026, 12, 15) + timedelta(days=i)) for i in range(32)]
SLA = f"""\
calendars:
  office:
    timezone: Europe/Warsaw
    hours: {{mon-thu: ["08:00-16:00"], fri: ["08:00-12:00", "13:00-16:00"]}}
    holidays: {{country: PL}}
  seasonal:
    timezone: Europe/Warsaw
    hours: {{mon-fri: ["08:00-16:00"]}}
    holidays: {{country: PL, dates: [{", ".join(SEASON)}]}}
policies:
  - name: seasonal
    if: {{tags: seasonal}}
    calendar: seasonal
    targets: {{first_response: 4h, resolution: 16h}}
    warn: ["75%", "90%", "30m before"]
  - name: standard
    calendar: office
    pause_on: [waiting_for_customer]
    targets: {{first_response: 4h, next_response: 8h, resolution: 16h}}
    warn: ["75%", "90%", "30m before"]
ola:
  - {{team: hardware, calendar: office, target: 8h}}
"""


def busy_ticket() -> tuple[list[SlaEvent], datetime]:
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    steps = [("created", None), ("assign", "hardware"), ("agent_reply", None),
             ("status", "waiting_for_customer"), ("customer_reply", None),
             ("status", "in_progress"), ("agent_reply", None),
             ("status", "waiting_for_customer"), ("customer_reply", None),
             ("status", "in_progress"), ("assign", "network"), ("agent_reply", None),
             ("status", "resolved"), ("customer_reply", None), ("status", "in_progress"),
             ("priority", "high"), ("agent_reply", None), ("customer_reply", None),
             ("status", "waiting_for_customer"), ("status", "in_progress")]
    events = [SlaEvent(start + timedelta(hours=7 * i), kind, to,
                       "normal" if kind == "created" else None)
              for i, (kind, to) in enumerate(steps)]
    return events, start + timedelta(days=8)


def best(call: Callable[[], Any], loops: int, runs: int = 7) -> float:
    """Best wall time of one call, in microseconds."""
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        for _ in range(loops):
            call()
        times.append((time.perf_counter() - began) / loops)
    return min(times) * 1e6


def timed(call: Callable[[], Any]) -> float:
    began = time.perf_counter()
    call()
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    config = parse_sla(SLA)
    seasonal, standard = config.policies
    events, now = busy_ticket()
    assert len(events) == 20
    one_ticket = best(lambda: compute_clocks(config, standard, events, now), 200)

    def wall_clock_sum() -> int:
        return sum((b.at - a.at).seconds for a, b in pairwise(events))

    one_baseline = best(wall_clock_sum, 200)

    rng = random.Random(8)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    starts = [base + timedelta(seconds=rng.randrange(365 * 86400)) for _ in range(args.tickets)]
    epochs = [to_epoch(s) for s in starts]
    calendar, target = seasonal.calendar, 16 * 3600
    arithmetic_cold = timed(lambda: [calendar.add_business_seconds(e, target) for e in epochs])
    arithmetic_warm = timed(lambda: [calendar.add_business_seconds(e, target) for e in epochs])
    tickets = [[SlaEvent(s, "created", priority="normal"),
                SlaEvent(s + timedelta(minutes=20), "agent_reply")] for s in starts]
    later = base + timedelta(days=400)
    clocks_time = timed(lambda: [compute_clocks(config, seasonal, t, later) for t in tickets])
    sixteen = timedelta(hours=16)
    baseline = timed(lambda: [s + sixteen for s in starts])
    season_starts = [to_epoch(datetime(2026, 12, 14, 15, tzinfo=UTC))] * 1000
    season = timed(lambda: [calendar.add_business_seconds(e, target) for e in season_starts])

    n = args.tickets
    figures = {
        "one_ticket_20_events_us": round(one_ticket, 1),
        "one_ticket_baseline_us": round(one_baseline, 2),
        "due_arithmetic_cold_us_per_ticket": round(arithmetic_cold / n * 1e6, 2),
        "due_arithmetic_warm_us_per_ticket": round(arithmetic_warm / n * 1e6, 2),
        "compute_clocks_us_per_ticket": round(clocks_time / n * 1e6, 2),
        "baseline_us_per_ticket": round(baseline / n * 1e6, 3),
        "across_holiday_season_us": round(season / 1000 * 1e6, 2),
        "tickets": n,
    }
    print(f"one ticket, 20 events   compute_clocks {one_ticket:8.1f} µs   "
          f"baseline (wall-clock sum) {one_baseline:6.2f} µs")
    print(f"{n:,} due times        arithmetic {arithmetic_cold:6.2f} s cold "
          f"({figures['due_arithmetic_cold_us_per_ticket']} µs/ticket), "
          f"{arithmetic_warm:6.2f} s warm ({figures['due_arithmetic_warm_us_per_ticket']} "
          f"µs/ticket)")
    print(f"{n:,} tickets          compute_clocks {clocks_time:6.2f} s "
          f"({figures['compute_clocks_us_per_ticket']} µs/ticket)   baseline start+16h "
          f"{baseline:6.3f} s ({figures['baseline_us_per_ticket']} µs/ticket)")
    print(f"16h across the 32-day holiday season: "
          f"{figures['across_holiday_season_us']} µs per due time")
    if args.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
