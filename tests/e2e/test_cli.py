"""The `postdesk` command as an operator or an MTA pipe uses it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mailbuild import customer_mail
from postdesk.config.desk_init import init_desk

POSTDESK = str(Path(sys.executable).with_name("postdesk"))


def run(config: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTDESK_")}
    return subprocess.run([POSTDESK, "--config", str(config), *args], input=stdin,
                          capture_output=True, timeout=60, env=env)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return init_desk(tmp_path / "desk")


def test_pipe_ingest_then_replay_creates_ticket_and_acknowledgment(config: Path) -> None:
    stored = run(config, "ingest", "-f", "zoe@customer.example", stdin=customer_mail().as_bytes())
    assert stored.returncode == 0, stored.stderr
    assert b"stored as inbound 1" in stored.stderr
    pending = json.loads(run(config, "inbound", "--json").stdout)
    assert [(row["id"], row["state"]) for row in pending] == [(1, "pending")]

    replayed = run(config, "ingest", "--replay", "1")
    assert replayed.returncode == 0, replayed.stderr
    assert b"inbound 1: done ticket 1" in replayed.stdout

    tickets = json.loads(run(config, "tickets", "--json").stdout)
    assert len(tickets) == 1
    ticket = tickets[0]
    assert set(ticket) >= {"id", "subject", "status", "requester", "created_at", "updated_at",
                           "message_count"}
    assert ticket["subject"] == "Printer on fire"
    assert ticket["requester"]["email"] == "zoe@customer.example"
    assert ticket["message_count"] == 1
    outgoing = list((config.parent / "var" / "outgoing").glob("*.eml"))
    assert len(outgoing) == 1 and b"Subject: [#1] Printer on fire" in outgoing[0].read_bytes()

    shown = json.loads(run(config, "ticket", "show", "1", "--json").stdout)
    assert set(shown) >= {"id", "subject", "status", "public_status", "priority", "requester",
                          "participants", "assignee", "messages"}
    assert shown["public_status"] == "Received"
    [message] = shown["messages"]
    assert message["direction"] == "in" and message["visibility"] == "public"
    assert "printer is on fire" in message["text"]
    assert set(message) >= {"id", "author_email", "text", "created_at", "attachments"}

    table = run(config, "tickets")
    assert table.returncode == 0 and b"Printer on fire" in table.stdout
    thread = run(config, "ticket", "show", "1")
    assert b"printer is on fire" in thread.stdout and b"Received" in thread.stdout

    again = run(config, "ingest", "--replay", "1")
    assert again.returncode == 1 and b"processed already" in again.stderr


def test_pipe_ingest_exit_codes(config: Path) -> None:
    unknown = run(config, "ingest", "-r", "nobody@example.com", stdin=customer_mail().as_bytes())
    assert unknown.returncode == 67 and b"nobody@example.com" in unknown.stderr
    empty = run(config, "ingest", stdin=b"")
    assert empty.returncode == 65
    assert json.loads(run(config, "inbound", "--json").stdout) == []


def test_mail_without_sender_is_ticketed_unanswered_and_keeps_bytes(config: Path) -> None:
    # Issue 23: a mail with no sender anywhere is not failed but ticketed under the
    # "Unknown sender" customer, never acknowledged, with the reason on the inbound row.
    raw = b"Subject: no from\r\n\r\nwho am I?\r\n"
    assert run(config, "ingest", stdin=raw).returncode == 0
    replayed = run(config, "ingest", "--replay", "1")
    assert replayed.returncode == 0
    [row] = json.loads(run(config, "inbound", "--json").stdout)
    assert row["state"] == "done" and "no sender address" in row["reason"]
    [ticket] = json.loads(run(config, "tickets", "--json").stdout)
    assert ticket["subject"] == "no from"
    assert json.loads(run(config, "inbound", "--failed", "--json").stdout) == []

    from postdesk.config.load import load_settings
    from postdesk.store import db
    from postdesk.store.models import Inbound

    settings = load_settings(config, environ={})
    with db.connect(settings.database_url).connection_context():
        assert Inbound.get_by_id(1).raw == raw


def test_bad_config_is_reported_with_file_and_line(config: Path) -> None:
    config.write_text(config.read_text().replace("[smtp]\n", "[smtp]\nmax_size = 5\n"))
    result = run(config, "tickets")
    assert result.returncode == 1
    assert f"{config}:".encode() in result.stderr and b"max_size" in result.stderr
    assert b"Traceback" not in result.stderr


def test_migrate_is_idempotent(config: Path) -> None:
    assert b"Created a new database" in run(config, "migrate").stdout
    assert b"up to date" in run(config, "migrate").stdout


def test_check_names_a_rules_typo_with_file_and_line(config: Path) -> None:
    rules = config.parent / "rules" / "automation.yaml"
    text = rules.read_text()
    line = text.splitlines().index("      - set_status: in_progress") + 1
    rules.write_text(text.replace("- set_status: in_progress", "- set_stauts: in_progress"))
    result = run(config, "check")
    assert result.returncode == 1
    assert (f"rules/automation.yaml:{line}: unknown action 'set_stauts' "
            "(did you mean 'set_status'?)").encode() in result.stderr
    rules.write_text(text)
    healthy = run(config, "check")
    assert healthy.returncode == 0 and b"ok rules: 18 automations" in healthy.stdout


def test_check_names_the_empty_chat_key_of_the_shipped_sections(config: Path) -> None:
    """The shipped postdesk.toml has [slack], [teams] and [matrix] with empty keys: check
    names the key that keeps a platform off instead of saying the section is missing."""
    fresh = run(config, "check")
    assert fresh.returncode == 0, fresh.stderr
    assert (b"ok chat: off (postdesk.toml has no [slack] bot_token, no [teams] app_id, "
            b"no [matrix] homeserver and [matrix] access_token)") in fresh.stdout

    toml = config.read_text()
    config.write_text(toml.replace('[matrix]\n', '[matrix]\naccess_token = "syt_x"\n', 1)
                      .replace('access_token = ""\n', "", 1))
    channels = config.parent / "rules" / "channels.yaml"
    channels.write_text(channels.read_text().replace(
        "channels: []", 'channels:\n  - {platform: matrix, channel: "!help:example.org", '
        "mode: help}", 1))
    line = channels.read_text().splitlines().index("channels:") + 2
    half = run(config, "check")
    assert half.returncode == 0, half.stderr
    assert (f"rules/channels.yaml:{line}: matrix channel !help:example.org, but "
            "postdesk.toml has no [matrix] homeserver: the desk does not connect to "
            "matrix").encode() in half.stderr + half.stdout


def test_check_warns_of_a_help_channel_request_type_routing_lacks(config: Path) -> None:
    """A help channel's tickets would get a request type `#requesttype` refuses."""
    channels = config.parent / "rules" / "channels.yaml"
    channels.write_text(channels.read_text().replace(
        "channels: []", "channels:\n  - {platform: slack, channel: C1, mode: help, "
        "request_type: incident}\n  - {platform: slack, channel: C2, mode: help, "
        "request_type: hardware}", 1))
    line = channels.read_text().splitlines().index("channels:") + 2
    result = run(config, "check")
    assert result.returncode == 0, result.stderr
    said = (result.stderr + result.stdout).decode()
    assert (f"rules/channels.yaml:{line}: no request type 'incident' in rules/routing.yaml "
            "(it has access, billing, general, hardware, software)") in said
    assert "'hardware' in rules/routing.yaml" not in said


