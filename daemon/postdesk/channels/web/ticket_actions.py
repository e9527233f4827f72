"""What the page's buttons do to a ticket ("This is solved", "Reopen"), in one transaction.

Each is the agent command of the same meaning, fixed here (nothing the customer
types becomes a command), recorded as done by ``customer:<address> via web``.
The requester's "This is solved" on a ticket the desk offered articles is the
one-click "this solved it" of issue 21 (the page is the confirmation page the
acknowledgment links to; opening it changes nothing, only the button's POST
does): resolved as self-served, as a "solved" reply is (`tickets.self_service`).
Returns the outbox rows the change queued, for the caller to dispatch.
"""

from __future__ import annotations

from postdesk.channels.web.page_data import within_reopen_window
from postdesk.config.runtime import Runtime
from postdesk.sla.tracking import catch_up
from postdesk.store.db import database, utcnow
from postdesk.store.models import Ticket
from postdesk.store.ticket_reads import ticket_by_id
from postdesk.tickets.operator import Operator, OperatorResult, apply_command
from postdesk.tickets.self_service import solved_by_link, suggested_articles
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
                operator = Operator(f"customer:{customer_email} via web", runtime, now, work)
                result = (self_served(ticket, customer_email, operator)
                          if action == SOLVED else None) or apply_command(
                    ticket, command_for(action, runtime), operator)
            if not result.problems:
                catch_up.mark(ticket_id, now)
        catch_up.after_commit(runtime)
    return result.problems, result.outbox_ids


def self_served(ticket: Ticket, customer_email: str, operator: Operator
                ) -> OperatorResult | None:
    """The requester's "This is solved" on an open ticket that was offered articles:
    resolved as self-served (`kb.self_served`, how "page"; the clocks met, a deflection in
    the reports). None when it is not that case: the plain status change applies."""
    if (customer_email.lower() != ticket.requester.email.lower()
            or operator.runtime.statuses.kind(ticket.status) == "closed"
            or not suggested_articles(ticket)):
        return None
    result = solved_by_link(ticket, operator, how="page")
    return None if result.problems else result
