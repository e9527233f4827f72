"""Agents work from their mail client (issue 7): notifications, replies, notes, commands."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from pathlib import Path

import pytest

from mailbuild import customer_mail, processed, read_outgoing, send_mail, wait_for
from postdesk.store.models import Event, Message, Ticket

TEAMS = """teams:
  - name: support
    agents:
      - {email: agent.pl@example.com, name: "Support PL", language: pl, timezone: Europe/Warsaw}
      - {email: agent.en@example.com, name: "Support EN"}
"""


@pytest.fixture
def desk(make_settings, sqlite_url, start_daemon):
    settings = make_settings(sqlite_url)
    (Path(settings.path(settings.paths.rules)) / "teams.yaml").write_text(TEAMS)
    daemon = start_daemon(settings)
    send_mail(daemon, customer_mail(cc="Bob <bob@customer.example>"))
    wait_for(lambda: len(read_outgoing(daemon.outgoing)) == 3)  # ack + two agents
    return daemon


def mails_to(daemon, address: str) -> list[EmailMessage]:
    return [m for m in read_outgoing(daemon.outgoing)
            if m["To"].addresses[0].addr_spec == address]


def text_of(mail: EmailMessage) -> str:
    return mail.get_body(("plain",)).get_content()


def agent_reply(daemon, agent: str, body: str, *, to: str | None = None,
                message_id: str = "<agent-1@example.com>") -> None:
    [notification] = mails_to(daemon, agent)
    reply = customer_mail(sender=agent, to=to or notification["Reply-To"].addresses[0].addr_spec,
                          subject=f"Re: {notification['Subject']}", body=body,
                          message_id=message_id,
                          headers={"In-Reply-To": notification["Message-ID"]})
    send_mail(daemon, reply)


QUOTE = "\n\nOn Sun, 22 Nov 2026, Example Support <support@example.com> wrote:\n> my printer\n"


def test_new_ticket_notifies_the_team_each_in_their_language(desk):
    [polish] = mails_to(desk, "agent.pl@example.com")
    [english] = mails_to(desk, "agent.en@example.com")
    assert polish["Content-Language"] == "pl" and english["Content-Language"] == "en"
    assert "my printer is on fire" in text_of(polish)
    assert polish["Reply-To"].addresses[0].addr_spec != english["Reply-To"].addresses[0].addr_spec
    assert polish["Auto-Submitted"] == "auto-generated"


def test_agent_reply_reaches_customer_and_participant_without_commands_or_history(desk):
    agent_reply(desk, "agent.en@example.com",
                "#status waiting_for_customer\nPlease send the serial number." + QUOTE)
    wait_for(processed(2))
    [answer] = wait_for(lambda: [m for m in mails_to(desk, "zoe@customer.example")
                                 if "serial number" in text_of(m)])
    text = text_of(answer)
    assert "#status" not in text and "> my printer" not in text
    assert answer["From"].addresses[0].display_name == "Support EN via Example Support"
    assert answer["From"].addresses[0].addr_spec == "support@example.com"
    assert answer["Auto-Submitted"] is None
    # one mail, the participant in Cc as in the customer's mail (issue 24: two mails
    # without Cc, so neither knew the other was told)
    assert [a.addr_spec for a in answer["Cc"].addresses] == ["bob@customer.example"]
    assert not [m for m in read_outgoing(desk.outgoing) if "serial number" in text_of(m)
                and m["Message-ID"] != answer["Message-ID"]]
    # and its References name only what the customers have seen: no agent notification
    notifications = {m["Message-ID"] for m in read_outgoing(desk.outgoing)
                     if m["To"].addresses[0].addr_spec.startswith("agent.")}
    assert notifications and not notifications & set(answer["References"].split())
    [ack] = [m for m in mails_to(desk, "zoe@customer.example")
             if m["Message-ID"] != answer["Message-ID"]]
    assert answer["References"].split() == ["<first@customer.example>", ack["Message-ID"]]
    ticket = Ticket.get()
    assert ticket.status == "waiting_for_customer"
    paused = Event.get(Event.kind == "sla.paused")
    assert paused.rule == "waiting-for-customer-pauses-sla"  # the shipped rule 2
    change = Event.get(Event.kind == "status.changed")
    assert change.actor == "agent.en@example.com" and change.rule is None


def test_internal_note_never_reaches_the_customer(desk):
    agent_reply(desk, "agent.en@example.com", "#note\nThe customer is a VIP, be quick." + QUOTE)
    wait_for(processed(2))
    [told] = wait_for(lambda: [m for m in mails_to(desk, "agent.pl@example.com")
                               if "VIP" in text_of(m)])
    for mail in read_outgoing(desk.outgoing):
        if mail["To"].addresses[0].addr_spec.endswith("@customer.example"):
            assert "VIP" not in mail.as_string()
    note = Message.get(Message.visibility == "internal")
    assert "VIP" in note.text and note.author_email == "agent.en@example.com"
    assert told["Content-Language"] == "pl"


def test_forged_from_gets_no_power(desk):
    [ack] = mails_to(desk, "zoe@customer.example")
    customer_address = ack["Reply-To"].addresses[0].addr_spec
    forged = customer_mail(sender="agent.en@example.com", to=customer_address,
                           subject=f"Re: {ack['Subject']}", body="#status resolved\nDone.\n",
                           message_id="<forged@evil.example>")
    send_mail(desk, forged)
    wait_for(processed(2))
    ticket = Ticket.get()
    assert ticket.status == "new"
    assert Event.get(Event.kind == "agent.not_authenticated").data["reason"]
    assert not [m for m in mails_to(desk, "zoe@customer.example") if "Done." in text_of(m)]


def test_wrong_command_changes_nothing_and_gets_one_error(desk):
    agent_reply(desk, "agent.en@example.com", "#stauts resolved\nAll fixed now.\n")
    wait_for(processed(2))
    [error] = wait_for(lambda: [m for m in mails_to(desk, "agent.en@example.com")
                                if "#stauts resolved" in text_of(m)])
    assert error["Content-Language"] == "en" and "unknown command" in text_of(error)
    # every command the desk knows, from its registry (issue 24: five were missing)
    listed = " ".join(text_of(error).split()).split("Commands: ")[1]
    for command in ("#untag", "#requesttype", "#silent", "#queue", "#queues", "#note",
                    "#status", "#assign", "#link", "#duplicate", "#language"):
        assert command in listed.replace(",", " ").split(), command
    assert len(mails_to(desk, "agent.en@example.com")) == 2  # one error reply, no more
    assert Ticket.get().status == "new"
    assert not [m for m in mails_to(desk, "zoe@customer.example") if "fixed" in text_of(m)]
    assert Event.get(Event.kind == "commands.rejected").actor == "agent.en@example.com"


def test_reply_to_another_agents_address_gets_no_power(desk):
    [polish] = mails_to(desk, "agent.pl@example.com")
    host, port = desk.address
    reply = customer_mail(sender="agent.en@example.com",
                          to=polish["Reply-To"].addresses[0].addr_spec,
                          subject=f"Re: {polish['Subject']}", body="#priority urgent\n",
                          message_id="<wrong-agent@example.com>")
    with smtplib.SMTP(host, port, timeout=10) as client:
        client.send_message(reply)
    wait_for(processed(2))
    assert Ticket.get().priority == "normal"


def notification_for(daemon, agent: str, ticket_id: int) -> EmailMessage:
    [found] = [m for m in mails_to(daemon, agent) if m["Subject"].startswith(f"[#{ticket_id}]")
               and "Reply-To" in m and "+" in m["Reply-To"].addresses[0].addr_spec]
    return found


def test_duplicate_is_resolved_and_its_requester_hears_when_the_original_is(desk):
    send_mail(desk, customer_mail(sender="Jan <jan@customer.example>",
                                  subject="Printer broken too",
                                  message_id="<jan@customer.example>"))
    wait_for(processed(2))
    duplicate = Ticket.get(Ticket.subject == "Printer broken too")
    wait_for(lambda: len(mails_to(desk, "agent.en@example.com")) == 2)
    for ticket_id, body, message_id in ((duplicate.id, "#duplicate-of 1\n", "<dup@example.com>"),
                                        (1, "#resolve\nThe printer is fixed.\n",
                                         "<fixed@example.com>")):
        notification = notification_for(desk, "agent.en@example.com", ticket_id)
        send_mail(desk, customer_mail(
            sender="agent.en@example.com", to=notification["Reply-To"].addresses[0].addr_spec,
            subject=f"Re: {notification['Subject']}", body=body, message_id=message_id))
        wait_for(processed(3 if ticket_id == duplicate.id else 4))
    assert Ticket.get_by_id(duplicate.id).status == "resolved"
    assert Ticket.get_by_id(1).status == "resolved"
    [solved] = wait_for(lambda: [m for m in mails_to(desk, "jan@customer.example")
                                 if "#1" in text_of(m) and m["Subject"].startswith(
                                     f"[#{duplicate.id}]")])
    assert "The printer is fixed." not in text_of(solved)  # not the other customer's thread
    # resolved with the original, by the shipped rule (the agent's #duplicate-of only links)
    assert Event.get(Event.kind == "status.changed", Event.ticket == duplicate.id,
                     Event.rule == "resolve-duplicates-with-original")


HARDWARE_TEAMS = TEAMS + """  - name: hardware
    agents:
      - {email: hw.de@example.com, name: "Hardware DE", language: de, timezone: Europe/Berlin}
