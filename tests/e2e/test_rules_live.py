"""The shipped automations and live reload of rules/, over real SMTP (issue 5)."""

from __future__ import annotations

import time
from pathlib import Path

from mailbuild import customer_mail, processed, read_outgoing, wait_for
from mailbuild import send_mail as send
from postdesk.config import runtime
from postdesk.store.db import database, utcnow
from postdesk.store.models import Event, Ticket
from postdesk.tickets import service


def test_acknowledgment_comes_from_the_shipped_rule(make_settings, sqlite_url, start_daemon):
    daemon = start_daemon(make_settings(sqlite_url))
    send(daemon, customer_mail())
    [ack] = wait_for(lambda: read_outgoing(daemon.outgoing))
    assert ack["Subject"].startswith("[#1] ")
    event = Event.get(Event.kind == "notify.no_recipients")  # no team configured yet
    assert event.rule == "acknowledge-new-ticket"


def test_customer_reply_resumes_work_and_the_sla_clock(make_settings, sqlite_url, start_daemon):
    daemon = start_daemon(make_settings(sqlite_url))
    send(daemon, customer_mail())
    wait_for(lambda: read_outgoing(daemon.outgoing))
    ticket = Ticket.get()
    with database.atomic():
        service.set_status(ticket, "waiting_for_customer", actor="agent@example.com",
                           now=utcnow())
        service.change_ticket(ticket, "sla.paused", actor="agent@example.com", now=utcnow(),
                              sla_paused=True)
    send(daemon, customer_mail(subject=f"Re: [#{ticket.id}] Printer on fire",
                               body="Here is the serial number: 12345.\n",
                               message_id="<answer@customer.example>"))
    wait_for(processed(2))
    ticket = Ticket.get_by_id(ticket.id)
    assert ticket.status == "in_progress" and ticket.sla_paused is False
    change = (Event.select().where(Event.kind == "status.changed")
              .order_by(Event.id.desc()).get())
    assert change.data == {"old": "waiting_for_customer", "new": "in_progress"}
    assert change.rule == "customer-replied-resumes-work"
    from postdesk.tickets.views import ticket_detail

    detail = ticket_detail(ticket.id)
    assert any(e["rule"] == "customer-replied-resumes-work" for e in detail["events"])


TAGGING = """
rules:
  - name: tag-printers
    on: ticket.created
    if: {subject_contains: printer}
    then:
      - add_tag: printer
      - set_priority: high
  - name: acknowledge-new-ticket
    on: ticket.created
    then:
      - reply: acknowledgment
"""


def test_rules_reload_live_and_a_broken_edit_keeps_the_last_good_set(
        make_settings, sqlite_url, start_daemon):
    settings = make_settings(sqlite_url, broker_worker_processes=0, rules_reload_interval=1)
    daemon = start_daemon(settings)
    rules_file = Path(settings.path(settings.paths.rules)) / "automation.yaml"
    rules_file.write_text(TAGGING)
    time.sleep(1.2)
    send(daemon, customer_mail())
    wait_for(processed(1))
    ticket = Ticket.get()
    assert ticket.tags == ["printer"] and ticket.priority == "high"
    assert Event.get(Event.kind == "tags.changed").rule == "tag-printers"

    rules_file.write_text(TAGGING.replace("add_tag: printer", "add_tagg: printer"))
    time.sleep(1.2)
    send(daemon, customer_mail(message_id="<second@customer.example>",
                               sender="bob@customer.example"))
    wait_for(processed(2))
    second = Ticket.select().order_by(Ticket.id.desc()).get()
    assert second.tags == ["printer"]  # the last good rules are still in force
    error = runtime.current().live_rules.last_error
    line = TAGGING.splitlines().index("      - add_tag: printer") + 1
    assert error is not None and f"automation.yaml:{line}:" in error
    assert "unknown action 'add_tagg'" in error and "add_tag" in error
    wait_for(lambda: len(read_outgoing(daemon.outgoing)) == 2)


