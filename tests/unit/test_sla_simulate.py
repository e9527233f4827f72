"""`postdesk sla simulate`: the issue's example gives the issue's JSON, bad files file:line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from postdesk.errors import RuleError
from postdesk.sla import load_sla, simulate

SHIPPED = Path(__file__).resolve().parents[2] / "rules/sla.yaml"
CONFIG = load_sla(SHIPPED)

EXAMPLE = """\
policy: standard
now: "2026-03-30T12:00:00+02:00"
events:
  - {at: "2026-03-27T15:00:00+01:00", type: created, priority: normal}
  - {at: "2026-03-27T15:30:00+01:00", type: agent_reply}
  - {at: "2026-03-27T15:31:00+01:00", type: status, to: waiting_for_customer}
  - {at: "2026-03-30T09:10:00+02:00", type: customer_reply}
  - {at: "2026-03-30T09:11:00+02:00", type: status, to: in_progress}
"""


def test_the_issue_example_gives_the_issue_shape() -> None:
    # Hand-computed: Friday 27 March is CET, Monday 30 March CEST (DST on the 29th).
    # resolution: Fri 15:00-15:31 (31m) + Mon 09:11-12:00 (2h49m) = 12000 s of 16h;
    #   12h40m left: Mon 12-16, Tue 08-16, Wed 08:00-08:40.
    # next_response: started by the customer's reply at 09:10 (held until 09:11 by
    #   waiting_for_customer), 2h49m of 8h; 5h11m left: Mon 12-16, Tue 08:00-09:11.
    assert simulate(EXAMPLE, CONFIG) == {
        "policy": "standard",
        "clocks": {
            "first_response": {"state": "met", "due": None, "elapsed_s": 1800,
                               "remaining_s": 12600, "paused": []},
            "next_response": {"state": "running", "due": "2026-03-31T09:11:00+02:00",
                              "elapsed_s": 10140, "remaining_s": 18660,
                              "paused": [["2026-03-30T09:10:00+02:00",
                                          "2026-03-30T09:11:00+02:00"]]},
            "resolution": {"state": "running", "due": "2026-04-01T08:40:00+02:00",
                           "elapsed_s": 12000, "remaining_s": 45600,
                           "paused": [["2026-03-27T15:31:00+01:00",
                                       "2026-03-30T09:11:00+02:00"]]},
        },
    }


def test_json_files_and_unquoted_yaml_times_work_too(tmp_path: Path) -> None:
    path = tmp_path / "sim.json"
    path.write_text(json.dumps({
        "policy": "urgent", "now": "2026-03-30T10:00:00Z",
        "events": [{"at": "2026-03-30T09:00:00Z", "type": "created", "priority": "urgent"}]}))
    result = simulate(path, CONFIG)
    assert result["clocks"]["first_response"]["state"] == "breached"
    assert result["clocks"]["resolution"]["due"] == "2026-03-30T13:00:00+00:00"
    unquoted = simulate(EXAMPLE.replace('"', ""), CONFIG)
    assert unquoted == simulate(EXAMPLE, CONFIG)
    assert json.loads(json.dumps(unquoted)) == unquoted


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("policy: standard", "policy: standrd",
     "sim.yaml:1: unknown policy 'standrd' (did you mean 'standard'?); rules/sla.yaml "
     "defines urgent, standard"),
    ('now: "2026-03-30T12:00:00+02:00"', 'now: "2026-03-30T12:00:00"',
     "sim.yaml:2: '2026-03-30T12:00:00' has no UTC offset; add one, like +02:00 or Z"),
    ("type: agent_reply", "type: agent_replied",
     "sim.yaml:5: unknown event type 'agent_replied' (did you mean 'agent_reply'?); known: "
     "created, status, agent_reply, customer_reply, priority, assign, policy"),
    ("to: in_progress", "to: in_progres",
     "sim.yaml:8: unknown status 'in_progres' (did you mean 'in_progress'?); known: closed, "
     "in_progress, new, resolved, triage, waiting_for_customer, waiting_for_vendor"),
    ("type: status, to: waiting_for_customer", "type: status",
     "sim.yaml:6: a 'status' event needs 'to': a status"),
    ('at: "2026-03-30T09:10:00+02:00"', 'at: "2026-03-27T09:10:00+02:00"',
     "sim.yaml:7: events must be in time order: 2026-03-27T09:10:00+02:00 is before the "
     "previous event (sim.yaml:6)"),
    ('at: "2026-03-27T15:30:00+01:00"', 'at: "yesterday"',
     "sim.yaml:5: 'yesterday' is not a time; write it like \"2026-03-30T12:00:00+02:00\""),
])
def test_a_bad_file_is_reported_with_its_line(old: str, new: str, expected: str) -> None:
    assert old in EXAMPLE
    with pytest.raises(RuleError) as error:
        simulate(EXAMPLE.replace(old, new, 1), CONFIG, display="sim.yaml")
    assert str(error.value) == expected