"""
ROUTING = """request_types:
  - {name: general}
  - {name: hardware, description: "Printers", icon: printer}
routes:
  - {to: hardware@example.com, request_type: hardware, team: hardware}
  - {request_type: general, team: support}
"""


def test_routing_by_address_gives_type_and_team_and_only_that_team_hears(
        make_settings, sqlite_url, start_daemon):
    settings = make_settings(sqlite_url,
                             desk_addresses="support@example.com,hardware@example.com")
    rules = Path(settings.path(settings.paths.rules))
    (rules / "teams.yaml").write_text(HARDWARE_TEAMS)
    (rules / "routing.yaml").write_text(ROUTING)
    daemon = start_daemon(settings)
    send_mail(daemon, customer_mail(to="hardware@example.com", subject="Printer jammed"))
    [notice] = wait_for(lambda: mails_to(daemon, "hw.de@example.com"))
    ticket = Ticket.get()
    assert (ticket.request_type, ticket.team) == ("hardware", "hardware")
    assert notice["Content-Language"] == "de"
    [ack] = mails_to(daemon, "zoe@customer.example")
    assert ack["From"].addresses[0].addr_spec == "hardware@example.com"
    assert mails_to(daemon, "agent.en@example.com") == []


def test_catch_all_accepts_any_address_at_the_desk_domain(make_settings, sqlite_url,
                                                          start_daemon):
    daemon = start_daemon(make_settings(sqlite_url, desk_catch_all="true"))
    send_mail(daemon, customer_mail(to="billing@example.com"))
    wait_for(lambda: Ticket.select().count() == 1)
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send_mail(daemon, customer_mail(to="billing@elsewhere.example",
                                        message_id="<x@customer.example>"))


def test_teams_file_reloads_live_and_a_broken_edit_keeps_the_last_good_one(
        make_settings, sqlite_url, start_daemon):
    import time

    settings = make_settings(sqlite_url, broker_worker_processes=0, rules_reload_interval=1)
    teams = Path(settings.path(settings.paths.rules)) / "teams.yaml"
    teams.write_text(TEAMS)
    daemon = start_daemon(settings)
    send_mail(daemon, customer_mail())
    wait_for(lambda: mails_to(daemon, "agent.en@example.com"))
    teams.write_text(TEAMS.replace("agent.en@example.com", "agent.new@example.com"))
    time.sleep(1.2)
    send_mail(daemon, customer_mail(sender="jan@customer.example", message_id="<j@c.example>"))
    wait_for(lambda: mails_to(daemon, "agent.new@example.com"))
    teams.write_text(TEAMS.replace("timezone: Europe/Warsaw", "timezone: Europe/Warsow"))
    time.sleep(1.2)
    send_mail(daemon, customer_mail(sender="ola@customer.example", message_id="<o@c.example>"))
    wait_for(lambda: len(mails_to(daemon, "agent.new@example.com")) == 2)  # last good set
    from postdesk.config import runtime

    error = runtime.current().live_teams.last_error
    assert error is not None and "rules/teams.yaml:4:" in error and "Europe/Warsow" in error


ROUND_ROBIN = """rules:
  - name: share-new-tickets
    on: ticket.created
    then:
      - assign: support
  - name: tell-the-assignee
    on: assignee.changed
    then:
      - notify: {template: agent_new_ticket, to: assignee}
