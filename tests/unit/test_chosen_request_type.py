"""The request type the ticket page signs into a new request, and its route."""

from __future__ import annotations

from email.message import EmailMessage

from postdesk.mail.chosen_request_type import HEADER, chosen_request_type, header_value
from postdesk.tickets.routing import parse_routing

SECRET = "s3cret-of-the-desk"
ROUTING = """
request_types:
  - {name: general}
  - {name: hardware}
routes:
  - {subject_contains: printer, request_type: hardware, team: hardware}
  - {request_type: general, team: support}
"""


def mail(message_id: str, header: str | None) -> EmailMessage:
    message = EmailMessage()
    message["Message-ID"] = message_id
    if header is not None:
        message[HEADER] = header
    return message


def test_only_the_signature_for_that_message_id_chooses_a_type():
    signed = header_value(SECRET, "<a@web.example.com>", "hardware")
    assert chosen_request_type(SECRET, mail("<a@web.example.com>", signed)) == "hardware"
    assert chosen_request_type(SECRET, mail("<b@web.example.com>", signed)) is None
    assert chosen_request_type("another secret", mail("<a@web.example.com>", signed)) is None
    tampered = signed.replace("hardware", "general")
    assert chosen_request_type(SECRET, mail("<a@web.example.com>", tampered)) is None
    assert chosen_request_type(SECRET, mail("<a@web.example.com>", None)) is None


def test_a_chosen_type_takes_the_team_of_its_first_route():
    routing = parse_routing(ROUTING, teams={"hardware", "support"},
                            support_addresses={"support@example.com"})
    chosen = routing.route_chosen("hardware", ["support@example.com"], "Login fails", "")
    assert (chosen.request_type, chosen.team) == ("hardware", "hardware")
    unknown = routing.route_chosen("vip", ["support@example.com"], "Login fails", "")
    assert (unknown.request_type, unknown.team) == ("general", "support")
    assert routing.route_chosen(None, ["support@example.com"], "printer", "").team == "hardware"
