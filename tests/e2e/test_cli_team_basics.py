"""The terminal basics a support team reaches for (issue 24): who works here, changing a
ticket as the operator, search, a customer's history, an attachment."""

from __future__ import annotations

import email
import getpass
import json
import os
import subprocess
import sys
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from mailbuild import customer_mail
from postdesk.config.desk_init import init_desk

POSTDESK = str(Path(sys.executable).with_name("postdesk"))
OPERATOR = f"operator:{getpass.getuser()}"
TEAMS = """teams:
  - name: support
    agents:
      - {email: agent.pl@example.com, name: "Support PL", language: pl, timezone: Europe/Warsaw}
      - {email: agent.en@example.com, name: "Support EN"}
  - name: hardware
    agents:
      - {email: agent.pl@example.com}
"""


def run(config: Path, *args: str, stdin: bytes | None = None,
        cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTDESK_")}
    env["COLUMNS"] = "200"  # a terminal wide enough that table cells are not folded
    return subprocess.run([POSTDESK, "--config", str(config), *args], input=stdin,
                          capture_output=True, timeout=60, env=env, cwd=cwd)


def ok(config: Path, *args: str, **kwargs: object) -> str:
    done = run(config, *args, **kwargs)  # type: ignore[arg-type]
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode()


def ingest(config: Path, mail: EmailMessage, number: int) -> None:
    ok(config, "ingest", stdin=mail.as_bytes())
    assert "done ticket" in ok(config, "ingest", "--replay", str(number))


def outgoing(config: Path) -> list[EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default)  # type: ignore[misc]
            for p in sorted((config.parent / "var" / "outgoing").glob("*.eml"))]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = init_desk(tmp_path / "desk")
    (path.parent / "rules" / "teams.yaml").write_text(TEAMS)
    return path


@pytest.fixture
def two_tickets(config: Path) -> Path:
    first = customer_mail(cc="Bob <bob@customer.example>", subject="Printer on fire")
    first.add_attachment(b"ERROR 42\n", maintype="text", subtype="plain", filename="error.log")
    ingest(config, first, 1)
    ingest(config, customer_mail(sender="Jan <jan@other.example>", subject="Scanner jammed",
                                 message_id="<jan@other.example>"), 2)
    return config


def test_agents_and_teams_say_who_works_where_with_language_zone_and_hours(config):
    agents = json.loads(ok(config, "agents", "--json"))
    assert [(a["email"], a["teams"], a["language"], a["timezone"]) for a in agents] == [
        ("agent.pl@example.com", ["support", "hardware"], "pl", "Europe/Warsaw"),
        ("agent.en@example.com", ["support"], "en", "UTC")]  # the desk's defaults filled in
    hours = agents[0]["hours"]
    assert hours["calendar"] == "office" and hours["timezone"] == "Europe/Warsaw"
    assert hours["week"].startswith("mon-thu 08:00-16:00; fri 08:00-12:00, 13:00-16:00")
    assert [a["email"] for a in json.loads(ok(config, "agents", "--team", "hardware",
                                               "--json"))] == ["agent.pl@example.com"]
    teams = json.loads(ok(config, "teams", "--json"))
    assert [(t["name"], t["agents"]) for t in teams] == [
        ("support", ["agent.pl@example.com", "agent.en@example.com"]),
        ("hardware", ["agent.pl@example.com"])]
    table = ok(config, "agents")
    assert "Support PL" in table and "Europe/Warsaw" in table
    unknown = run(config, "agents", "--team", "sales")
    assert unknown.returncode == 1 and b"no team 'sales'" in unknown.stderr


