"""A command loads what it uses and no more, so that it starts quickly (issue 19; the times
are in bench/cli_startup.py: tests never time). Each run is a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from postdesk.cli.main import COMMANDS, main
from postdesk.config.desk_init import init_desk

#: What only some commands need: the daemon's, the renderer's, the SLA calendars', a
#: PostgreSQL desk's.
HEAVY = ("psycopg", "holidays", "jinja2", "babel", "dramatiq", "aiosmtpd", "rich",
         "postdesk.mail.classify", "postdesk.notify.render", "postdesk.automation",
         "postdesk.sla.loader")

RUN = """
import json, sys
from postdesk.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def loaded_by(*args: str) -> set[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTDESK_")}
    done = subprocess.run([sys.executable, "-c", RUN, *args], capture_output=True, env=env,
                          timeout=60)
    return set(json.loads(done.stderr.decode().strip().splitlines()[-1]))


def heavy(modules: set[str]) -> list[str]:
    return sorted(name for name in modules if name.split(".")[0] in HEAVY or name in HEAVY)


def test_version_loads_neither_the_store_nor_the_terminal_rendering() -> None:
    modules = loaded_by("--version")
    assert heavy(modules) == [] and "peewee" not in modules
    assert "importlib.metadata" not in modules  # the version comes from postdesk.__version__


def test_listing_an_sqlite_desk_loads_no_postgresql_driver_and_no_sla_engine(
        tmp_path: Path) -> None:
    config = init_desk(tmp_path / "desk")
    modules = loaded_by("--config", str(config), "tickets", "--json")
    assert "peewee" in modules  # it did read the database
    assert heavy(modules) == []


def test_every_command_is_found_and_listed_in_help() -> None:
    context = click.Context(main)
    for name in COMMANDS:
        assert isinstance(main.get_command(context, name), click.Command), name
    assert main.list_commands(context) == sorted(COMMANDS)
    listed = CliRunner().invoke(main, ["--help"]).output
    assert all(f"  {name} " in listed for name in COMMANDS), listed


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_command_has_its_own_help(name: str) -> None:
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: main {name} "), result.output


def _options_without_help(command: click.Command, path: str) -> list[str]:
    found = [f"{path} {param.opts[0]}" for param in command.params
             if isinstance(param, click.Option) and not param.help]
    if isinstance(command, click.Group):
        context = click.Context(command)
        for name in command.list_commands(context):
            sub = command.get_command(context, name)
            if sub is not None:
                found += _options_without_help(sub, f"{path} {name}")
    return found


def test_every_option_says_what_it_does() -> None:
    """Issue 24: `inbound --json` had no help."""
    context = click.Context(main)
    missing = [option for name in sorted(COMMANDS)
               for option in _options_without_help(main.get_command(context, name), name)]
    assert missing == []


def test_check_help_names_every_rules_file() -> None:
    """Issue 24: `check --help` said it validates only rules/statuses.yaml."""
    output = " ".join(CliRunner().invoke(main, ["check", "--help"]).output.split())
    assert "every file of rules/" in output and "statuses.yaml" not in output
