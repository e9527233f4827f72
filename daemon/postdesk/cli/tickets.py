"""`postdesk tickets`, `postdesk ticket show` and `postdesk inbound`: the desk as it stands.

`tickets --json` prints every ticket (unless `--limit`), streamed as it is read;
the table shows the newest 50 by default and says on stderr when there are more.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from postdesk.cli.context import Context, console, err_console, fail, pass_context
from postdesk.cli.json_output import echo_json, echo_json_list

if TYPE_CHECKING:
    from postdesk.tickets.statuses import StatusBook

#: Tickets in the table when no --limit is given.
TABLE_LIMIT = 50
#: `--status open`: every ticket whose status is not of the closed kind.
OPEN_FILTER = "open"


@click.command()
@click.option("--status", default=None,
              help="Only tickets with this internal status; open: every status that is "
                   "not closed (resolved, closed).")
@click.option("--sort", type=click.Choice(["newest", "due"]), default="newest",
              show_default=True, help="due: the soonest SLA due time first, with the "
                                      "time left on each clock.")
@click.option("--limit", type=click.IntRange(min=0), default=None,
              help=f"At most this many (default: {TABLE_LIMIT} in the table, every ticket "
                   "with --json; 0: all).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_context
def tickets(obj: Context, status: str | None, sort: str, limit: int | None,
            as_json: bool) -> None:
    """List tickets, newest first (or by SLA due time)."""
    obj.open_database()
    from postdesk.tickets import views

    statuses = obj.statuses
    status_filter = status_choice(status, statuses)
    if as_json:
        echo_json_list(views.iter_ticket_summaries(status_filter, limit, statuses, sort=sort,
                                                   sla=lambda: obj.sla))
        return
    from postdesk.cli.render_tickets import tickets_table

    shown = TABLE_LIMIT if limit is None else limit
    # one more than shown tells whether the list was cut
    rows = views.ticket_summaries(status_filter, shown + 1 if shown else None, statuses, sort=sort,
                                  sla=lambda: obj.sla)
    cut = bool(shown) and len(rows) > shown
    console().print(tickets_table(rows[:shown] if cut else rows, with_sla=sort == "due"))
    if cut:
        from postdesk.store.ticket_listing import count_tickets

        total = count_tickets(status_filter)
        err_console().print(f"note: {shown} of {total} tickets shown; --limit N shows more "
                            "(0: all), --json lists them all", highlight=False)


def status_choice(written: str | None, statuses: StatusBook) -> str | tuple[str, ...] | None:
    """What `--status` selects: None (all), one status, or every open one for `open`;
    an unknown name fails, naming the statuses (a typo listed nothing, with exit 0)."""
    if written is None:
        return None
    if written in statuses.names:
        return written
    if written == OPEN_FILTER:
        return tuple(name for name in statuses.names if statuses.kind(name) != "closed")
    from postdesk.config.rulesfile import suggest

    known = (*statuses.names, OPEN_FILTER)
    fail(f"unknown status '{written}'{suggest(written, known)}; use one of "
         f"{', '.join(known)}")


@click.group()
def ticket() -> None:
    """One ticket."""


@ticket.command("show")
@click.argument("ticket_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_context
def ticket_show(obj: Context, ticket_id: int, as_json: bool) -> None:
    """Show a ticket and its thread."""
    obj.open_database()
    from postdesk.tickets import views

    detail = views.ticket_detail(ticket_id, statuses=obj.statuses, sla=lambda: obj.sla)
    if detail is None:
        fail(f"no ticket #{ticket_id}")
    if as_json:
        echo_json(detail)
        return
    from postdesk.cli.render_tickets import print_ticket

    print_ticket(console(), detail)


@click.command()
@click.option("--failed", is_flag=True, help="Only mails that could not be processed.")
@click.option("--ignored", is_flag=True, help="Only mails deliberately not acted on (loops...).")
@click.option("--limit", default=50, show_default=True, help="At most this many, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_context
def inbound(obj: Context, failed: bool, ignored: bool, limit: int, as_json: bool) -> None:
    """Arriving mail and what became of it."""
    obj.open_database()
    from postdesk.tickets import views

    states = tuple(s for s, on in (("failed", failed), ("ignored", ignored)) if on)
    rows = views.inbound_rows(states, limit=limit)
    if as_json:
        echo_json(rows)
        return
    from postdesk.cli.render_tickets import inbound_table

    console().print(inbound_table(rows))
