"""The `postdesk` command group: its options, and where each command lives.

Each command sits in the module of its group (`cli/tickets.py`, `cli/sla.py`, ...)
and is imported only when it runs (or when `--help` lists them all): a support
engineer who runs `postdesk ticket show` dozens of times a day, or a script that
calls `postdesk tickets --json` in a loop, should not wait for the daemon, the
renderer and the SLA calendars to load. `COMMANDS` is the one list of them.
"""

from __future__ import annotations

import click

from postdesk import __version__
from postdesk.cli.context import Context
from postdesk.cli.lazy import LazyCommands

#: command name -> "module:attribute" of its click command or group
COMMANDS: dict[str, str] = {
    "init": "postdesk.cli.desk:init",
    "migrate": "postdesk.cli.desk:migrate",
    "serve": "postdesk.cli.daemon:serve",
    "worker": "postdesk.cli.daemon:worker",
    "ingest": "postdesk.cli.ingest:ingest",
    "postfix-maps": "postdesk.cli.postfix:postfix_maps",
    "outbox": "postdesk.cli.outbox:outbox",
    "relay": "postdesk.cli.relay:relay",
    "tickets": "postdesk.cli.tickets:tickets",
    "ticket": "postdesk.cli.tickets:ticket",
    "inbound": "postdesk.cli.inbound:inbound",
    "agents": "postdesk.cli.people:agents",
    "teams": "postdesk.cli.people:teams",
    "customer": "postdesk.cli.customers:customer",
    "imap": "postdesk.cli.imap:imap",
    "check": "postdesk.cli.admin:check",
    "preview": "postdesk.cli.admin:preview",
    "status": "postdesk.cli.status:status",
    "queue": "postdesk.cli.queue:queue_command",
    "rules": "postdesk.cli.rules:rules_group",
    "sla": "postdesk.cli.sla:sla_group",
    "report": "postdesk.cli.report:report_group",
    "kb": "postdesk.cli.kb:kb_group",
}


@click.group(cls=LazyCommands, commands=COMMANDS,
             context_settings={"help_option_names": ["-h", "--help"]})
# no existence or readability checks: click would exit 2 (a usage error, which an
# MTA pipe bounces); load_settings names the file and each command picks its status
@click.option("--config", "-c", envvar="POSTDESK_CONFIG", type=click.Path(),
              help="The desk's postdesk.toml (default: $POSTDESK_CONFIG, ./postdesk.toml).")
@click.option("-v", "--verbose", is_flag=True, help="Log debugging detail.")
@click.version_option(version=__version__, prog_name="postdesk")
@click.pass_context
def main(ctx: click.Context, config: str | None, verbose: bool) -> None:
    """Postdesk: a help desk that lives in email."""
    from postdesk import logs
    from postdesk.config.settings import LogSettings

    # one-shot commands say only what went wrong (-v: everything); daemons read [log]
    logs.configure(LogSettings(level="warning"), verbose=verbose)
    ctx.obj = Context(config, verbose)


if __name__ == "__main__":  # pragma: no cover
    main()
