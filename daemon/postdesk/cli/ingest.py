"""`postdesk ingest`: one mail from an MTA pipe (or a file) into the desk, or a stored one again.

Exit status 0 only after the mail is committed; 75 (EX_TEMPFAIL) tells the MTA to
retry later, 67 means an unknown recipient, 65 an unusable mail.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

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


@click.command()
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
    from postdesk.errors import RejectMessage, TemporaryFailure
    from postdesk.store.inbound import Arrival, store_inbound

    settings = obj.settings
    obj.open_database()
    if replay is not None:
        _replay(settings, replay)
        return
    raw = file.read(settings.smtp.max_message_size + 1)
    if not raw.strip():
        fail("the mail is empty", EX_DATAERR)
    if len(raw) > settings.smtp.max_message_size:
        fail(f"the mail is larger than [smtp] max_message_size "
             f"({settings.smtp.max_message_size} bytes)", EX_DATAERR)
    recipients = recipient or (settings.desk.addresses[0],)
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