def test_rules_explain_and_rules_test(config: Path, tmp_path: Path) -> None:
    assert run(config, "ingest", stdin=customer_mail().as_bytes()).returncode == 0
    assert run(config, "ingest", "--replay", "1").returncode == 0
    explained = run(config, "rules", "explain", "1")
    assert explained.returncode == 0, explained.stderr
    lines = explained.stdout.decode().splitlines()
    assert any("ticket.created from customer" in line for line in lines)
    assert any("rule acknowledge-new-ticket (rules/automation.yaml:" in line
               and line.endswith("on ticket.created: matched") for line in lines)
    assert not any("rule customer-replied-resumes-work" in line for line in lines)
    assert any(line.startswith("  17 rules listen to other events: status.changed (6), "
                               "message.received (4), ")
               for line in lines)  # one line for them, not one each

    mail = tmp_path / "out-of-office.eml"
    mail.write_bytes(customer_mail(headers={"Auto-Submitted": "auto-replied"},
                                   message_id="<away@customer.example>").as_bytes())
    tried = run(config, "rules", "test", str(mail))
    assert tried.returncode == 0, tried.stderr
    out = tried.stdout.decode()
    assert "classified auto_reply: Auto-Submitted: auto-replied" in out
    # as the worker does it: an auto-reply that answers no ticket opens none (the old
    # `rules test` showed an acknowledgment the worker would never decide)
    assert "-> ignored by step auto-reply: no ticket" in out
    assert "  mail: none" in out
    assert "mail to the customer would be suppressed" in out
    assert json.loads(run(config, "tickets", "--json").stdout)[0]["id"] == 1  # nothing new


