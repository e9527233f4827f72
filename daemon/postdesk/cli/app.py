"""The `postdesk` command: init, serve, worker, ingest, tickets, ticket, inbound, check, migrate."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from postdesk.config.settings import Settings, load_settings
from postdesk.errors import ConfigError, PostdeskError, RejectMessage, TemporaryFailure
from postdesk.store import db, migrations
from postdesk.tickets import views
from postdesk.tickets.statuses import StatusBook

EX_DATAERR = 65
EX_NOUSER = 67
EX_TEMPFAIL = 75

console = Console()
err_console = Console(stderr=True)


def _fail(message: str, code: int = 1) -> NoReturn:
    line = Text("error: ", style="bold red")
    line.append(message)
    err_console.print(line, soft_wrap=True, highlight=False)
    sys.exit(code)


class Context:
    def __init__(self, config: str | None, verbose: bool = False) -> None:
        self.config = config
        self.verbose = verbose
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings(self.config)
            except ConfigError as exc:
                _fail(str(exc))
        return self._settings

    def start_logging(self) -> None:
        """A daemon's logs as [log] says (format, level, file)."""
        from postdesk import logs

        try:
            logs.configure_desk(self.settings, verbose=self.verbose)
        except OSError as exc:
            _fail(f"cannot open the log file [log] file = {self.settings.log.file}: {exc}",
                  EX_TEMPFAIL)

    @property
    def statuses(self) -> StatusBook:
        """The desk's statuses, so tables show what its customers really see."""
        from postdesk.config.runtime import Runtime

        return Runtime(self.settings).statuses

    @property
    def sla(self) -> Any:
        """The desk's SLA policies (None: no rules/sla.yaml), for the live clocks."""
        from postdesk.config.live_sla import sla_config
        from postdesk.config.runtime import Runtime

        return sla_config(Runtime(self.settings))

    def open_database(self) -> None:
        settings = self.settings
        database = db.connect(settings.database_url, synchronous=settings.database.synchronous)
        try:
            database.connect()
            migrations.migrate(database)
        except Exception as exc:
            _fail(f"cannot open the database {settings.database.url}: {exc}", EX_TEMPFAIL)


pass_context = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "-c", envvar="POSTDESK_CONFIG", type=click.Path(dir_okay=False),
              help="The desk's postdesk.toml (default: $POSTDESK_CONFIG, ./postdesk.toml).")
@click.option("-v", "--verbose", is_flag=True, help="Log debugging detail.")
@click.version_option(package_name="postdesk")
@click.pass_context
def main(ctx: click.Context, config: str | None, verbose: bool) -> None:
    """Postdesk: a help desk that lives in email."""
    from postdesk import logs
    from postdesk.config.settings import LogSettings

    # one-shot commands say only what went wrong (-v: everything); daemons read [log]
    logs.configure(LogSettings(level="warning"), verbose=verbose)
    ctx.obj = Context(config, verbose)


@main.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--domain", default="example.com", show_default=True,
              help="The desk's mail domain; the support address is support@DOMAIN.")
@click.option("--force", is_flag=True, help="Overwrite an existing postdesk.toml.")
def init(folder: Path, domain: str, force: bool) -> None:
    """Create a desk in FOLDER: postdesk.toml with a fresh secret, rules, templates, var/."""
    from postdesk.config.desk_init import init_desk

    try:
        config = init_desk(folder, domain=domain, force=force)
    except ConfigError as exc:
        _fail(str(exc))
    console.print(Text(f"Desk created: {config}\nStart it with: postdesk --config {config} serve"))


@main.command()
@click.option("--no-worker", is_flag=True,
              help="Intake and sweeper only (workers run as 'postdesk worker'; not with the "
                   "embedded broker).")
@pass_context
def serve(obj: Context, no_worker: bool) -> None:
    """Run the daemon: SMTP/LMTP intake, sweeper and (embedded) worker."""
    from postdesk.serve.daemon import ServeOptions
    from postdesk.serve.daemon import serve as run

    settings = obj.settings
    if no_worker and settings.broker.url == "embedded":
        _fail("--no-worker needs [broker] url = redis://... or amqp://...: the embedded queue "
              "lives inside this process")
    obj.start_logging()
    try:
        asyncio.run(run(settings, ServeOptions(worker=not no_worker)))
    except OSError as exc:
        _fail(f"cannot start: {exc}", EX_TEMPFAIL)
    except PostdeskError as exc:
        _fail(str(exc))


@main.command()
@click.option("--processes", default=0, type=click.IntRange(min=0), show_default=True,
              help="Processes that do the CPU work (parsing, tickets, rendering, sending); "
                   "0: the worker threads do it in this process.")
@click.option("--threads", default=None, type=click.IntRange(min=1),
              help="Messages handled at once (default: [broker] worker_threads; with "
                   "--processes, enough to fill each process's batch of 32).")
