"""`postdesk rules explain ID` and `postdesk rules test FILE.eml`: rules after the fact and before.

`explain` takes each time the rules ran for a ticket, with the facts they saw
then (the snapshot the worker keeps, `automation.snapshot`: status, team,
assignee, tags... and who the author was, verified or not), runs the rules in
force now on them and says, per listening rule, whether it matched and, if
not, which condition failed; the rules that do not listen to the event are
summed up in one line. `test` runs a mail through
the worker's own chain (`postdesk.worker.trial`) in a transaction that is
rolled back, and prints what would have happened.
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
from postdesk.automation.explain import explain_run, not_listening
from postdesk.automation.snapshot import SNAPSHOT_EVENT, restore
from postdesk.cli.render_time import zoned
from postdesk.config.settings import Settings
from postdesk.errors import RuleError
from postdesk.tickets.statuses import load_statuses


def _rules(settings: Settings) -> RuleSet:
    book = load_statuses(settings.path(settings.paths.rules))
    try:
        return load_rules(settings.path(settings.paths.rules),
                          Vocabulary(statuses=frozenset(book.names)))
    except RuleError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)


def _author(event: EventFacts, sender: dict[str, Any] | None) -> str:
    """Who the event came from, as it was known then: a mail whose sender could not be
    verified says so (forged or not, it got no more than a customer's say)."""
    role, email = event.author_role, event.author_email
    if not role:
        return ""
    who = f" from {role}" + (f" {email}" if email and role != "system" else "")
    if sender is not None and not sender.get("verified", True):
        return (f" from {email}: sender not verified (not someone on the ticket, or an "
                f"agent's address without an agent's proof); handled as a {role}'s mail, "
                f"with no agent's powers")
    return who


def _context(settings: Settings, runtime: Any = None) -> RuleContext:
    """What the conditions need from the desk, as the worker gives it: with the knowledge
    base, so that `kb_match` is judged on the articles (in force now), not on none."""
    from postdesk.config.runtime import Runtime
    from postdesk.tickets.kb_answer import kb_matcher

    return RuleContext(max_depth=settings.rules.max_depth,
                       kb_best=kb_matcher(runtime if runtime is not None
                                          else Runtime(settings)))


def _print_run(event: EventFacts, ticket: TicketFacts, rules: RuleSet, now: datetime,
               context: RuleContext, *, sender: dict[str, Any] | None = None,
               note: str = "") -> None:
    explanations, result = explain_run(rules, event, ticket, now, context)
    click.echo(f"{event.kind}{_author(event, sender)}{note}")
    for line in explanations:
        if line.listens:
            click.echo(f"  {line}")
    others = not_listening(explanations)
    if others:
        click.echo(f"  {others}")
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
    """Judge each past event of a ticket by the facts the rules saw then, against the
    current rules, and say why each rule did (not) fire."""
    from postdesk.mail.solved import is_solved
    from postdesk.store.ticket_history import ticket_events
    from postdesk.store.ticket_reads import ticket_by_id

    settings: Settings = obj.settings
    obj.open_database()
    ticket = ticket_by_id(ticket_id)
    if ticket is None:
        click.echo(f"error: no ticket #{ticket_id}", err=True)
        sys.exit(1)
    rules = _rules(settings)
    context = _context(settings)
    events = ticket_events(ticket.id)
    if not any(event.kind == SNAPSHOT_EVENT for event in events):
        _replay_unrecorded(ticket, events, rules, context)
        return
    for event in events:
        if event.kind != SNAPSHOT_EVENT:
            continue
        seen, facts = restore(event.data, body=_message_text(event.data.get("message")),
                              solved_reader=is_solved)
        click.echo(f"{zoned(event.created_at, UTC)} ", nl=False)
        _print_run(seen, facts, rules, event.created_at, context,
                   sender=event.data.get("sender"))


def _message_text(message_id: int | None) -> str:
    from postdesk.store.ticket_history import message_by_id

    message = message_by_id(message_id)
    return message.text if message is not None else ""


def _replay_unrecorded(ticket: Any, events: list[Any], rules: RuleSet,
                       context: RuleContext) -> None:
    """A ticket from before the facts were recorded with its events: its events judged by
    the ticket as it is now, and said so."""
    from postdesk.mail.solved import is_solved
    from postdesk.store.ticket_history import message_by_id
    from postdesk.tickets.automation import facts_of

    facts = facts_of(ticket)
    note = " (no facts recorded then: judged by the ticket as it is now)"
    for event in events:
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
        click.echo(f"{zoned(event.created_at, UTC)} ", nl=False)
        _print_run(replay, facts, rules, event.created_at, context, note=note)


@rules_group.command("test")
@click.argument("mail", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "role", type=click.Choice(["customer", "agent"]), default="customer",
              show_default=True,
              help="Who the mail is from: agent takes its From as that agent's, proven "
                   "(its #commands apply).")
@click.option("--to", "recipient", default=None,
              help="The desk address it was written to (default: the first of [desk] "
                   "addresses).")
@click.pass_obj
def test_command(obj: Any, mail: Path, role: str, recipient: str | None) -> None:
    """Run FILE.eml through the worker's own chain (routing, an agent's #commands, the
    rules) in a transaction that is rolled back: say what would happen, keep nothing."""
    from postdesk.config.runtime import Runtime
    from postdesk.worker.trial import try_mail

    settings: Settings = obj.settings
    runtime = Runtime(settings)
    if role == "agent":
        _must_be_agent(mail, runtime)
    obj.open_database()
    trial = try_mail(mail.read_bytes(), runtime, as_agent=role == "agent",
                     recipient=recipient or settings.desk.addresses[0])
    if trial.arrived is None:
        click.echo(f"error: the mail cannot be read: {trial.error}", err=True)
        sys.exit(1)
    parsed, verdict = trial.arrived.parsed, trial.arrived.verdict
    sender = parsed.sender.normalized if parsed.sender else ""
    click.echo(f"from {sender} (read from {parsed.sender_source}); subject {parsed.subject!r}")
    click.echo(f"classified {verdict.kind}: {verdict.reason or 'an ordinary mail'}; "
               f"automatic answer {'allowed' if verdict.may_auto_reply else 'not allowed'}")
    outcome = trial.outcome
    assert outcome is not None
    where = f"ticket #{outcome.ticket_id}" if outcome.ticket_id is not None else "no ticket"
    click.echo(f"-> {outcome.state} by step {outcome.step}: {where}"
               + (f" ({outcome.reason})" if outcome.reason else ""))
    _print_trial_rules(trial, runtime, settings)
    if trial.ticket is not None:
        t = trial.ticket
        click.echo(f"ticket #{t['id']} after it: status {t['status']}, priority "
                   f"{t['priority']}, team {t['team'] or '-'}, assignee {t['assignee'] or '-'}"
                   f", request type {t['request_type'] or '-'}, tags "
                   f"{', '.join(t['tags']) or '-'}")
    for event in trial.events:
        if event.kind not in (SNAPSHOT_EVENT, "message.received", "ticket.created"):
            by = f"rule {event.rule}" if event.rule else event.actor
            click.echo(f"  changed: {event.kind} {_change(event.data)} (by {by})")
    for out in trial.mails:
        click.echo(f"  mail: {out.kind} to {out.recipient}")
    if not trial.mails:
        click.echo("  mail: none")
    if not verdict.may_auto_reply:
        click.echo("(mail to the customer would be suppressed: " + verdict.reason + ")")
    click.echo("nothing was kept: the transaction was rolled back, no mail was sent")


def _must_be_agent(mail: Path, runtime: Any) -> None:
    from email.utils import parseaddr

    from postdesk.mail.parse import load_message

    sender = parseaddr(str(load_message(mail.read_bytes()).get("From", "")))[1].lower()
    if runtime.teams.agent(sender) is None:
        click.echo(f"error: --as agent: {sender or 'the From address'} is not an agent in "
                   f"rules/teams.yaml", err=True)
        sys.exit(1)


def _change(data: dict[str, Any]) -> str:
    old, new = data.get("old"), data.get("new")
    if old is None and new is None:
        return ", ".join(f"{k}={v}" for k, v in data.items()) if data else ""
    return f"{old} -> {new}"


def _print_trial_rules(trial: Any, runtime: Any, settings: Settings) -> None:
    """Each time the rules ran in the trial, explained as `rules explain` does."""
    from postdesk.mail.solved import is_solved

    rules = runtime.rules
    context = _context(settings, runtime)
    for event in trial.events:
        if event.kind != SNAPSHOT_EVENT:
            continue
        seen, facts = restore(event.data,
                              body=trial.message_texts.get(event.data.get("message"), ""),
                              solved_reader=is_solved)
        _print_run(seen, facts, rules, trial.now, context, sender=event.data.get("sender"))
