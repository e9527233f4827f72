"""Queue digests by mail (issue 11): `#queue NAME` from an authenticated agent, over real
SMTP, answered in the agent's language; replying to a line acts on that ticket."""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path

import pytest

from mailbuild import customer_mail, processed, read_outgoing, send_mail, wait_for
from postdesk.store.models import Inbound, Outbox, Ticket

TEAMS = """teams:
  - name: support
    agents:
      - {email: agent.pl@example.com, name: "Support PL", language: pl, timezone: Europe/Warsaw}
      - {email: agent.en@example.com, name: "Support EN"}
"""
TRUSTED = "mx.example.com; dkim=pass header.d=example.com header.s=s1"


def mails_to(daemon: object, address: str) -> list[EmailMessage]:
    return [m for m in read_outgoing(daemon.outgoing)  # type: ignore[attr-defined]
            if m["To"].addresses[0].addr_spec == address]


def text_of(mail: EmailMessage) -> str:
    return mail.get_body(("plain",)).get_content()


def html_of(mail: EmailMessage) -> str:
    return mail.get_body(("html",)).get_content()


def digests(daemon: object, address: str) -> list[EmailMessage]:
    return [m for m in mails_to(daemon, address) if "[#" not in m["Subject"]]


@pytest.fixture
def desk(make_settings, sqlite_url, start_daemon):  # type: ignore[no-untyped-def]
    settings = make_settings(sqlite_url, agents_trusted_authserv_ids="mx.example.com")
    (Path(settings.path(settings.paths.rules)) / "teams.yaml").write_text(TEAMS)
    daemon = start_daemon(settings)
    send_mail(daemon, customer_mail())
    wait_for(processed(1))  # ticket 1, then ticket 2
    send_mail(daemon, customer_mail(sender="Bob <bob@customer.example>", subject="Laptop dead",
                                    message_id="<second@customer.example>"))
    wait_for(lambda: len(read_outgoing(daemon.outgoing)) == 6)  # 2 x (ack + two agents)
    return daemon


def ask(daemon: object, sender: str, body: str, number: int, *, trusted: bool = True) -> None:
    headers = {"Authentication-Results": TRUSTED} if trusted else {}
    send_mail(daemon, customer_mail(sender=sender, to="support@example.com",
                                    subject="queue", body=body, headers=headers,
                                    message_id=f"<ask-{number}@example.com>"))


def test_queue_command_mails_the_agent_a_localized_digest_to_act_on(desk) -> None:  # type: ignore[no-untyped-def]
    ask(desk, "Support PL <agent.pl@example.com>", "#queue unassigned\n", 1)
    [digest] = wait_for(lambda: digests(desk, "agent.pl@example.com"))
    assert digest["Subject"] == "Kolejka „Nieprzypisane”: 2 zgłoszenia"
    assert digest["Content-Language"] == "pl"
    assert digest["Auto-Submitted"] == "auto-generated"
    # the agent's own signed desk address, not the plain one (issue 24: writing there
    # without DKIM opened a customer ticket for the agent)
    own = digest["Reply-To"].addresses[0].addr_spec
    assert re.fullmatch(r"support\+0-a\.[a-z0-9]+-[a-z2-7]{16}@example\.com", own)
    assert own in text_of(digest)  # "send #queue NAME to" the agent's own address
    text = text_of(digest)
    assert "Kolejka „Nieprzypisane” zawiera 2 zgłoszenia." in text
    assert "#1  Printer on fire" in text and "#2  Laptop dead" in text
    assert "Pierwsza odpowiedź – pozostało: " in text  # live SLA, business time
    lines = re.findall(r"Adres do odpowiedzi: (support\+(\d+)-a\.[a-z0-9]+-[a-z2-7]+@example\.com)",
                       text)
    assert sorted(int(number) for _, number in lines) == [1, 2]
    html = html_of(digest)
    for address, number in lines:
        assert f'href="mailto:{address}?subject=Re%3A%20%5B%23{number}%5D' in html
    assert Ticket.select().count() == 2  # asking made no ticket
    assert "queue digest (unassigned)" in Inbound.get(Inbound.id == 3).reason

    # replying to a line of the digest acts on that ticket, as the agent
    address = dict((int(n), a) for a, n in lines)[2]
    send_mail(desk, customer_mail(sender="agent.pl@example.com", to=address,
                                  subject="Re: [#2] Laptop dead",
                                  body="#assign me\nZajmę się tym dziś.\n",
                                  message_id="<act-1@example.com>"))
    wait_for(processed(4))
    assert Ticket.get_by_id(2).assignee == "agent.pl@example.com"
    wait_for(lambda: [m for m in mails_to(desk, "bob@customer.example")
                      if "Zajmę się tym dziś." in text_of(m)])

    # the queue no longer holds it
    ask(desk, "agent.en@example.com", "#queue unassigned\n", 2)
    [english] = wait_for(lambda: digests(desk, "agent.en@example.com"))
    assert english["Subject"] == "Queue “Unassigned”: 1 ticket"
    assert "Laptop dead" not in text_of(english)