"""


def test_round_robin_assignment_within_a_team(make_settings, sqlite_url, start_daemon):
    settings = make_settings(sqlite_url)
    rules = Path(settings.path(settings.paths.rules))
    (rules / "teams.yaml").write_text(TEAMS)
    (rules / "automation.yaml").write_text(ROUND_ROBIN)
    daemon = start_daemon(settings)
    for number in range(4):
        send_mail(daemon, customer_mail(sender=f"c{number}@customer.example",
                                        message_id=f"<rr{number}@customer.example>"))
        wait_for(processed(number + 1))
    assignees = [t.assignee for t in Ticket.select().order_by(Ticket.id)]
    assert assignees == ["agent.pl@example.com", "agent.en@example.com"] * 2
    wait_for(lambda: len(mails_to(daemon, "agent.pl@example.com")) == 2
             and len(mails_to(daemon, "agent.en@example.com")) == 2)


def test_agent_attachments_reach_the_customer(desk):
    [notification] = mails_to(desk, "agent.en@example.com")
    reply = customer_mail(sender="agent.en@example.com",
                          to=notification["Reply-To"].addresses[0].addr_spec,
                          subject=f"Re: {notification['Subject']}",
                          body="Here is the manual.\n", message_id="<manual@example.com>")
    manual = b"%PDF-1.4 printer manual " * 100
    reply.add_attachment(manual, maintype="application", subtype="pdf",
                         filename="Instrukcja obsługi.pdf")
    send_mail(desk, reply)
    [answer] = wait_for(lambda: [m for m in mails_to(desk, "zoe@customer.example")
                                 if "the manual" in text_of(m)])
    [attached] = list(answer.iter_attachments())
    assert attached.get_filename() == "Instrukcja obsługi.pdf"
    assert attached.get_content() == manual


def test_dkim_signed_agent_mail_to_the_plain_address_has_powers(make_settings, sqlite_url,
                                                                start_daemon, tmp_path):
    import base64
    import subprocess

    import dkim

    from postdesk.config import runtime

    key = tmp_path / "dkim.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(key), "1024"], check=True,
                   capture_output=True)
    public = subprocess.run(["openssl", "rsa", "-in", str(key), "-pubout", "-outform", "DER"],
                            check=True, capture_output=True).stdout
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)

    settings = make_settings(sqlite_url, broker_worker_processes=0, agents_verify_dkim="true")
    (Path(settings.path(settings.paths.rules)) / "teams.yaml").write_text(TEAMS)
    daemon = start_daemon(settings)
    runtime.current().dkim_dns = (
        lambda name, timeout=5: record if name == b"s1._domainkey.example.com." else None)
    send_mail(daemon, customer_mail())
    [notification] = wait_for(lambda: mails_to(daemon, "agent.en@example.com"))

    def agent_mail(body: str, number: int, sign: bool) -> None:
        mail = customer_mail(sender="agent.en@example.com", to="support@example.com",
                             subject=f"Re: {notification['Subject']}", body=body,
                             message_id=f"<dkim-{number}@example.com>",
                             headers={"In-Reply-To": notification["Message-ID"]})
        raw = mail.as_bytes()
        if sign:
            raw = dkim.sign(raw, b"s1", b"example.com", key.read_bytes(),
                            include_headers=[b"from", b"to", b"subject", b"message-id"]) + raw
        host, port = daemon.address
        with smtplib.SMTP(host, port, timeout=10) as client:
            client.sendmail("agent.en@example.com", ["support@example.com"], raw)

    agent_mail("#priority urgent\n", 1, sign=False)
    wait_for(processed(2))
    assert Ticket.get().priority == "normal"  # unsigned: no power
    agent_mail("#priority high\n", 2, sign=True)
    wait_for(processed(3))
    assert Ticket.get().priority == "high"
    change = Event.get(Event.kind == "priority.changed")
    assert change.actor == "agent.en@example.com"


def test_reply_to_the_note_address_stays_internal(desk):
    import re

    [notification] = mails_to(desk, "agent.en@example.com")
    [note_address] = set(re.findall(r"support\+1-n\.[a-z0-9.]+-[a-z2-7]{16}@example\.com",
                                    text_of(notification)))
    send_mail(desk, customer_mail(sender="agent.en@example.com", to=note_address,
                                  subject=f"Re: {notification['Subject']}",
                                  body="Vendor says: fuser unit, arrives Tuesday.\n",
                                  message_id="<note-address@example.com>"))
    wait_for(processed(2))
    note = Message.get(Message.message_id == "note-address@example.com")
    assert note.visibility == "internal" and "fuser" in note.text
    wait_for(lambda: [m for m in mails_to(desk, "agent.pl@example.com") if "fuser" in text_of(m)])
    assert not [m for m in read_outgoing(desk.outgoing)
                if m["To"].addresses[0].addr_spec.endswith("@customer.example")
                and "fuser" in m.as_string()]


def test_customer_reply_reaches_the_team_then_only_the_assignee(desk):
    [ack] = mails_to(desk, "zoe@customer.example")
    reply_to = ack["Reply-To"].addresses[0].addr_spec
    send_mail(desk, customer_mail(to=reply_to, subject=f"Re: {ack['Subject']}",
                                  body="It smells of smoke now.\n",
                                  message_id="<smoke@customer.example>"))
    for agent in ("agent.pl@example.com", "agent.en@example.com"):
        wait_for(lambda agent=agent: [m for m in mails_to(desk, agent)
                                      if "smells of smoke" in text_of(m)])
    notification = mails_to(desk, "agent.en@example.com")[0]
    send_mail(desk, customer_mail(sender="agent.en@example.com",
                                  to=notification["Reply-To"].addresses[0].addr_spec,
                                  subject=f"Re: {notification['Subject']}", body="#assign me\n",
                                  message_id="<take@example.com>"))
    wait_for(processed(3))
    assert Ticket.get().assignee == "agent.en@example.com"
    send_mail(desk, customer_mail(to=reply_to, subject=f"Re: {ack['Subject']}",
                                  body="Now there are flames.\n",
                                  message_id="<flames@customer.example>"))
    wait_for(lambda: [m for m in mails_to(desk, "agent.en@example.com")
                      if "flames" in text_of(m)])
    wait_for(processed(4))
    assert not [m for m in mails_to(desk, "agent.pl@example.com") if "flames" in text_of(m)]


def test_links_of_html_mail_reach_both_parts_and_the_agent(desk):
    """Issue 24: an HTML-only reply reached the customer as "See our status page." with the
    URL in neither part, and a customer's "Link: help" reached agents without its URL."""
    [notification] = mails_to(desk, "agent.en@example.com")
    reply = customer_mail(sender="agent.en@example.com",
                          to=notification["Reply-To"].addresses[0].addr_spec,
                          subject=f"Re: {notification['Subject']}", message_id="<html@example.com>")
    reply.set_content('<p>See <a href="https://status.example.com/incident/42">our status '
                      'page</a>. Call <a href="tel:+48221234567">our hotline</a> or write to '
                      '<a href="mailto:billing@example.com">billing</a>.</p>', subtype="html")
    send_mail(desk, reply)
    wait_for(processed(2))
    [answer] = wait_for(lambda: [m for m in mails_to(desk, "zoe@customer.example")
                                 if "status page" in text_of(m)])
    text = text_of(answer)
    assert "our status page (https://status.example.com/incident/42)" in text
    assert "our hotline (tel:+48221234567)" in text
    assert "billing (mailto:billing@example.com)" in text
    html = answer.get_body(("html",)).get_content()
    assert '<a href="https://status.example.com/incident/42">' in html
    assert '<a href="tel:+48221234567">' in html and '<a href="mailto:billing@example.com">' in html

    question = customer_mail(sender="Zoë Kowalska <zoe@customer.example>",
                             subject=f"Re: {answer['Subject']}", message_id="<zoe-2@example.com>",
                             headers={"In-Reply-To": answer["Message-ID"]})
    question.set_content('<p>Link: <a href="https://help.example.net/a?b=1&amp;c=2">help</a></p>',
                         subtype="html")
    send_mail(desk, question)
    wait_for(processed(3))
    [told] = wait_for(lambda: [m for m in mails_to(desk, "agent.en@example.com")
                               if "Link: help" in text_of(m)])
    assert "Link: help (https://help.example.net/a?b=1&c=2)" in text_of(told)
    stored = Message.get(Message.text.contains("Link: help"))
    assert stored.text.startswith("Link: help (https://help.example.net/a?b=1&c=2)")


