"""What the page's buttons do to a ticket ("This is solved", "Reopen"), in one transaction.

Each is the agent command of the same meaning, fixed here (nothing the customer
types becomes a command), recorded as done by ``customer:<address> via web``.
Returns the outbox rows the change queued, for the caller to dispatch.
"""

from __future__ import annotations

from postdesk.channels.web.page_data import within_reopen_window
from postdesk.config.runtime import Runtime
from postdesk.sla.tracking import catch_up
from postdesk.store.db import database, utcnow
from postdesk.store.ticket_reads import ticket_by_id
from postdesk.tickets.operator import Operator, apply_command
from postdesk.tickets.unit_of_work import UnitOfWork

SOLVED = "solved"
REOPEN = "reopen"
#: the status a customer's "This is solved" sets, when the desk has it
SOLVED_STATUS = "resolved"


def command_for(action: str, runtime: Runtime) -> str:
    if action == REOPEN:
        return "#reopen"
    closed = runtime.statuses.names_of_kind("closed")
    return f"#status {SOLVED_STATUS if SOLVED_STATUS in closed else closed[0]}"


def apply_button(ticket_id: int, action: str, customer_email: str,
                 runtime: Runtime) -> tuple[list[str], list[int]]:
    """(problems, outbox ids) of pressing `action` on the ticket."""
    now = utcnow()
    with database.connection_context():
        with database.atomic():
            ticket = ticket_by_id(ticket_id)
            if ticket is None:
                return ["no such ticket"], []
            if action == REOPEN and not within_reopen_window(
                    ticket.updated_at, now, runtime.settings.tickets.reopen_days):
                return ["closed too long ago to reopen"], []
            with UnitOfWork() as work:
                result = apply_command(
                    ticket, command_for(action, runtime),
                    Operator(f"customer:{customer_email} via web", runtime, now, work))
            if not result.problems:
                catch_up.mark(ticket_id, now)
        catch_up.after_commit(runtime)
    return result.problems, result.outbox_ids
