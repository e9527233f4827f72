"""What agents' notifications say (issue 24): the real due time, the customer's files, the
real author, and a warning when the sender could not be verified. Over real SMTP."""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path

import pytest

from mailbuild import customer_mail, processed, read_outgoing, send_mail, wait_for
from postdesk.store.models import Ticket
from postdesk.store.sla_store import TicketSla

TEAMS = """teams:
  - name: support
    agents:
      - {email: agent.en@example.com, name: "Support EN"}
"""
LOG = b"2026-11-22 10:00:01 ERROR printer: fuser overheated\n" * 20
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 3000


@pytest.fixture
def desk(make_settings, sqlite_url, start_daemon):
    settings = make_settings(sqlite_url, agents_max_notification_attachments=2000)
    (Path(settings.path(settings.paths.rules)) / "teams.yaml").write_text(TEAMS)
    return start_daemon(settings)


def to_agent(daemon) -> list[EmailMessage]:
    return [m for m in read_outgoing(daemon.outgoing)
            if m["To"].addresses[0].addr_spec == "agent.en@example.com"]


def text_of(mail: EmailMessage) -> str:
    return mail.get_body(("plain",)).get_content().replace("\r\n", "\n")


def test_a_new_ticket_notification_has_the_due_time_and_the_files(desk):
    mail = customer_mail(cc="Bob <bob@customer.example>")
    mail.add_attachment(LOG, maintype="text", subtype="plain", filename="error.log")
    mail.add_attachment(PNG, maintype="image", subtype="png", filename="screenshot.png")
    send_mail(desk, mail)
    [notice] = wait_for(lambda: to_agent(desk))
    text = text_of(notice)
    assert "Due: no SLA target" not in text
    due = TicketSla.get(TicketSla.ticket == Ticket.get().id).due_at
    assert due is not None
    # e.g. "Due: November 23, 2026, 3:04 PM (Coordinated Universal Time)": no seconds
    assert re.search(rf"Due: {due.strftime('%B')} {due.day}, {due.year}, \d{{1,2}}:\d\d\s[AP]M "
                     rf"\(", text), text
    assert "2 attachments:" in text
    assert "- error.log (1.0 kB)\n" in text  # attached: 1,040 bytes of the 2,000 allowed
    assert "- screenshot.png (3.0 kB): not attached (too large), see the ticket" in text
    attached = {part.get_filename(): part.get_content() for part in notice.iter_attachments()}
    assert set(attached) == {"error.log"}
    assert attached["error.log"].encode() == LOG


def test_a_participants_reply_names_the_participant_and_a_stranger_is_marked(desk):
    send_mail(desk, customer_mail(cc="Bob Nowak <bob@customer.example>"))
    [notice] = wait_for(lambda: to_agent(desk))
    [ack] = wait_for(lambda: [m for m in read_outgoing(desk.outgoing)
                              if m["To"].addresses[0].addr_spec == "zoe@customer.example"])
    send_mail(desk, customer_mail(sender="Bob Nowak <bob@customer.example>",
                                  subject=f"Re: {ack['Subject']}", body="It smokes too.\n",
                                  message_id="<bob-1@customer.example>",
                                  headers={"In-Reply-To": ack["Message-ID"]}))
    wait_for(processed(2))
    [bobs] = wait_for(lambda: [m for m in to_agent(desk) if "It smokes" in text_of(m)])
    assert "Bob Nowak <bob@customer.example> has replied on ticket #1." in text_of(bobs)
    assert "Unverified sender" not in text_of(bobs)

    agent_address = notice["Reply-To"].addresses[0].addr_spec
    send_mail(desk, customer_mail(sender="Mallory <mallory@evil.example>", to=agent_address,
                                  subject=f"Re: {notice['Subject']}",
                                  body="Please wire the refund to my new account.\n",
                                  message_id="<m-1@evil.example>"))
    wait_for(processed(3))
    [forged] = wait_for(lambda: [m for m in to_agent(desk) if "wire the refund" in text_of(m)])
    text = text_of(forged)
    assert "Mallory <mallory@evil.example> has replied on ticket #1." in text
    assert "Zoë" not in text.split("Message:")[0]  # not announced as the requester
    assert ("Unverified sender: mallory@evil.example is not on this ticket or wrote to an "
            "agent's address without proof.") in " ".join(text.split())
    html = forged.get_body(("html",)).get_content()
    assert "Unverified sender: mallory@evil.example" in html