def test_operator_changes_go_through_the_agent_commands_and_are_audited(two_tickets):
    config = two_tickets
    assert "assigned" in ok(config, "ticket", "assign", "1", "hardware")
    ok(config, "ticket", "status", "1", "Waiting for customer")  # as agents may write it
    ok(config, "ticket", "priority", "1", "urgent")
    ok(config, "ticket", "note", "1", "called her, the printer is a Model X")
    shown = json.loads(ok(config, "ticket", "show", "1", "--json"))
    assert (shown["team"], shown["status"], shown["priority"]) == (
        "hardware", "waiting_for_customer", "urgent")
    actors = {e["kind"]: e["actor"] for e in shown["events"]}
    assert actors["assignee.changed"] == actors["status.changed"] == OPERATOR
    assert actors["priority.changed"] == actors["note.added"] == OPERATOR
    [note] = [m for m in shown["messages"] if m["visibility"] == "internal"]
    assert "Model X" in note["text"]
    assert not any("Model X" in str(m.get_body(("plain",)).get_content())
                   for m in outgoing(config)
                   if not m["To"].addresses[0].addr_spec.startswith("agent."))  # no customer

    bad = run(config, "ticket", "status", "1", "opne")
    assert bad.returncode == 1 and b"unknown status 'opne'" in bad.stderr
    assert b"in_progress" in bad.stderr  # the known ones are listed
    assert json.loads(ok(config, "ticket", "show", "1", "--json"))["status"] \
        == "waiting_for_customer"
    assert run(config, "ticket", "assign", "1", "nobody@else.example").returncode == 1
    assert run(config, "ticket", "status", "99", "resolved").returncode == 1

    ok(config, "ticket", "status", "1", "resolved")
    ok(config, "ticket", "reopen", "1")
    assert json.loads(ok(config, "ticket", "show", "1", "--json"))["status"] == "in_progress"


def test_operator_reply_reaches_the_requester_and_cc_from_the_support_address(two_tickets):
    config = two_tickets
    before = {m["Message-ID"] for m in outgoing(config)}
    ok(config, "ticket", "reply", "1", stdin=b"We are sending a technician.\n")
    sent = [m for m in outgoing(config) if m["Message-ID"] not in before]
    assert sorted(m["To"].addresses[0].addr_spec for m in sent) == [
        "bob@customer.example", "zoe@customer.example"]
    for mail in sent:
        assert mail["From"].addresses[0].addr_spec == "support@example.com"
        assert "We are sending a technician." in mail.get_body(("plain",)).get_content()
        assert mail["Subject"].startswith("[#1]")
    [message] = [m for m in json.loads(ok(config, "ticket", "show", "1", "--json"))["messages"]
                 if m["direction"] == "out"]
    assert message["visibility"] == "public" and message["author_email"] == OPERATOR


def test_operator_merge_moves_the_thread_and_keeps_a_pointer(two_tickets):
    config = two_tickets
    ok(config, "ticket", "merge", "2", "1")
    merged = json.loads(ok(config, "ticket", "show", "2", "--json"))
    target = json.loads(ok(config, "ticket", "show", "1", "--json"))
    assert merged["merged_into"] == 1 and merged["status"] == "closed"
    assert merged["messages"] == []
    assert any("Scanner" in m["subject"] for m in target["messages"])
    assert "jan@other.example" in [p["email"] for p in target["participants"]]
    assert "merged into #1" in ok(config, "ticket", "show", "2")
    same = run(config, "ticket", "merge", "1", "1")
    assert same.returncode == 1 and b"itself" in same.stderr


def test_tickets_filters_and_customer_history(two_tickets):
    config = two_tickets
    ok(config, "ticket", "assign", "2", "agent.en@example.com")
    ok(config, "ticket", "assign", "1", "hardware")

    def ids(*args: str) -> list[int]:
        return [t["id"] for t in json.loads(ok(config, "tickets", "--json", *args))]

    assert ids("--requester", "ZOE@customer.example") == [1]
    assert ids("--assignee", "agent.en@example.com") == [2]
    assert ids("--assignee", "none") == [1]
    assert ids("--team", "hardware") == [1]
    assert ids("--text", "SCANNER") == [2] and ids("--text", "jammed") == [2]
    assert ids("--since", "2000-01-01") == [2, 1] and ids("--until", "2000-01-01") == []
    assert ids("--requester", "jan@other.example", "--team", "hardware") == []
    assert "Scanner jammed" in ok(config, "tickets", "--assignee", "agent.en@example.com")
    bad = run(config, "tickets", "--since", "yesterday")
    assert bad.returncode == 2 and b"--since" in bad.stderr

    history = json.loads(ok(config, "customer", "show", "bob@customer.example", "--json"))
    assert history["email"] == "bob@customer.example"
    assert [(t["id"], t["role"]) for t in history["tickets"]] == [(1, "participant")]
    zoe = ok(config, "customer", "show", "zoe@customer.example")
    assert "Printer on fire" in zoe and "Scanner" not in zoe
    missing = run(config, "customer", "show", "nobody@example.org")
    assert missing.returncode == 1 and b"no customer nobody@example.org" in missing.stderr


