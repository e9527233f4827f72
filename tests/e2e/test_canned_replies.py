"""Canned replies: `#reply NAME` in an agent's mail, over real SMTP (issue 24)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailbuild import customer_mail, mails_to, processed, send_mail, text_of, wait_for
from postdesk.store.models import Customer, Ticket

TEAMS = """teams:
  - name: support
    agents:
      - {email: agent.en@example.com, name: "Ann Agent"}
"""


@pytest.fixture
def desk(make_settings, sqlite_url, start_daemon):
    settings = make_settings(sqlite_url)
    (Path(settings.path(settings.paths.rules)) / "teams.yaml").write_text(TEAMS)
    daemon = start_daemon(settings)
    send_mail(daemon, customer_mail())
    wait_for(processed(1))
    wait_for(lambda: mails_to(daemon, "zoe@customer.example"))  # the acknowledgment
    return daemon


def agent_says(daemon, body: str, message_id: str) -> None:
    [notification] = wait_for(lambda: [m for m in mails_to(daemon, "agent.en@example.com")
                                       if "+" in m["Reply-To"].addresses[0].addr_spec][:1])
    send_mail(daemon, customer_mail(
        sender="agent.en@example.com", to=notification["Reply-To"].addresses[0].addr_spec,
        subject=f"Re: {notification['Subject']}", body=body, message_id=message_id))


def test_reply_name_sends_the_canned_text_in_the_customers_language_with_its_commands(desk):
    Customer.update(language="pl").execute()
    agent_says(desk, "#reply printer-restart\n\nPozdrawiam, Ann\n", "<canned@example.com>")
    wait_for(processed(2))
    [answer] = wait_for(lambda: [m for m in mails_to(desk, "zoe@customer.example")
                                 if "odczekać" in text_of(m)])
    text = text_of(answer)
    # the desk's neutral formal greeting, not the name in the nominative ("Dzień dobry,
    # Zoë Kowalska," reads as a machine wrote it; Polish would need "Pani Zoë")
    assert "\nDzień dobry,\n" in text.replace("\r\n", "\n") and "zgłoszenie #1" in text
    assert "Dzień dobry, Zo" not in text
    assert "Pozdrawiam, Ann" in text  # the agent's own words follow
    assert "{" not in text and "#reply" not in text
    ticket = Ticket.get_by_id(1)
    assert ticket.status == "waiting_for_customer" and ticket.tags == ["printer"]


def test_agents_own_command_wins_over_the_canned_replys(desk):
    agent_says(desk, "#status in_progress\n#reply printer-restart\n", "<canned@example.com>")
    wait_for(processed(2))
    [answer] = wait_for(lambda: [m for m in mails_to(desk, "zoe@customer.example")
                                 if "ten seconds" in text_of(m)])
    assert "Hello Zoë Kowalska" in text_of(answer)  # English: the customer's language
    ticket = Ticket.get_by_id(1)
    assert ticket.status == "in_progress" and ticket.tags == ["printer"]


def test_unknown_reply_changes_nothing_and_tells_the_agent_which_exist(desk):
    before = len(mails_to(desk, "zoe@customer.example"))
    agent_says(desk, "#reply printer-restrat\n", "<typo@example.com>")
    wait_for(processed(2))
    [error] = wait_for(lambda: [m for m in mails_to(desk, "agent.en@example.com")
                                if "printer-restrat" in text_of(m)])
    assert "need-more-info" in text_of(error) and "printer-restart" in text_of(error)
    assert len(mails_to(desk, "zoe@customer.example")) == before
    assert Ticket.get_by_id(1).status == "new"


def test_a_reply_written_in_yaml_is_sent_in_the_customers_language(desk):
    """templates/replies/NAME.yaml: every language in one file, with its commands."""
    own = Path(desk.settings.path(desk.settings.paths.templates)) / "replies"
    own.mkdir(parents=True, exist_ok=True)
    (own / "modem-restart.yaml").write_text(
        'commands: ["status waiting_for_customer", "tag modem"]\n'
        "text:\n"
        "  en: |\n    Hello {customer_name}, please restart the modem (ticket #{ticket_id}).\n"
        "  pl: |\n    Dzień dobry {customer_name}, prosimy uruchomić modem ponownie "
        "(zgłoszenie #{ticket_id}).\n", encoding="utf-8")
    Customer.update(language="pl").execute()
    agent_says(desk, "#reply modem-restart\n", "<yaml@example.com>")
    wait_for(processed(2))
    [answer] = wait_for(lambda: [m for m in mails_to(desk, "zoe@customer.example")
                                 if "modem" in text_of(m)])
    text = text_of(answer)
    assert "Dzień dobry Zoë Kowalska, prosimy uruchomić modem ponownie (zgłoszenie #1)." in text
    ticket = Ticket.get_by_id(1)
    assert ticket.status == "waiting_for_customer" and ticket.tags == ["modem"]
