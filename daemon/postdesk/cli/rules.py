"""`postdesk rules explain ID` and `postdesk rules test FILE.eml`: rules after the fact and before.

`explain` replays a ticket's recorded events (created, the customer's mails,
status changes) against the rules in force now and says, per rule, whether
it matched and, if not, which condition failed. `test` runs a mail through
parsing, classification and the rules as a new ticket would, without
touching the database, and prints what would happen.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from postdesk.automation import (
    EventFacts,
    RuleContext,
    RuleSet,
    TicketFacts,
    Vocabulary,
    load_rules,
)
from postdesk.automation.explain import explain_run
from postdesk.config.settings import Settings
from postdesk.errors import RuleError
from postdesk.tickets.statuses import INITIAL_STATUS, load_statuses


def _rules(settings: Settings) -> RuleSet:
    book = load_statuses(settings.path(settings.paths.rules))
    try:
        return load_rules(settings.path(settings.paths.rules),
                          Vocabulary(statuses=frozenset(book.names)))
    except RuleError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)


def _print_run(event: EventFacts, ticket: TicketFacts, rules: RuleSet, now: datetime,
               settings: Settings) -> None:
    explanations, result = explain_run(
        rules, event, ticket, now, RuleContext(max_depth=settings.rules.max_depth))
    click.echo(f"{event.kind}" + (f" from {event.author_role}" if event.author_role else ""))
    for line in explanations:
        click.echo(f"  {line}")
    for effect in result.effects:
        params = ", ".join(f"{k}={v}" for k, v in effect.params.items() if k != "old")
        click.echo(f"  -> {effect.action}({params}) by rule {effect.rule}")
    for skipped in result.skipped:
        click.echo(f"  chain stopped at {skipped.event.kind}: {skipped.reason}")


@click.group("rules")
def rules_group() -> None:
    """Explain and try the automation rules."""


@rules_group.command("explain")
@click.argument("ticket_id", type=int)
@click.pass_obj
def explain_command(obj: Any, ticket_id: int) -> None:
    """Replay a ticket's events against the current rules and say why each rule (did not) fire."""
    from postdesk.mail.solved import is_solved
    from postdesk.store.ticket_history import message_by_id, ticket_events
    from postdesk.store.ticket_reads import ticket_by_id
    from postdesk.tickets.automation import facts_of

    settings: Settings = obj.settings
    obj.open_database()
    ticket = ticket_by_id(ticket_id)
    if ticket is None:
        click.echo(f"error: no ticket #{ticket_id}", err=True)
        sys.exit(1)
    rules = _rules(settings)
    facts = facts_of(ticket)
    for event in ticket_events(ticket.id):
        if event.kind == "status.changed":
            replay = EventFacts("status.changed", author_role="system",
                                old=event.data.get("old"), new=event.data.get("new"))
        elif event.kind in ("ticket.created", "message.received"):
            message = (message_by_id(event.data.get("message"))
                       if event.kind == "message.received" else None)
            if message is not None and message.visibility != "public":
                continue
            replay = EventFacts(
                event.kind, author_role="customer", author_email=event.actor,
                subject=ticket.subject, body=message.text if message is not None else "",
                solved_reader=is_solved)
        else:
            continue
        click.echo(f"{event.created_at:%Y-%m-%d %H:%M} ", nl=False)
        _print_run(replay, facts, rules, event.created_at, settings)


@rules_group.command("test")
@click.argument("mail", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "role", type=click.Choice(["customer", "agent"]), default="customer",
              show_default=True, help="Who the mail is from.")
@click.pass_obj
def test_command(obj: Any, mail: Path, role: str) -> None:
    """Run FILE.eml through parsing, classification and the rules; change nothing."""
    from postdesk.config.runtime import Runtime
    from postdesk.mail.classify import classify
    from postdesk.mail.parse import load_message, parse_loaded
    from postdesk.mail.sender_fallback import NO_SENDER_ADDRESS, is_unknown_sender, with_sender
    from postdesk.mail.solved import is_solved

    settings: Settings = obj.settings
    raw = mail.read_bytes()
    msg = load_message(raw, max_address_header=settings.limits.max_address_header)
    parsed = with_sender(parse_loaded(msg, max_depth=settings.limits.max_mime_depth,
                                      max_html_depth=settings.limits.max_html_depth), None)
    verdict = classify(msg, envelope_from=None, desk=Runtime(settings).identity)
    sender = parsed.sender.normalized if parsed.sender else ""
    click.echo(f"from {sender} (read from {parsed.sender_source}); subject {parsed.subject!r}")
    click.echo(f"classified {verdict.kind}: {verdict.reason or 'an ordinary mail'}; "
               f"automatic answer {'allowed' if verdict.may_auto_reply else 'not allowed'}")
    if is_unknown_sender(parsed):
        click.echo(f"-> ticketed under 'Unknown sender', never acknowledged: {NO_SENDER_ADDRESS}")
        return
    now = datetime.now(UTC)
    ticket = TicketFacts(
        id=0, status=INITIAL_STATUS, priority="normal", request_type=None, team=None,
        assignee=None, tags=frozenset(), requester_email=sender,
        requester_language=parsed.languages[0] if parsed.languages else None,
        created_at=now, status_changed_at=now, last_customer_message_at=now)
    event = EventFacts("ticket.created" if role == "customer" else "message.received",
                       author_role=role, author_email=sender, subject=parsed.subject,
                       body=parsed.text, has_attachment=bool(parsed.attachments),
                       solved_reader=is_solved)
    _print_run(event, ticket, _rules(settings), now, settings)
    if not verdict.may_auto_reply:
        click.echo("(mail to the customer would be suppressed: " + verdict.reason + ")")
