"""`postdesk ticket assign|status|priority|note|reply|reopen|merge|duplicate|revoke-links
ID ...`: change a ticket.

Each is the agent command of the same name (`postdesk ticket status 12 resolved`
is `#status resolved` in a reply to ticket 12), applied by the same code
(`postdesk.tickets.operator`) and recorded as done by `operator:<unix user>`.
One transaction per command; the mail it causes (a reply, rule notifications)
is sent at once after the commit, or by the running daemon's sweeper if
sending fails here. A wrong value changes nothing and exits 1 naming it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from postdesk.cli.context import Context, console, fail, pass_context

if TYPE_CHECKING:
    from postdesk.config.runtime import Runtime
    from postdesk.store.models import Ticket
    from postdesk.tickets.operator import Operator, OperatorResult

Action = Callable[["Ticket", "Operator"], "OperatorResult"]


def run_action(obj: Context, ticket_id: int, action: Action, done: str) -> None:
    """Apply `action` to the ticket in one transaction, then send what it queued."""
    import getpass

    obj.open_database()
    from postdesk.config import runtime as runtime_module
    from postdesk.sla.tracking import catch_up
    from postdesk.store.db import database, utcnow
    from postdesk.store.ticket_reads import ticket_by_id
    from postdesk.tickets.operator import Operator, operator_actor
    from postdesk.tickets.unit_of_work import UnitOfWork

    current = runtime_module.install(obj.runtime)
    now = utcnow()
    with database.atomic():  # fail() below raises SystemExit: everything rolls back
        ticket = ticket_by_id(ticket_id)
        if ticket is None:
            fail(f"no ticket #{ticket_id}")
        with UnitOfWork() as work:
            result = action(ticket, Operator(operator_actor(getpass.getuser()), current, now,
                                             work))
        if result.problems:
            fail("nothing changed: " + "; ".join(result.problems))
        catch_up.mark(ticket_id, now)
    catch_up.after_commit(current)
    _send(result.outbox_ids, current)
    console().print(f"ticket #{ticket_id}: {done}", highlight=False, soft_wrap=True)


def _send(outbox_ids: list[int], current: Runtime) -> None:
    """Send the mail now; what fails stays in the outbox for the daemon's sweeper."""
    from postdesk.channels.email.sender import send_outbox
    from postdesk.cli.context import err_console

    for outbox_id in outbox_ids:
        try:
            send_outbox(outbox_id, current)
        except Exception as exc:  # the row is kept: the daemon retries it
            err_console().print(f"note: mail {outbox_id} not sent yet ({exc}); the daemon "
                                "sends it", highlight=False)


def _command(word: str) -> Action:
    def act(ticket: Ticket, operator: Operator) -> OperatorResult:
        from postdesk.tickets.operator import apply_command

        return apply_command(ticket, word, operator)

    return act


@click.command("assign")
@click.argument("ticket_id", type=int)
@click.argument("to")
@pass_context
def assign(obj: Context, ticket_id: int, to: str) -> None:
    """Assign to a team (hardware), an agent (a@example.com) or nobody (none)."""
    run_action(obj, ticket_id, _command(f"#assign {to}"), f"assigned to {to}")


@click.command("status")
@click.argument("ticket_id", type=int)
@click.argument("status")
@pass_context
def status(obj: Context, ticket_id: int, status: str) -> None:
    """Set the internal status (rules/statuses.yaml)."""
    run_action(obj, ticket_id, _command(f"#status {status}"), f"status {status}")


@click.command("priority")
@click.argument("ticket_id", type=int)
@click.argument("priority")
@pass_context
def priority(obj: Context, ticket_id: int, priority: str) -> None:
    """Set the priority (low, normal, high, urgent)."""
    run_action(obj, ticket_id, _command(f"#priority {priority}"), f"priority {priority}")


@click.command("reopen")
@click.argument("ticket_id", type=int)
@pass_context
def reopen(obj: Context, ticket_id: int) -> None:
    """Back to in_progress."""
    run_action(obj, ticket_id, _command("#reopen"), "reopened")


@click.command("revoke-links")
@click.argument("ticket_id", type=int)
@pass_context
def revoke_links(obj: Context, ticket_id: int) -> None:
    """Refuse every link to the ticket's web page sent so far (and the sessions they
    opened); the next mail to the customer carries a new one."""
    def act(ticket: Ticket, operator: Operator) -> OperatorResult:
        from postdesk.tickets.operator import OperatorResult
        from postdesk.tickets.service import revoke_links as revoke

        revoke(ticket, actor=operator.actor, now=operator.now)
        return OperatorResult()

    run_action(obj, ticket_id, act, "links to the ticket's page revoked")


@click.command("merge")
@click.argument("ticket_id", type=int)
@click.argument("into", type=int)
@pass_context
def merge(obj: Context, ticket_id: int, into: int) -> None:
    """Move TICKET_ID's messages, people and attachments into ticket INTO; TICKET_ID is
    closed and its later mail threads into INTO."""
    run_action(obj, ticket_id, _command(f"#merge {into}"), f"merged into #{into}")


@click.command("duplicate")
@click.argument("ticket_id", type=int)
@click.argument("original", type=int)
@pass_context
def duplicate(obj: Context, ticket_id: int, original: int) -> None:
    """Confirm TICKET_ID as a duplicate of ORIGINAL (the agent command #duplicate N):
    it is linked and stays open; when ORIGINAL is resolved it is resolved too and its
    customer told (the shipped rule resolve-duplicates-with-original)."""
    run_action(obj, ticket_id, _command(f"#duplicate {original}"), f"duplicate of #{original}")


@click.command("note")
@click.argument("ticket_id", type=int)
@click.argument("text", required=False)
@pass_context
def note(obj: Context, ticket_id: int, text: str | None) -> None:
    """Add an internal note (TEXT, or stdin when not given); customers never see it."""
    body = _text(text)

    def act(ticket: Ticket, operator: Operator) -> OperatorResult:
        from postdesk.tickets.operator import add_note

        return add_note(ticket, body, operator)

    run_action(obj, ticket_id, act, "note added")


@click.command("reply")
@click.argument("ticket_id", type=int)
@click.argument("text", required=False)
@pass_context
def reply(obj: Context, ticket_id: int, text: str | None) -> None:
    """Answer the customer (and everyone in Cc) from the support address (TEXT, or stdin)."""
    body = _text(text)

    def act(ticket: Ticket, operator: Operator) -> OperatorResult:
        from postdesk.tickets.operator import reply as send_reply

        return send_reply(ticket, body, operator)

    run_action(obj, ticket_id, act, "reply sent")


def _text(text: str | None) -> str:
    body = (text if text is not None else sys.stdin.read()).strip()
    if not body:
        fail("the text is empty; give it as an argument or on stdin")
    return body
