"""`postdesk customer show ADDR`: who a customer is and every ticket they took part in."""

from __future__ import annotations

import click

from postdesk.cli.context import Context, console, fail, pass_context
from postdesk.cli.json_output import echo_json


@click.group()
def customer() -> None:
    """One customer."""


@customer.command("show")
@click.argument("address")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True,
              help="At most this many tickets, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_context
def customer_show(obj: Context, address: str, limit: int, as_json: bool) -> None:
    """A customer and their ticket history (opened and copied on), newest first."""
    obj.open_database()
    from postdesk.tickets.customer_view import customer_detail

    detail = customer_detail(address, obj.statuses, limit=limit, sla=lambda: obj.sla)
    if detail is None:
        fail(f"no customer {address.strip().lower()}")
    if as_json:
        echo_json(detail)
        return
    from postdesk.cli.render_tickets import print_customer

    print_customer(console(), detail)
