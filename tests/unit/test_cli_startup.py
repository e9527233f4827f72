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