def test_assign_tells_the_new_assignee(desk):
    """Issue 24: `#assign` notified neither the new assignee nor the new team."""
    agent_reply(desk, "agent.en@example.com", "#assign agent.pl@example.com\n")
    wait_for(processed(2))
    [told] = wait_for(lambda: [m for m in mails_to(desk, "agent.pl@example.com")
                               if "Przypisane do Ciebie" in m["Subject"]])
    assert told["Subject"] == "[#1] Przypisane do Ciebie: Printer on fire"
    assert "Przypisano Ci zgłoszenie #1." in text_of(told)
    assert "+1-a." in told["Reply-To"].addresses[0].addr_spec  # her own address, to act on it
    assert Ticket.get().assignee == "agent.pl@example.com"


def test_a_reply_to_a_note_notification_stays_internal_unless_it_starts_with_public(desk):
    """The note notification's Reply-To used to be the agent's public reply address: an
    agent who pasted the history without quote markers relayed the note to the customer."""
    agent_reply(desk, "agent.en@example.com", "#note\nThe customer is a VIP, be quick." + QUOTE)
    wait_for(processed(2))
    [told] = wait_for(lambda: [m for m in mails_to(desk, "agent.pl@example.com")
                               if "VIP" in text_of(m)])
    reply_to = told["Reply-To"].addresses[0].addr_spec
    assert reply_to.startswith("support+1-n.")  # the note address of agent.pl
    assert "#public" in text_of(told) and "wewnętrzne" in text_of(told)  # said, in Polish
    pasted = ("Understood.\n\n-------- note --------\nThe customer is a VIP, be quick.\n")
    send_mail(desk, customer_mail(sender="agent.pl@example.com", to=reply_to,
                                  subject=f"Re: {told['Subject']}", body=pasted,
                                  message_id="<pasted@example.com>"))
    wait_for(processed(3))
    kept = Message.get(Message.message_id == "pasted@example.com")
    assert kept.visibility == "internal"
    send_mail(desk, customer_mail(sender="agent.pl@example.com", to=reply_to,
                                  subject=f"Re: {told['Subject']}",
                                  body="#public\nThe new fuser arrives on Tuesday.\n",
                                  message_id="<public@example.com>"))
    wait_for(processed(4))
    answer = Message.get(Message.message_id == "public@example.com")
    assert answer.visibility == "public" and "#public" not in answer.text
    wait_for(lambda: [m for m in mails_to(desk, "zoe@customer.example")
                      if "fuser arrives" in text_of(m)])
    for mail in read_outgoing(desk.outgoing):
        if mail["To"].addresses[0].addr_spec.endswith("@customer.example"):
            assert "VIP" not in mail.as_string()
