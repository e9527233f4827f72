"""What every `postdesk` command shares: the desk's settings and database, and one way to fail.

A command fails with a red `error: ...` line on stderr and an exit status that an
MTA or a script can act on (65, 67 and 75 are sysexits' EX_DATAERR, EX_NOUSER and
EX_TEMPFAIL). This module imports only click: the settings, the database driver,
the SLA policies and rich are loaded by the commands that use them, so that a
command starts in a fraction of a second (`bench/cli_startup.py`).
"""

from __future__ import annotations

import sys
from functools import cache, cached_property
from typing import TYPE_CHECKING, NoReturn

import click

if TYPE_CHECKING:
    from rich.console import Console

    from postdesk.config.runtime import Runtime
    from postdesk.config.settings import Settings
    from postdesk.sla.policy import SlaConfig
    from postdesk.tickets.statuses import StatusBook

EX_DATAERR = 65
EX_NOUSER = 67
EX_TEMPFAIL = 75


@cache
def console() -> Console:
    """The terminal on stdout, made on first use (importing rich costs a noticeable pause)."""
    from rich.console import Console

    return Console()


@cache
def err_console() -> Console:
    """The terminal on stderr, for notes that must not mix with what scripts read."""
    from rich.console import Console

    return Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    """Say what went wrong on stderr and exit with `code`."""
    from rich.text import Text

    line = Text("error: ", style="bold red")
    line.append(message)
    err_console().print(line, soft_wrap=True, highlight=False)
    sys.exit(code)


class Context:
    """The main group's options, and the desk they name, loaded when a command asks."""

    def __init__(self, config: str | None, verbose: bool = False) -> None:
        self.config = config
        self.verbose = verbose
        self._settings: Settings | None = None
        #: the exit status for a configuration that cannot be loaded; an MTA's pipe sets
        #: EX_TEMPFAIL, which Postfix defers (the operator's mistake must not bounce mail)
        self.config_exit_code = 1

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from postdesk.config.load import load_settings
            from postdesk.errors import ConfigError

            try:
                self._settings = load_settings(self.config)
            except ConfigError as exc:
                fail(str(exc), self.config_exit_code)
            from postdesk.store.driver import load_peewee

            load_peewee(self._settings.database_url)  # before any command reads the store
        return self._settings

    def start_logging(self) -> None:
        """A daemon's logs as [log] says (format, level, file)."""
        from postdesk import logs

        try:
            logs.configure_desk(self.settings, verbose=self.verbose)
        except OSError as exc:
            fail(f"cannot open the log file [log] file = {self.settings.log.file}: {exc}",
                 EX_TEMPFAIL)

    @cached_property
    def runtime(self) -> Runtime:
        """The desk's files as the daemon reads them (each one read when first asked for)."""
        from postdesk.config.runtime import Runtime

        return Runtime(self.settings)

    @property
    def statuses(self) -> StatusBook:
        """The desk's statuses, so tables show what its customers really see."""
        return self.runtime.statuses

    @property
    def sla(self) -> SlaConfig | None:
        """The desk's SLA policies (None: no rules/sla.yaml), for the live clocks."""
        from postdesk.config.live_sla import sla_config

        return sla_config(self.runtime)

    def open_database(self) -> None:
        """Connect to the desk's database and bring its schema up to date, or fail (75)."""
        settings = self.settings
        from postdesk.store import db, migrations

        database = db.connect(settings.database_url, synchronous=settings.database.synchronous)
        try:
            database.connect()
            migrations.migrate(database)
        except Exception as exc:
            fail(f"cannot open the database {settings.database.url}: {exc}", EX_TEMPFAIL)


pass_context = click.make_pass_decorator(Context)
