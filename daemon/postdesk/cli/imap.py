"""`postdesk imap test NAME`: try an [[imap]] source without changing any mail."""

from __future__ import annotations

import click

from postdesk.cli.context import Context, console, err_console, fail, pass_context


@click.group()
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
    import asyncio

    from rich.text import Text

    from postdesk.channels.email.imap.check import probe
    from postdesk.channels.email.imap.client import ImapAuthError, ImapError, ImapFolderError
    from postdesk.channels.email.imap.state import peek_state
    from postdesk.store import db, migrations

    settings = obj.settings
    source = next((s for s in settings.imap if s.name == name), None)
    if source is None:
        known = ", ".join(s.name for s in settings.imap) or "none configured"
        fail(f"no [[imap]] source named {name!r} in {settings.source} ({known})")
    last_uid: int | None = None
    try:
        database = db.connect(settings.database_url, synchronous=settings.database.synchronous)
        with database.connection_context():
            migrations.migrate(database)
            state = peek_state(name)
        last_uid = state.last_uid if state is not None else None
    except Exception as exc:  # the mailbox can be tested without the database
        err_console().print(f"note: database not readable ({exc}); assuming a first run",
                            highlight=False)
    try:
        report = asyncio.run(probe(source, last_uid))
    except ImapAuthError as exc:
        fail(f"imap {name}: {exc}", 77)
    except ImapFolderError as exc:
        fail(f"imap {name}: {exc}", 78)
    except (ImapError, OSError) as exc:
        fail(f"imap {name}: {exc}", 69)
    for line in report:
        console().print(Text(line), soft_wrap=True)
