"""`postdesk tickets` and `postdesk ticket show`: the desk as it stands (`postdesk inbound`
is in `cli/inbound.py`).

`tickets --json` prints every ticket (unless `--limit`), streamed as it is read;
the table shows the newest 50 by default and says on stderr when there are more.
"""

from __future__ import annotations

import click

from postdesk.cli.context import Context, console, err_console, fail, pass_context
from postdesk.cli.json_output import echo_json, echo_json_list

#: Tickets in the table when no --limit is given.
TABLE_LIMIT = 50


@click.command()
@click.option("--status", default=None, help="Only tickets with this internal status.")
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
    if as_json:
        echo_json_list(views.iter_ticket_summaries(status, limit, statuses, sort=sort,
                                                   sla=lambda: obj.sla))
        return
    from postdesk.cli.render_tickets import tickets_table

    shown = TABLE_LIMIT if limit is None else limit
    # one more than shown tells whether the list was cut
    rows = views.ticket_summaries(status, shown + 1 if shown else None, statuses, sort=sort,
                                  sla=lambda: obj.sla)
    cut = bool(shown) and len(rows) > shown
    console().print(tickets_table(rows[:shown] if cut else rows, with_sla=sort == "due"))
    if cut:
        from postdesk.store.ticket_listing import count_tickets

        total = count_tickets(status)
        err_console().print(f"note: {shown} of {total} tickets shown; --limit N shows more "
                            "(0: all), --json lists them all", highlight=False)


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