@pass_context
def worker(obj: Context, processes: int, threads: int | None) -> None:
    """Consume the queue of an external broker (redis:// or amqp://)."""
    settings = obj.settings
    if settings.broker.url == "embedded":
        _fail("the embedded broker has no separate workers: 'postdesk serve' runs them")
    obj.start_logging()
    from postdesk.cli.worker import run_worker
    from postdesk.worker.pool import in_flight

    run_worker(settings, processes=processes,
               threads=threads or in_flight(settings.broker.worker_threads, processes))


@main.command()
@pass_context
def migrate(obj: Context) -> None:
    """Apply database migrations (serve does this at start too)."""
    settings = obj.settings
    database = db.connect(settings.database_url, synchronous=settings.database.synchronous)
    with database.connection_context():
        before, after = migrations.migrate(database)
    if before is None:
        console.print(f"Created a new database at schema version {after}.")
    elif before == after:
        console.print(f"The database is up to date (schema version {after}).")
    else:
        console.print(f"Migrated the database from schema version {before} to {after}.")


@main.command()
@click.argument("file", required=False, type=click.File("rb"), default="-")
@click.option("--sender", "-f", default=None, help="Envelope sender (MAIL FROM); '' for <>.")
@click.option("--recipient", "-r", multiple=True,
              help="Envelope recipient (repeatable); default: the first support address.")
@click.option("--replay", type=int, default=None, metavar="ID",
              help="Process the stored inbound mail ID again (after a fix), here and now.")
@pass_context
def ingest(obj: Context, file: Any, sender: str | None, recipient: tuple[str, ...],
           replay: int | None) -> None:
    """Store one mail from FILE or stdin (an MTA pipe); exit 0 only after it is committed.

    Exit status 75 (EX_TEMPFAIL) tells the MTA to retry later, 67 means an unknown
    recipient, 65 an unusable mail. The running daemon processes it within seconds.
    """
    from postdesk.channels.email.smtp import check_recipient
    from postdesk.store.inbound import Arrival, store_inbound

    settings = obj.settings
    obj.open_database()
    if replay is not None:
        _replay(settings, replay)
        return
    raw = file.read(settings.smtp.max_message_size + 1)
    if not raw.strip():
        _fail("the mail is empty", EX_DATAERR)
    if len(raw) > settings.smtp.max_message_size:
        _fail(f"the mail is larger than [smtp] max_message_size "
              f"({settings.smtp.max_message_size} bytes)", EX_DATAERR)
    recipients = recipient or (settings.desk.addresses[0],)
    for address in recipients:
        try:
            check_recipient(address, settings)
        except RejectMessage as exc:
            _fail(exc.text, EX_NOUSER)
    arrival = Arrival(raw=raw, mail_from=sender, rcpt_to=recipients, source="pipe",
                      peer=f"pid {os.getppid()}")
    try:
        inbound_id = store_inbound(arrival, dispatched=False)
    except TemporaryFailure as exc:
        _fail(str(exc), EX_TEMPFAIL)
    err_console.print(f"stored as inbound {inbound_id}", highlight=False)


def _replay(settings: Settings, inbound_id: int) -> None:
    from postdesk import logs
    from postdesk.channels.email.sender import send_outbox
    from postdesk.config import runtime
    from postdesk.store.inbound_replay import reset_for_replay, stored_inbound
    from postdesk.worker.process import process_inbound

    row = stored_inbound(inbound_id)
    if row is None:
        _fail(f"no inbound mail with id {inbound_id}")
    if row.state == "done":
        _fail(f"inbound {inbound_id} was processed already (ticket {row.ticket_id}); "
              "replaying it would duplicate its effects")
    reset_for_replay(inbound_id)
    current = runtime.install(runtime.Runtime(settings))
    with logs.log_context(inbound=inbound_id, ticket=row.ticket_id):
        outcome = process_inbound(inbound_id, current)
        for outbox_id in outcome.outbox_ids:
            with logs.log_context(outbox=outbox_id):
                send_outbox(outbox_id, current)
    detail = f" ticket {outcome.ticket_id}" if outcome.ticket_id else ""
    console.print(Text(f"inbound {inbound_id}: {outcome.state}{detail} {outcome.reason}".rstrip()),
                  soft_wrap=True)
    if outcome.state == "failed":
        sys.exit(1)


@main.command()
@click.option("--status", default=None, help="Only tickets with this internal status.")
@click.option("--sort", type=click.Choice(["newest", "due"]), default="newest",
              show_default=True, help="due: the soonest SLA due time first, with the "
                                      "time left on each clock.")
