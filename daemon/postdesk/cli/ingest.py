"""`postdesk ingest`: one mail from an MTA pipe (or a file) into the desk, or a stored one again.

Exit status 0 only after the mail is committed. Postfix's pipe bounces the mail on
every status but 75 (EX_TEMPFAIL) -- 78 (EX_CONFIG) too, as "5.3.5 local
configuration error" (tests/ops/test_postfix_recipes.py) -- so everything that is
the operator's to fix exits 75 and the mail waits in Postfix's queue: a
configuration that is missing, unreadable or wrong, a mistake in the arguments of
the `master.cf` entry, a database that cannot be reached, an error nobody
foresaw. Only what the sender got wrong bounces: 67 for a recipient this desk
does not answer for, 65 for an unusable mail.

Postfix's `${recipient}` expands to one argument per recipient (`-r a b`), so every
argument that looks like an address is a recipient; the mail comes on stdin.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import click

from postdesk.cli.context import (
    EX_DATAERR,
    EX_NOUSER,
    EX_TEMPFAIL,
    Context,
    console,
    err_console,
    fail,
    pass_context,
)

if TYPE_CHECKING:
    from postdesk.config.settings import Settings


class PipeUsageError(click.UsageError):
    exit_code = EX_TEMPFAIL


class PipeCommand(click.Command):
    """A command an MTA runs: a mistake in its arguments is the operator's, so it exits
    75 (EX_TEMPFAIL), which Postfix defers, instead of click's 2, which it bounces."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            raise PipeUsageError(exc.message, exc.ctx) from exc


@click.command(cls=PipeCommand)
@click.argument("arguments", nargs=-1, metavar="[FILE|-] [RCPT]...")
@click.option("--sender", "-f", default=None, help="Envelope sender (MAIL FROM); '' for <>.")
@click.option("--recipient", "-r", multiple=True,
              help="Envelope recipient (repeatable; further addresses after it count too); "
                   "default: the first support address.")
@click.option("--replay", type=int, default=None, metavar="ID",
              help="Process the stored inbound mail ID again (after a fix), here and now.")
@pass_context
def ingest(obj: Context, arguments: tuple[str, ...], sender: str | None,
           recipient: tuple[str, ...], replay: int | None) -> None:
    """Store one mail from FILE or stdin (an MTA pipe); exit 0 only after it is committed.

    Exit status 75 (EX_TEMPFAIL) tells the MTA to retry later (also for a missing or
    wrong configuration), 67 means an unknown recipient, 65 an unusable mail. The
    running daemon processes it within seconds.
    """
    obj.config_exit_code = EX_TEMPFAIL
    source, extra_recipients = split_arguments(arguments)
    try:
        _ingest(obj, source, (*recipient, *extra_recipients), sender, replay)
    except Exception as exc:
        fail(f"{type(exc).__name__}: {exc} (the MTA keeps the mail and retries)", EX_TEMPFAIL)


def split_arguments(arguments: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """The mail's source ('-' = stdin) and the recipients among the arguments.

    An argument with an '@' that is not an existing file is a recipient; at most one
    other argument names the file.
    """
    files = [arg for arg in arguments if "@" not in arg or os.path.exists(arg)]
    if len(files) > 1:
        raise PipeUsageError(f"more than one file to read: {', '.join(files)}",
                               click.get_current_context())
    recipients = tuple(arg for arg in arguments if arg not in files)
    return (files[0] if files else "-"), recipients


def _ingest(obj: Context, source: str, recipients: tuple[str, ...], sender: str | None,
            replay: int | None) -> None:
    from postdesk.channels.email.smtp import check_recipient
    from postdesk.errors import RejectMessage, TemporaryFailure
    from postdesk.store.inbound import Arrival, store_inbound

    settings = obj.settings
    obj.open_database()
    if replay is not None:
        _replay(settings, replay)
        return
    raw = _read_mail(source, settings.smtp.max_message_size + 1)
    if not raw.strip():
        fail("the mail is empty", EX_DATAERR)
    if len(raw) > settings.smtp.max_message_size:
        fail(f"the mail is larger than [smtp] max_message_size "
             f"({settings.smtp.max_message_size} bytes)", EX_DATAERR)
    recipients = recipients or (settings.desk.addresses[0],)
    for address in recipients:
        try:
            check_recipient(address, settings)
        except RejectMessage as exc:
            fail(exc.text, EX_NOUSER)
    arrival = Arrival(raw=raw, mail_from=sender, rcpt_to=recipients, source="pipe",
                      peer=f"pid {os.getppid()}")
    try:
        inbound_id = store_inbound(arrival, dispatched=False)
    except TemporaryFailure as exc:
        fail(str(exc), EX_TEMPFAIL)
    err_console().print(f"stored as inbound {inbound_id}", highlight=False)


def _read_mail(source: str, limit: int) -> bytes:
    if source == "-":
        return sys.stdin.buffer.read(limit)
    try:
        with open(source, "rb") as file:
            return file.read(limit)
    except OSError as exc:
        fail(f"cannot read {source}: {exc.strerror}", EX_DATAERR)


def _replay(settings: Settings, inbound_id: int) -> None:
    from rich.text import Text

    from postdesk import logs
    from postdesk.channels.email.sender import send_outbox
    from postdesk.config import runtime
    from postdesk.store.inbound_replay import reset_for_replay, stored_inbound
    from postdesk.worker.process import process_inbound

    row = stored_inbound(inbound_id)
    if row is None:
        fail(f"no inbound mail with id {inbound_id}")
    if row.state == "done":
        fail(f"inbound {inbound_id} was processed already (ticket {row.ticket_id}); "
             "replaying it would duplicate its effects")
    reset_for_replay(inbound_id)
    current = runtime.install(runtime.Runtime(settings))
    with logs.log_context(inbound=inbound_id, ticket=row.ticket_id):
        outcome = process_inbound(inbound_id, current)
        for outbox_id in outcome.outbox_ids:
            with logs.log_context(outbox=outbox_id):
                send_outbox(outbox_id, current)
    detail = f" ticket {outcome.ticket_id}" if outcome.ticket_id else ""
    console().print(Text(f"inbound {inbound_id}: {outcome.state}{detail} "
                         f"{outcome.reason}".rstrip()), soft_wrap=True)
    if outcome.state == "failed":
        sys.exit(1)