def test_ticket_attachment_saves_the_file_and_never_overwrites_unasked(two_tickets, tmp_path):
    config = two_tickets
    assert run(config, "ticket", "attachment", "1", "error.log", "-o", "-").stdout \
        == b"ERROR 42\n"
    folder = tmp_path / "work"
    folder.mkdir()
    ok(config, "ticket", "attachment", "1", "error.log", cwd=folder)
    assert (folder / "error.log").read_bytes() == b"ERROR 42\n"
    again = run(config, "ticket", "attachment", "1", "error.log", cwd=folder)
    assert again.returncode == 1 and b"exists already" in again.stderr
    ok(config, "ticket", "attachment", "1", "error.log", "-o", str(folder / "copy.log"))
    assert (folder / "copy.log").read_bytes() == b"ERROR 42\n"
    missing = run(config, "ticket", "attachment", "1", "screenshot.png")
    assert missing.returncode == 1 and b"its attachments: error.log" in missing.stderr


def test_rules_explain_judges_each_event_by_the_facts_of_its_time(config):
    """A customer's second mail came while the ticket was unassigned: explained after the
    ticket was assigned, the team rule still matched then. A forged mail is said to be
    unverified, not "from customer"; rules listening to other events take one line."""
    ingest(config, customer_mail(), 1)
    ingest(config, customer_mail(subject="Re: Printer on fire", message_id="<second@c.example>",
                                 headers={"In-Reply-To": "<first@customer.example>"}), 2)
    ok(config, "ticket", "assign", "1", "agent.en@example.com")
    ingest(config, customer_mail(sender="Mallory <mallory@evil.example>",
                                 subject="Re: Printer on fire", message_id="<m@evil.example>",
                                 headers={"In-Reply-To": "<first@customer.example>"}), 3)
    out = ok(config, "rules", "explain", "1")
    blocks = [block for block in out.split("\n") if block and not block.startswith("  ")]
    assert len(blocks) >= 4, out  # created, two mails, the assignment
    assert "ticket.created from customer zoe@customer.example" in blocks[0]
    second = out[out.index(blocks[1]):out.index(blocks[2])]
    assert "message.received from customer zoe@customer.example" in blocks[1]
    assert any("rule tell-the-team-about-a-customer-reply" in line
               and line.endswith("on message.received: matched")
               for line in second.splitlines()), second
    forged = next(b for b in blocks if "mallory@evil.example" in b)
    assert "sender not verified" in forged and "from customer" not in forged
    assert "listens to" not in out
    assert all(line.count("rules listen to other events") <= 1 for line in out.splitlines())
    assert "rules listen to other events: " in second


ROUTES = """request_types:
  - {name: hardware, description: "Printers"}
routes:
  - {subject_contains: printer, request_type: hardware, team: hardware}
"""


def _database_bytes(config: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (config.parent / "var").glob("postdesk.db*")
            if not p.name.endswith("-shm")}


def test_rules_test_runs_the_workers_chain_and_keeps_nothing(config, tmp_path):
    """Routing gives the team, `--as agent` applies an agent's #status line, the rules'
    mail is listed; the database file is byte for byte what it was (issue 24)."""
    (config.parent / "rules" / "routing.yaml").write_text(ROUTES)
    ingest(config, customer_mail(subject="Scanner jammed"), 1)
    before = _database_bytes(config)
    assert before  # the SQLite file exists
    mail = tmp_path / "new.eml"
    mail.write_bytes(customer_mail(subject="My printer is on fire",
                                   message_id="<new@customer.example>").as_bytes())
    sent = len(outgoing(config))
    tried = ok(config, "rules", "test", str(mail))
    assert "-> done by step new ticket: ticket #2" in tried, tried
    assert "team hardware" in tried and "request type hardware" in tried
    assert "mail: acknowledgment to zoe@customer.example" in tried
    assert "mail: agent_new_ticket to agent.pl@example.com" in tried

    reply = tmp_path / "agent.eml"
    reply.write_bytes(customer_mail(sender="Support EN <agent.en@example.com>",
                                    subject="Re: [#1] Scanner jammed",
                                    body="#status resolved\n\nFixed it, the roller was stuck.\n",
                                    message_id="<agent@example.com>",
                                    headers={"In-Reply-To": "<first@customer.example>"})
                      .as_bytes())
    as_agent = ok(config, "rules", "test", "--as", "agent", str(reply))
    assert "ticket #1 after it: status resolved" in as_agent, as_agent
    assert "changed: status.changed new -> resolved" in as_agent
    assert "to zoe@customer.example" in as_agent  # the answer would reach the customer

    assert _database_bytes(config) == before  # nothing written
    shown = json.loads(ok(config, "ticket", "show", "1", "--json"))
    assert shown["status"] == "new" and len(shown["messages"]) == 1
    assert json.loads(ok(config, "tickets", "--json"))[0]["id"] == 1  # no ticket #2
    assert len(outgoing(config)) == sent  # and no mail went out
    stranger = run(config, "rules", "test", "--as", "agent", str(mail))
    assert stranger.returncode == 1
    assert b"--as agent: zoe@customer.example is not an agent" in stranger.stderr


