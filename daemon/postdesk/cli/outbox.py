"""`postdesk outbox`: the outgoing queue as Postfix's postqueue and postsuper show it.

`outbox` lists what waits (with `--deferred` only what the relay deferred, with
`--failed` what was given up), each with its reason and next attempt; `outbox retry
ID|--all` sends again now; `outbox drop ID --reason TEXT` gives a mail up for good,
recorded on its ticket with who did it and why.
"""

from __future__ import annotations

import getpass
from typing import Any

import click

from postdesk.cli.context import Context, console, fail, pass_context


@click.group(invoke_without_command=True)
@click.option("--deferred", is_flag=True, help="Only mails the relay deferred (retrying).")
@click.option("--failed", is_flag=True, help="Only mails given up (failed, undeliverable).")
@click.option("--limit", default=100, show_default=True, help="At most this many, oldest first.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_context
def outbox(ctx: click.Context, deferred: bool, failed: bool, limit: int, as_json: bool) -> None:
    """Outgoing mail that waits or failed, with the reason and the next attempt."""
    if ctx.invoked_subcommand is not None:
        return
    if deferred and failed:
        fail("--deferred or --failed, not both")
    obj: Context = ctx.obj
    obj.open_database()
    from postdesk.store.outbox_admin import outbox_rows

    view = "deferred" if deferred else "failed" if failed else "waiting"
    rows = [_as_dict(row) for row in outbox_rows(view, limit)]
    if as_json:
        from postdesk.cli.json_output import echo_json

        echo_json(rows)
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"Outgoing mail, {view} ({len(rows)})", title_justify="left")
    for column in ("#", "Created", "To", "Kind", "State", "Tries", "Next attempt", "Ticket",
                   "Reason"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(str(row["id"]), _short(row["created_at"]), Text(row["recipient"]),
                      row["kind"], row["state"], str(row["attempts"]),
                      _short(row["next_attempt_at"]) if row["state"] == "pending" else "",
                      str(row["ticket"] or ""), Text(row["last_error"]))
    console().print(table)


def _as_dict(row: Any) -> dict[str, Any]:
    return {"id": row.id, "ticket": row.ticket_id, "kind": row.kind, "recipient": row.recipient,
            "state": row.state, "attempts": row.attempts,
            "next_attempt_at": row.next_attempt_at.isoformat(),
            "created_at": row.created_at.isoformat(), "last_error": row.last_error}


def _short(iso: str) -> str:
    return iso[:19].replace("T", " ")


@outbox.command()
@click.argument("outbox_id", type=int, required=False)
@click.option("--all", "every", is_flag=True, help="Every deferred and failed mail.")
@pass_context
def retry(obj: Context, outbox_id: int | None, every: bool) -> None:
    """Send a deferred or failed mail again now (the running desk sends it in seconds)."""
    if (outbox_id is None) == (not every):
        fail("name one mail (ID) or --all")
    obj.open_database()
    from postdesk.store.db import utcnow
    from postdesk.store.outbox_admin import retry as retry_rows

    changed = retry_rows(None if every else [outbox_id], utcnow())  # type: ignore[list-item]
    if outbox_id is not None and not changed:
        fail(f"outbox {outbox_id}: no deferred or failed mail with that id")
    console().print(f"{len(changed)} mails due again: {', '.join(map(str, changed)) or '-'}",
                    highlight=False)


@outbox.command()
@click.argument("outbox_id", type=int)
@click.option("--reason", required=True, help="Why (recorded on the ticket).")
@pass_context
def drop(obj: Context, outbox_id: int, reason: str) -> None:
    """Give a mail that was not sent up for good; the ticket records who and why."""
    obj.open_database()
    from postdesk.store.db import database, utcnow
    from postdesk.store.outbox_admin import drop as drop_row
    from postdesk.tickets import service

    who = f"operator:{getpass.getuser()}"
    with database.atomic():
        row = drop_row(outbox_id, f"dropped by {who}: {reason}")
        if row is None:
            fail(f"outbox {outbox_id}: no mail waiting or failed with that id")
        if row.ticket_id is not None:
            service.record_event(row.ticket_id, "mail.dropped",
                                 {"outbox": outbox_id, "to": row.recipient, "reason": reason},
                                 actor=who, now=utcnow())
    console().print(f"outbox {outbox_id} to {row.recipient} dropped", highlight=False)