def test_queues_lists_the_queues_and_an_unknown_name_is_explained(desk) -> None:  # type: ignore[no-untyped-def]
    ask(desk, "agent.en@example.com", "#queues\n", 1)
    [listing] = wait_for(lambda: digests(desk, "agent.en@example.com"))
    assert listing["Subject"] == "The desk's queues"
    assert "Unassigned (unassigned): 2 tickets" in text_of(listing)
    assert "Waiting for customer (waiting-for-customer): 0 tickets" in text_of(listing)
    ask(desk, "agent.en@example.com", "#queue unasigned\n", 2)
    wait_for(lambda: len(digests(desk, "agent.en@example.com")) == 2)
    explained = [m for m in digests(desk, "agent.en@example.com")
                 if "There is no queue called “unasigned”." in text_of(m)]
    assert explained and "Unassigned (unassigned): 2 tickets" in text_of(explained[0])


def test_an_agent_without_proof_gets_no_ticket_but_how_to_ask(desk) -> None:  # type: ignore[no-untyped-def]
    """Issue 24: following the digest's "send #queue NAME to support@..." without DKIM
    opened a customer ticket, acknowledged the agent as a customer, notified the team."""
    before = len(read_outgoing(desk.outgoing))
    ask(desk, "agent.en@example.com", "#queue unassigned\n", 1, trusted=False)
    wait_for(processed(3))
    assert Ticket.select().count() == 2  # no ticket for the agent
    [told] = wait_for(lambda: digests(desk, "agent.en@example.com"))
    assert len(read_outgoing(desk.outgoing)) == before + 1  # only the agent hears, no team
    text = " ".join(text_of(told).split())
    assert "did nothing and opened no ticket" in text
    assert "Unassigned (unassigned): 2 tickets" in text  # the queues to ask for
    own = told["Reply-To"].addresses[0].addr_spec
    assert own.startswith("support+0-a.")
    assert "no ticket opened" in Inbound.get(Inbound.id == 3).reason
    # writing to that address works without any Authentication-Results
    send_mail(desk, customer_mail(sender="agent.en@example.com", to=own, subject="Re: queues",
                                  body="#queue unassigned\n", message_id="<ask-2@example.com>"))
    wait_for(processed(4))
    [digest] = wait_for(lambda: [m for m in digests(desk, "agent.en@example.com")
                                 if m["Subject"] == "Queue “Unassigned”: 2 tickets"])
    assert "#1  Printer on fire" in text_of(digest)
    assert Ticket.select().count() == 2
    # anyone else writing to the agent's desk address is a customer writing to the desk:
    # no queue reaches them
    send_mail(desk, customer_mail(sender="mallory@evil.example", to=own, subject="queues",
                                  body="#queues\n", message_id="<ask-3@evil.example>"))
    wait_for(processed(5))
    assert not Outbox.select().where((Outbox.kind == "queue_digest")
                                     & (Outbox.recipient == "mallory@evil.example")).exists()


def answer_laptop_ticket(daemon: object, body: str, number: int) -> None:
    """agent.en answers the notification of ticket 2 ("Laptop dead") with `body`."""
    notification = next(m for m in mails_to(daemon, "agent.en@example.com")
                        if "Laptop dead" in m["Subject"])
    send_mail(daemon, customer_mail(sender="agent.en@example.com",
                                    to=notification["Reply-To"].addresses[0].addr_spec,
                                    subject=f"Re: {notification['Subject']}", body=body,
                                    message_id=f"<reply-{number}@example.com>"))


def test_queue_command_in_a_reply_to_a_notification(desk) -> None:  # type: ignore[no-untyped-def]
    answer_laptop_ticket(desk, "#priority high\n#queue unassigned\n", 1)
    [digest] = wait_for(lambda: digests(desk, "agent.en@example.com"))
    assert digest["Subject"] == "Queue “Unassigned”: 2 tickets"
    assert Ticket.get_by_id(2).priority == "high"


def test_the_digest_names_the_assignee_not_the_address(desk) -> None:  # type: ignore[no-untyped-def]
    answer_laptop_ticket(desk, "#assign me\n#status waiting_for_customer\n"
                               "#queue waiting-for-customer\n", 2)
    [digest] = wait_for(lambda: digests(desk, "agent.en@example.com"))
    line = next(line for line in text_of(digest).splitlines() if "·" in line)
    assert line.rstrip().endswith("· Support EN"), line
    assert "agent.en@example.com" not in line
    assert "· Support EN</span>" in html_of(digest)