def test_a_note_from_the_terminal_reaches_the_agents_as_a_mail_note_does(two_tickets):
    """`postdesk ticket note` tells the ticket's agents, like `#note` in an agent's mail;
    their reply goes to their note address, so it stays internal (issue 24)."""
    config = two_tickets
    ok(config, "ticket", "note", "1", "called her, the printer is a Model X")
    notes = [m for m in outgoing(config) if "Model X" in m.get_body(("plain",)).get_content()]
    assert sorted(m["To"].addresses[0].addr_spec for m in notes) == [
        "agent.en@example.com", "agent.pl@example.com"]
    for mail in notes:
        assert "+" in mail["Reply-To"].addresses[0].addr_spec  # the agent's note address
        assert OPERATOR in mail.get_body(("plain",)).get_content()  # who wrote it (pl or en)


MERGE_RULE = """
  - name: merge-jans-tickets
    on: ticket.created
    if: {sender: jan@other.example}
    then:
      - merge: {ticket: 1, status: resolved}
"""


def test_merge_as_a_rules_action_goes_through_the_merge_effect(config):
    """`merge` in automation.yaml does what `#merge 1` does: the thread moves into #1, the
    ticket stays as a pointer, and the change names the rule (issue 24)."""
    automation = config.parent / "rules" / "automation.yaml"
    automation.write_text(automation.read_text() + MERGE_RULE)
    assert "ok rules: 19 automations" in ok(config, "check")
    ingest(config, customer_mail(subject="Printer on fire"), 1)
    ingest(config, customer_mail(sender="Jan <jan@other.example>", subject="Scanner jammed",
                                 message_id="<jan@other.example>"), 2)
    merged = json.loads(ok(config, "ticket", "show", "2", "--json"))
    assert merged["merged_into"] == 1 and merged["status"] == "resolved"
    assert merged["messages"] == []
    target = json.loads(ok(config, "ticket", "show", "1", "--json"))
    assert [m["subject"] for m in target["messages"] if m["direction"] == "in"] == [
        "Printer on fire", "Scanner jammed"]
    assert "jan@other.example" in [p["email"] for p in target["participants"]]
    [event] = [e for e in merged["events"] if e["kind"] == "ticket.merged"]
    assert event["rule"] == "merge-jans-tickets" and event["data"]["into"] == 1
    broken = automation.read_text().replace("merge: {ticket: 1,", "merge: {ticket: one,")
    automation.write_text(broken)
    done = run(config, "check")
    assert done.returncode == 1 and b"expected a ticket number" in done.stderr


def test_operator_duplicate_links_and_the_original_closes_it_with_a_word_to_its_customer(
        two_tickets):
    config = two_tickets
    ok(config, "ticket", "duplicate", "2", "1")
    marked = json.loads(ok(config, "ticket", "show", "2", "--json"))
    assert marked["status"] == "new"  # open until the original is resolved (issue 21)
    assert "linked: duplicate_of #1" in ok(config, "ticket", "show", "2")
    assert {"other": 1, "kind": "duplicate_of"} in [
        e["data"] for e in marked["events"] if e["kind"] == "ticket.linked"]
    before = {m["Message-ID"] for m in outgoing(config)}
    ok(config, "ticket", "status", "1", "resolved")
    told = [m for m in outgoing(config) if m["Message-ID"] not in before
            and m["To"].addresses[0].addr_spec == "jan@other.example"]
    assert len(told) == 1 and told[0]["Subject"].startswith("[#2]")
    assert "same problem as ticket #1" in told[0].get_body(("plain",)).get_content()
    assert json.loads(ok(config, "ticket", "show", "2", "--json"))["status"] == "resolved"
