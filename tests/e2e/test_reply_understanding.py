"""What a customer's reply says reaches the rules and the agents (issue 23): a rule on
`says_solved`, forwarded blocks kept as a part, the whole text an agent can expand."""

from __future__ import annotations

from pathlib import Path

from mailbuild import customer_mail, processed, send_mail, wait_for
from postdesk.store.models import Event, Ticket

SOLVED_RULE = """rules:
  - name: customer-says-solved
    on: message.received
    if:
      author_role: [customer, participant]
      says_solved: true
    then:
      - set_status: resolved
"""

HISTORY = """

On Sun, 22 Nov 2026 at 12:04, Example Support <support@example.com> wrote:
> Has this solved your problem? If it is not solved, tell us.
"""


def _desk(make_settings, sqlite_url, start_daemon, automation: str):
    settings = make_settings(sqlite_url)
    (Path(settings.path(settings.paths.rules)) / "automation.yaml").write_text(automation)
    daemon = start_daemon(settings)
    send_mail(daemon, customer_mail())
    wait_for(processed(1))
    return daemon


def _follow_up(daemon, body: str, number: int) -> None:
    ticket = Ticket.get()
    send_mail(daemon, customer_mail(subject=f"Re: [#{ticket.id}] Printer on fire", body=body,
                                    message_id=f"<follow-{number}@customer.example>"))
    wait_for(processed(number + 1))


def test_a_rule_on_says_solved_resolves_when_the_customer_says_so(make_settings, sqlite_url,
                                                                   start_daemon):
    daemon = _desk(make_settings, sqlite_url, start_daemon, SOLVED_RULE)
    _follow_up(daemon, "It is still not solved, the paper jams again." + HISTORY, 1)
    assert Ticket.get().status != "resolved"  # a negation, and the desk's own question quoted
    _follow_up(daemon, "Działa już, dziękuję!" + HISTORY, 2)
    assert Ticket.get().status == "resolved"
    [change] = Event.select().where(Event.kind == "status.changed")
    assert change.rule == "customer-says-solved"
