"""`postdesk inbound`: arriving mail and what became of it; `inbound dismiss`: set a failed
mail aside once someone has looked at it.

A dismissed mail keeps its state, reason and raw bytes (`postdesk ingest --replay
ID` still works); the row records who dismissed it, when and why, and `inbound
--failed` and `postdesk status` no longer count it.
"""

from __future__ import annotations

import getpass

import click

from postdesk.cli.context import Context, console, fail, pass_context
from postdesk.cli.json_output import echo_json


@click.group(invoke_without_command=True)
@click.option("--failed", is_flag=True, help="Only mails that could not be processed "
                                             "(not those dismissed, unless --dismissed).")
@click.option("--ignored", is_flag=True, help="Only mails deliberately not acted on (loops...).")
@click.option("--dismissed", is_flag=True, help="With --failed: also the dismissed ones.")
@click.option("--limit", default=50, show_default=True, help="At most this many, newest first.")
@click.option("--json", "as_json", is_flag=True,
              help="Print JSON for scripts: [{id, received_at, source, message_id, mail_from, "
                   "rcpt_to, "
                   "size, state, reason, attempts, ticket, dismissed}].")
@click.pass_context
def inbound(ctx: click.Context, failed: bool, ignored: bool, dismissed: bool, limit: int,
            as_json: bool) -> None:
    """Arriving mail and what became of it."""
    if ctx.invoked_subcommand is not None:
        return
    obj: Context = ctx.obj
    obj.open_database()
    from postdesk.tickets import views

    states = tuple(s for s, on in (("failed", failed), ("ignored", ignored)) if on)
    rows = views.inbound_rows(states, limit=limit, dismissed=dismissed or not failed)
    if as_json:
        echo_json(rows)
        return
    from postdesk.cli.render_tickets import inbound_table

    console().print(inbound_table(rows))


@inbound.command("dismiss")
@click.argument("inbound_id", metavar="ID", type=int)
@click.option("--reason", required=True, help="Why it needs no more attention (kept on the "
                                              "row).")
@click.option("--by", default=None, help="Who dismisses it (default: the login name).")
@pass_context
def dismiss(obj: Context, inbound_id: int, reason: str, by: str | None) -> None:
    """Set failed mail ID aside: kept with its bytes, no longer counted as failed."""
    if not reason.strip():
        fail("--reason must say why the mail needs no more attention")
    obj.open_database()
    from postdesk.store.db import utcnow
    from postdesk.store.inbound_dismissal import NotDismissable
    from postdesk.store.inbound_dismissal import dismiss as dismiss_mail

    who = by or _login_name()
    try:
        dismiss_mail(inbound_id, by=who, reason=reason.strip(), now=utcnow())
    except NotDismissable as exc:
        fail(str(exc))
    click.echo(f"inbound {inbound_id} dismissed by {who}: {reason.strip()}")


def _login_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (a container without a passwd entry)
        return "operator"
