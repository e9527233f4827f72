"""Rules benchmark: time per event for 50 and 1,000 automations, versus a hand-written floor.

    .venv/bin/python bench/rules.py [--sizes 50,1000] [--seconds 1.0] [--json]

Every generated rule listens to message.received (the worst case: no rule is
skipped by the event index) and has 2-4 conditions of mixed kinds; about one
in twenty matches and runs actions, some of which chain into status.changed
rules. The baseline is a plain Python function doing the same number of dict
lookups and set tests over the same facts, with no engine around it. It is the
floor, not a target. Prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "daemon"))

from postdesk.automation import EventFacts, RuleContext, TicketFacts, parse_rules, run_rules

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
TICKET = TicketFacts(
    id=1, status="waiting_for_customer", priority="normal", request_type="hardware",
    team="hardware", assignee="ann@desk.example", tags=frozenset({"vip", "printer"}),
    requester_email="carl@customer.example", requester_language="de",
    created_at=NOW - timedelta(days=3), status_changed_at=NOW - timedelta(hours=5),
    last_customer_message_at=NOW - timedelta(hours=1),
)
EVENT = EventFacts("message.received", author_role="customer",
                   author_email="carl@customer.example", subject="Printer on fire again",
                   body="Hello,\n" + "the printer in room 4 is on fire. " * 20,
                   has_attachment=True)
STATUSES = ["new", "triage", "in_progress", "waiting_for_vendor", "resolved"]
CONDITIONS = [
    lambda r: ("status", f"[{r.choice(STATUSES)}, {r.choice(STATUSES)}]"),
    lambda r: ("priority", r.choice(["high", "urgent", "low"])),
    lambda r: ("author_role", r.choice(["agent", "customer"])),
    lambda r: ("sender_domain", r.choice(["vendor.example", "partner.example"])),
    lambda r: ("subject_contains", r.choice(["[invoice, refund]", "outage", "password"])),
    lambda r: ("tags", r.choice(["gold", "legal", "[spam, abuse]"])),
    lambda r: ("team", r.choice(["billing", "none", "[sales, legal]"])),
    lambda r: ("time_in_status", "{more_than: 2d}"),
]


def rules_text(count: int, seed: int = 5) -> tuple[str, list[list[tuple[str, Any]]]]:
    """YAML for `count` rules, and the same conditions as plain data for the baseline."""
    rand = random.Random(seed)
    lines = ["rules:"]
    plain: list[list[tuple[str, Any]]] = []
    for index in range(count):
        picked = dict(make(rand) for make in rand.sample(CONDITIONS, rand.randint(2, 4)))
        if index % 20 == 0:  # a matching rule
            picked = {"author_role": "customer", "status": "waiting_for_customer"}
            actions = "[set_status: in_progress, add_tag: seen, notify: " \
                      "{template: agent_reply, to: [assignee]}]"
        else:
            actions = "[set_priority: high, add_note: 'matched by the benchmark']"
        conditions = ", ".join(f"{k}: {v}" for k, v in picked.items())
        lines.append(f"  - name: rule-{index}\n    on: message.received\n"
                     f"    if: {{{conditions}}}\n    then: {actions}")
        plain.append([(k, v) for k, v in picked.items()])
    lines.append("  - name: on-status\n    on: status.changed\n"
                 "    if: {changed_to: in_progress}\n    then: [resume_sla]")
    return "\n".join(lines) + "\n", plain


def baseline(conditions: list[list[tuple[str, Any]]]) -> Callable[[], int]:
    """The floor: per condition one dict lookup and one membership test, nothing else."""
    facts = {"status": "waiting_for_customer", "priority": "normal", "author_role": "customer",
             "sender_domain": "customer.example", "subject_contains": "printer on fire again",
             "tags": "vip", "team": "hardware", "time_in_status": "5h"}
    compiled = [[(key, frozenset(str(value).strip("[]").split(", "))) for key, value in rule]
                for rule in conditions]

    def run() -> int:
        fired = 0
        for rule in compiled:
            for key, allowed in rule:
                if facts[key] not in allowed:
                    break
            else:
                fired += 1
        return fired

    return run


def per_call(call: Callable[[], Any], seconds: float) -> float:
    """Microseconds per call: best of five rounds of about seconds/5 each."""
    call()
    rounds: list[float] = []
    loops = 1
    while True:
        start = time.perf_counter()
        for _ in range(loops):
            call()
        if time.perf_counter() - start > seconds / 25:
            break
        loops *= 2
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(loops):
            call()
        rounds.append((time.perf_counter() - start) / loops * 1e6)
    return min(rounds)


def measure(count: int, seconds: float) -> dict[str, Any]:
    text, plain = rules_text(count)
    start = time.perf_counter()
    rules = parse_rules(text, "bench/automation.yaml")
    load_ms = (time.perf_counter() - start) * 1000
    context = RuleContext()
    result = run_rules(rules, EVENT, TICKET, now=NOW, context=context)
    engine_us = per_call(lambda: run_rules(rules, EVENT, TICKET, now=NOW, context=context),
                         seconds)
    floor = baseline(plain)
    return {
        "rules": len(rules.rules), "fired": len(result.fired), "effects": len(result.effects),
        "engine_us_per_event": round(engine_us, 1),
        "baseline_us_per_event": round(per_call(floor, seconds), 1),
        "load_ms": round(load_ms, 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,1000", help="rule counts (50,1000)")
    parser.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    figures = [measure(int(size), args.seconds) for size in args.sizes.split(",")]
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"{'rules':>6} {'fired':>6} {'effects':>8} {'engine µs/event':>16} "
          f"{'baseline µs':>12} {'ratio':>6} {'load ms':>8}")
    for f in figures:
        ratio = f["engine_us_per_event"] / max(f["baseline_us_per_event"], 0.001)
        print(f"{f['rules']:>6} {f['fired']:>6} {f['effects']:>8} "
              f"{f['engine_us_per_event']:>16} {f['baseline_us_per_event']:>12} "
              f"{ratio:>6.1f} {f['load_ms']:>8}")


if __name__ == "__main__":
    main()
