"""`postdesk status [--json]`: is the desk healthy? Exit 0 if so, 1 if not.

For monitoring scripts and humans alike: the checks of `postdesk.serve.health`
(database, broker or daemon heartbeat, scheduler leader, the SMTP/LMTP
listeners and IMAP servers accepting, waiting and failed mail, IMAP sources)
with the thresholds of `[status]`. It only reads; it never migrates or
changes anything. It can run on any node, but the listeners it asks are this
node's: run it where `postdesk serve` runs.

Registered on the main command group by `register(main)`.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from postdesk.serve.health import Report, gather

console = Console(highlight=False)


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Check the desk: database, broker, scheduler, listeners, waiting and failed mail, IMAP.

    Exit status 0: the desk works (failed mails are listed as needing attention, see
    `postdesk inbound --failed`); 1: it cannot work (database, broker, listeners, a
    growing backlog or a failure rate; thresholds in [status]).
    """
    report = gather(ctx.obj.settings)
    if as_json:
        click.echo(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    else:
        print_report(console, report)
    sys.exit(0 if report.healthy else 1)


def print_report(out: Console, report: Report) -> None:
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(width=2)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for check in report.checks:
        mark = (Text("✗", style="bold red") if not check.ok
                else Text("!", style="bold yellow") if check.attention
                else Text("✓", style="green"))
        table.add_row(mark, check.name, Text(check.summary))
    out.print(table)
    verdict = (Text("healthy", style="bold green") if report.healthy
               else Text("UNHEALTHY", style="bold red"))
    if report.healthy and report.attention:  # name them: a chat connection is not mail
        names = ", ".join(check.name for check in report.checks if check.ok and check.attention)
        verdict.append(f" (needs attention: {names})", style="yellow")
    out.print(Text("postdesk: ").append(verdict))


def register(group: Any) -> None:
    group.add_command(status)