@click.option("--limit", default=50, show_default=True, help="At most this many.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_context
def tickets(obj: Context, status: str | None, sort: str, limit: int, as_json: bool) -> None:
    """List tickets, newest first (or by SLA due time)."""
    from postdesk.cli.render_sla import sla_cell

    obj.open_database()
    rows = views.ticket_summaries(status, limit=limit or None, statuses=obj.statuses,
                                  sort=sort, sla=obj.sla)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"Tickets ({len(rows)})", title_justify="left")
    columns = [("#", "bold"), ("Subject", ""), ("Status", "cyan"), ("Requester", ""),
               ("Msgs", ""), ("Updated", "dim")]
    if sort == "due":
        columns.insert(3, ("SLA (business time)", ""))
    for column, style in columns:
        table.add_column(column, style=style or None, overflow="fold",
                         justify="right" if column in ("#", "Msgs") else "left")
    for row in rows:
        requester = row["requester"]
        who = Text(f"{requester['name']} <{requester['email']}>" if requester["name"] else
                   requester["email"])
        if requester["bouncing"]:
            who.append(" (bouncing)", style="red")
        cells: list[Any] = [str(row["id"]), Text(row["subject"] or "(no subject)"),
                            row["status"], who, str(row["message_count"]),
                            (row["updated_at"] or "")[:16].replace("T", " ")]
        if sort == "due":
            cells.insert(3, sla_cell(row["sla"]))
        table.add_row(*cells)
    console.print(table)


@main.group()
def ticket() -> None:
    """One ticket."""


@ticket.command("show")
@click.argument("ticket_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_context
def ticket_show(obj: Context, ticket_id: int, as_json: bool) -> None:
    """Show a ticket and its thread."""
    obj.open_database()
    detail = views.ticket_detail(ticket_id, statuses=obj.statuses, sla=obj.sla)
    if detail is None:
        _fail(f"no ticket #{ticket_id}")
    if as_json:
        click.echo(json.dumps(detail, ensure_ascii=False, indent=2))
        return
    from postdesk.cli.render_tickets import print_ticket

    print_ticket(console, detail)


@main.command()
@click.option("--failed", is_flag=True, help="Only mails that could not be processed.")
@click.option("--ignored", is_flag=True, help="Only mails deliberately not acted on (loops...).")
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_context
def inbound(obj: Context, failed: bool, ignored: bool, limit: int, as_json: bool) -> None:
    """Arriving mail and what became of it."""
    obj.open_database()
    states = tuple(s for s, on in (("failed", failed), ("ignored", ignored)) if on)
    rows = views.inbound_rows(states, limit=limit)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"Inbound mail ({len(rows)})", title_justify="left")
    for column in ("#", "Received", "From", "State", "Ticket", "Reason"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(str(row["id"]), (row["received_at"] or "")[:19].replace("T", " "),
                      Text({None: "(unknown)", "": "<>"}.get(row["mail_from"], row["mail_from"])),
                      row["state"], str(row["ticket"] or ""), Text(row["reason"]))
    console.print(table)


@main.group()
def imap() -> None:
    """IMAP mailboxes ([[imap]] sources)."""


@imap.command("test")
@click.argument("name")
@pass_context
def imap_test(obj: Context, name: str) -> None:
    """Connect to the [[imap]] source NAME, open its folder and say what intake would do.

    Changes no mail. Exit status 77: login refused, 69: cannot connect or TLS
    failed, 78: folder missing.
    """
    from postdesk.channels.email.imap.check import probe
    from postdesk.channels.email.imap.client import ImapAuthError, ImapError, ImapFolderError
    from postdesk.channels.email.imap.state import peek_state

    settings = obj.settings
    source = next((s for s in settings.imap if s.name == name), None)
    if source is None:
        known = ", ".join(s.name for s in settings.imap) or "none configured"
        _fail(f"no [[imap]] source named {name!r} in {settings.source} ({known})")
    last_uid: int | None = None
    try:
        database = db.connect(settings.database_url, synchronous=settings.database.synchronous)
        with database.connection_context():
            migrations.migrate(database)
            state = peek_state(name)
        last_uid = state.last_uid if state is not None else None
    except Exception as exc:  # the mailbox can be tested without the database
        err_console.print(f"note: database not readable ({exc}); assuming a first run",
                          highlight=False)
    try:
        report = asyncio.run(probe(source, last_uid))
    except ImapAuthError as exc:
        _fail(f"imap {name}: {exc}", 77)
    except ImapFolderError as exc:
        _fail(f"imap {name}: {exc}", 78)
    except (ImapError, OSError) as exc:
        _fail(f"imap {name}: {exc}", 69)
    for line in report:
        console.print(Text(line), soft_wrap=True)


from postdesk.cli.admin import register as _register_admin  # noqa: E402
from postdesk.cli.queue import register as _register_queue  # noqa: E402
from postdesk.cli.report import register as _register_report  # noqa: E402
from postdesk.cli.rules import register as _register_rules  # noqa: E402
from postdesk.cli.sla import register as _register_sla  # noqa: E402
from postdesk.cli.status import register as _register_status  # noqa: E402

_register_admin(main)
_register_queue(main)
_register_rules(main)
_register_sla(main)
_register_status(main)
_register_report(main)

if __name__ == "__main__":  # pragma: no cover
    main()
