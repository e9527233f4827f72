"""`postdesk relay test`: reach the outgoing relay as the desk does, and say what it saw."""

from __future__ import annotations

import click

from postdesk.cli.context import EX_TEMPFAIL, Context, console, fail, pass_context


@click.group()
def relay() -> None:
    """The outgoing relay ([outgoing] transport)."""


@relay.command("test")
@click.option("--to", "to", default=None, metavar="ADDR",
              help="Also send a short test mail to ADDR.")
@pass_context
def relay_test(obj: Context, to: str | None) -> None:
    """Connect (EHLO, STARTTLS, certificate, login) and optionally send a test mail;
    exit 75 when the relay cannot be reached or refuses."""
    from rich.text import Text

    from postdesk.channels.email.relay_probe import probe
    from postdesk.channels.email.sender import transport_of
    from postdesk.channels.email.transports import Envelope, SmtpTransport

    settings = obj.settings
    transport = transport_of(settings)
    if not isinstance(transport, SmtpTransport):
        fail(f"[outgoing] transport = {settings.outgoing.transport!r} is not an SMTP relay")
    try:
        for line in probe(transport):
            console().print(Text(line))
        if to:
            from postdesk.mail.compose import new_message_id

            sender = settings.desk.addresses[0]
            message_id = new_message_id(settings.desk.domain)
            raw = (f"From: {sender}\r\nTo: {to}\r\nSubject: Postdesk relay test\r\n"
                   f"Message-ID: <{message_id}>\r\nAuto-Submitted: auto-generated\r\n\r\n"
                   "A test of the outgoing relay (postdesk relay test).\r\n").encode()
            where = transport.send(raw, Envelope(sender, (to,)), message_id)
            console().print(Text(f"test mail to {to} accepted by {where}"))
    except Exception as exc:
        fail(f"relay {transport.host}:{transport.port}: {exc}", EX_TEMPFAIL)
