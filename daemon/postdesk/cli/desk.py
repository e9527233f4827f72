"""`postdesk init` and `postdesk migrate`: lay out a new desk, bring its database up to date."""

from __future__ import annotations

from pathlib import Path

import click

from postdesk.cli.context import Context, console, fail, pass_context


@click.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--domain", default="example.com", show_default=True,
              help="The desk's mail domain; the support address is support@DOMAIN.")
@click.option("--force", is_flag=True, help="Overwrite an existing postdesk.toml.")
def init(folder: Path, domain: str, force: bool) -> None:
    """Create a desk in FOLDER: postdesk.toml with a fresh secret, rules, templates, var/."""
    from rich.text import Text

    from postdesk.config.desk_init import init_desk
    from postdesk.errors import ConfigError

    try:
        config = init_desk(folder, domain=domain, force=force)
    except ConfigError as exc:
        fail(str(exc))
    console().print(Text(f"Desk created: {config}\nStart it with: postdesk --config {config} "
                         "serve"))


@click.command()
@pass_context
def migrate(obj: Context) -> None:
    """Apply database migrations (serve does this at start too)."""
    from postdesk.store import db, migrations

    settings = obj.settings
    database = db.connect(settings.database_url, synchronous=settings.database.synchronous)
    with database.connection_context():
        before, after = migrations.migrate(database)
    if before is None:
        console().print(f"Created a new database at schema version {after}.")
    elif before == after:
        console().print(f"The database is up to date (schema version {after}).")
    else:
        console().print(f"Migrated the database from schema version {before} to {after}.")