def test_waiting_seven_days_resolves_with_a_polite_notice(make_settings, sqlite_url,
                                                          start_daemon):
    from datetime import timedelta

    from postdesk.worker import schedule_scan

    daemon = start_daemon(make_settings(sqlite_url))
    send(daemon, customer_mail())
    wait_for(lambda: read_outgoing(daemon.outgoing))
    ticket = Ticket.get()
    with database.atomic():
        service.set_status(ticket, "waiting_for_customer", actor="agent@example.com",
                           now=utcnow() - timedelta(days=8))
    quiet = schedule_scan.scan(utcnow() - timedelta(days=2), runtime.current())
    assert quiet.changed == 0 and Ticket.get_by_id(ticket.id).status == "waiting_for_customer"
    result = schedule_scan.scan(utcnow(), runtime.current())
    assert result.changed == 1
    assert Ticket.get_by_id(ticket.id).status == "resolved"
    assert Event.get(Event.kind == "status.changed",
                     Event.rule == "resolve-after-7-days-without-reply")
    for outbox_id in result.outbox_ids:
        daemon.daemon.dispatcher.outgoing(outbox_id)
    [notice] = wait_for(lambda: [m for m in read_outgoing(daemon.outgoing)
                                 if "8 days" in m.get_body(("plain",)).get_content()
                                 or "7 days" in m.get_body(("plain",)).get_content()])
    assert notice["To"].addresses[0].addr_spec == "zoe@customer.example"
    assert schedule_scan.scan(utcnow(), runtime.current()).changed == 0  # once only


def test_queues_broken_before_their_first_use_keep_the_last_good_ones(make_settings,
                                                                      sqlite_url):
    from postdesk.config.runtime import Runtime
    from postdesk.serve.daemon import prepare

    settings = make_settings(sqlite_url, broker_worker_processes=0)
    queues = Path(settings.path(settings.paths.rules)) / "queues.yaml"
    shipped_names = set(Runtime(settings).queues.names)
    queues.write_text(queues.read_text().replace("\nqueues:\n",
                                                 "\nqueues:\n  - name: everything\n", 1))
    prepare(settings)  # the daemon starts: the queues are good
    broken = queues.read_text() + "  - name: [this is not yaml\n"
    queues.write_text(broken)

    fresh = Runtime(settings)  # a worker process that has not used the queues yet
    assert set(fresh.queues.names) == shipped_names | {"everything"}
    error = fresh.live_queues.last_error
    assert error is not None and error.startswith(
        f"rules/queues.yaml:{len(broken.splitlines()) + 1}: ")


def test_a_template_edit_that_does_not_parse_keeps_the_last_good_templates(
        make_settings, sqlite_url, start_daemon):
    settings = make_settings(sqlite_url, broker_worker_processes=0, rules_reload_interval=1)
    subject = Path(settings.path(settings.paths.templates)) / "email" / "acknowledgment.subject.j2"
    subject.parent.mkdir(parents=True, exist_ok=True)
    subject.write_text("Received: [#{{ ticket.id }}] {{ ticket.subject }}\n")
    daemon = start_daemon(settings)
    send(daemon, customer_mail())
    [first] = wait_for(lambda: read_outgoing(daemon.outgoing))
    assert first["Subject"] == "Received: [#1] Printer on fire"

    subject.write_text("Received: [#{{ ticket.id }] {{ ticket.subject }}\n")  # one brace short
    time.sleep(1.2)
    send(daemon, customer_mail(message_id="<second@customer.example>",
                               sender="bob@customer.example"))
    second = wait_for(lambda: [m for m in read_outgoing(daemon.outgoing)
                               if m["To"].addresses[0].addr_spec == "bob@customer.example"])
    assert second[0]["Subject"] == "Received: [#2] Printer on fire"  # the last good template
    error = runtime.current().live.templates.last_error
    assert error is not None and error.startswith("templates/email/acknowledgment.subject.j2:1: ")
