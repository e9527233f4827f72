"""rules/routing.yaml: request types and teams for new tickets."""

from __future__ import annotations

import pytest

from postdesk.errors import RuleError
from postdesk.tickets.routing import parse_routing

SUPPORT = ("support@example.com", "hardware@example.com")
TEAMS = ("support", "hardware")

ROUTING = """request_types:
  - {name: general, description: "Questions of any kind", icon: help}
  - {name: hardware, description: "Printers", icon: printer}
  - {name: access}
routes:
  - {to: hardware@example.com, request_type: hardware, team: hardware}
  - {subject_contains: [password, "log in"], request_type: access, team: support}
  - {subject_regex: "^urgent:", team: support}
  - {request_type: general, team: support}
"""


def routing():
    return parse_routing(ROUTING, teams=TEAMS, support_addresses=SUPPORT)


@pytest.mark.parametrize(("recipients", "subject", "expected"), [
    (["Hardware+x@EXAMPLE.com"], "Printer", ("hardware", "hardware")),
    (["support@example.com"], "I cannot LOG IN", ("access", "support")),
    (["support@example.com"], "Urgent: server down", (None, "support")),
    (["support@example.com"], "Invoice", ("general", "support")),
])
def test_first_matching_route_wins(recipients, subject, expected) -> None:
    route = routing().route(recipients, subject, "")
    assert route is not None and (route.request_type, route.team) == expected


def test_request_types_carry_description_and_icon() -> None:
    assert routing().request_types[1].icon == "printer"
    assert routing().request_type_names == ("general", "hardware", "access")


@pytest.mark.parametrize(("change", "message"), [
    (("team: hardware}", "team: hardwar}"),
     "rules/routing.yaml:6: unknown team 'hardwar' (rules/teams.yaml has: hardware, support)"),
    (("request_type: access, team", "request_type: acess, team"),
     "rules/routing.yaml:7: unknown request type 'acess'; known: access, general, hardware"),
    (("to: hardware@example.com", "to: sales@example.com"),
     "rules/routing.yaml:6: 'sales@example.com' is not one of the desk's addresses"),
    (('"^urgent:"', '"^urgent:("'), "rules/routing.yaml:8: not a valid regular expression"),
    (("subject_contains:", "subject_contain:"),
     "rules/routing.yaml:7: unknown key 'subject_contain'"),
    (("{name: access}", "{name: general}"),
     "rules/routing.yaml:4: request type 'general' is listed twice"),
])
def test_mistakes_name_file_and_line(change, message) -> None:
    with pytest.raises(RuleError) as error:
        parse_routing(ROUTING.replace(*change), teams=TEAMS, support_addresses=SUPPORT)
    assert str(error.value).startswith(message)