def test_branding_from_the_config_reaches_every_mail(config: Path, tmp_path: Path) -> None:
    text = config.read_text()
    text = text.replace('logo_url = ""', 'logo_url = "https://cdn.example.com/logo.png"')
    text = text.replace('signature = ""', 'signature = "The Example Support team"')
    text = text.replace('primary_colour = "#2563eb"', 'primary_colour = "#aa3300"')
    config.write_text(text)
    for template in ("acknowledgment", "agent_new_ticket", "status_changed"):
        out = tmp_path / f"{template}.html"
        assert run(config, "preview", template, "--html", "--out", str(out)).returncode == 0
        page = out.read_text()
        assert 'src="https://cdn.example.com/logo.png"' in page and 'alt="Example Support"' in page
        assert "#aa3300" in page and "The Example Support team" in page
        plain = run(config, "preview", template, "--lang", "de")
        assert b"The Example Support team" in plain.stdout


def test_ticket_views_show_the_desks_own_public_status_names(config: Path) -> None:
    statuses = config.parent / "rules" / "statuses.yaml"
    statuses.write_text(statuses.read_text().replace(
        "{name: new, public: Received, kind: open}", "{name: new, public: Opened, kind: open}"))
    assert run(config, "ingest", stdin=customer_mail().as_bytes()).returncode == 0
    assert run(config, "ingest", "--replay", "1").returncode == 0
    assert json.loads(run(config, "tickets", "--json").stdout)[0]["public_status"] == "Opened"
    assert json.loads(run(config, "ticket", "show", "1", "--json").stdout)["public_status"] \
        == "Opened"


def test_read_commands_print_no_log_chatter(config: Path) -> None:
    """A person reading tickets sees the table, not the desk's INFO log; -v shows it."""
    assert run(config, "ingest", "-f", "zoe@customer.example",
               stdin=customer_mail().as_bytes()).returncode == 0
    assert run(config, "ingest", "--replay", "1").returncode == 0
    quiet = run(config, "ticket", "show", "1")
    assert quiet.returncode == 0 and b"Printer on fire" in quiet.stdout
    assert quiet.stderr == b""
    chatty = run(config, "-v", "ticket", "show", "1")
    assert b"level=info" in chatty.stderr or b"level=debug" in chatty.stderr


def test_sla_show_and_recompute_of_a_stored_ticket(config: Path) -> None:
    assert run(config, "ingest", stdin=customer_mail().as_bytes()).returncode == 0
    assert run(config, "ingest", "--replay", "1").returncode == 0
    recomputed = run(config, "sla", "recompute")
    assert recomputed.returncode == 0, recomputed.stderr
    assert b"1 open tickets recomputed; 0 changed policy" in recomputed.stdout
    shown = run(config, "sla", "show", "1", "--json")
    assert shown.returncode == 0, shown.stderr
    clocks = json.loads(shown.stdout)
    assert (clocks["ticket"], clocks["status"], clocks["policy"]) == (1, "new", "standard")
    assert clocks["clocks"]["first_response"]["state"] == "running"
    assert clocks["fired"] == [] and clocks["next_at"] is not None
    missing = run(config, "sla", "show", "2")
    assert missing.returncode == 1 and b"no ticket #2" in missing.stderr


def test_tickets_status_is_checked_and_open_lists_every_open_ticket(config: Path) -> None:
    """Issue 24: `tickets --status opne` printed an empty list with exit 0."""
    for number in (1, 2):
        mail = customer_mail(message_id=f"<s{number}@customer.example>",
                             subject=f"Problem {number}")
        assert run(config, "ingest", "-f", "zoe@customer.example",
                   stdin=mail.as_bytes()).returncode == 0
        assert run(config, "ingest", "--replay", str(number)).returncode == 0
    from postdesk.config.load import load_settings
    from postdesk.store import db
    from postdesk.store.models import Ticket

    database = db.connect(load_settings(config, environ={}).database_url)
    with database.connection_context():
        Ticket.update(status="resolved").where(Ticket.id == 2).execute()
    database.close()
    typo = run(config, "tickets", "--status", "opne")
    assert typo.returncode == 1
    assert b"unknown status 'opne' (did you mean 'open'?); use one of new," in typo.stderr
    listed = json.loads(run(config, "tickets", "--status", "open", "--json").stdout)
    assert [t["id"] for t in listed] == [1]
    resolved = json.loads(run(config, "tickets", "--status", "resolved", "--json").stdout)
    assert [t["id"] for t in resolved] == [2]


def test_inbound_shows_message_id_and_envelope_recipient(config: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # Issue 27: what a Postfix operator greps for in its own log, next to our inbound id.
    monkeypatch.setenv("COLUMNS", "250")
    mail = customer_mail(message_id="<printer-7@customer.example>").as_bytes()
    assert run(config, "ingest", "-f", "zoe@customer.example", "-r", "support@example.com",
               stdin=mail).returncode == 0
    [row] = json.loads(run(config, "inbound", "--json").stdout)
    assert row["message_id"] == "<printer-7@customer.example>"
    assert row["rcpt_to"] == ["support@example.com"]
    listed = run(config, "inbound").stdout.decode()
    assert "printer-7@customer.example" in listed and "support@example.com" in listed
