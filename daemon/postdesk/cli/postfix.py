"""`postdesk postfix-maps`: the recipient table Postfix checks at RCPT, from `[desk]`."""

from __future__ import annotations

import click

from postdesk.cli.context import Context, pass_context


@click.command("postfix-maps")
@click.option("--type", "table_type", type=click.Choice(["regexp", "hash"]), default="regexp",
              show_default=True,
              help="regexp: use as it is; hash: run postmap on the file first.")
@pass_context
def postfix_maps(obj: Context, table_type: str) -> None:
    """Print a Postfix table of the desk's addresses, for relay_recipient_maps or
    local_recipient_maps, so that Postfix refuses unknown recipients at RCPT instead
    of bouncing them after the pipe (backscatter)."""
    from postdesk.channels.email.postfix_maps import recipient_table
    from postdesk.mail.address import alias_map

    desk = obj.settings.desk
    addresses = (*desk.addresses, *alias_map(desk.aliases))  # internal routing names too
    click.echo(recipient_table(addresses, catch_all=desk.catch_all, table_type=table_type),
               nl=False)
