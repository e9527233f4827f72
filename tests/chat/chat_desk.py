"""A desk with chat rules, for the chat tests: rules/channels.yaml and rules/teams.yaml
written into a desk that `postdesk init` made."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from postdesk.config.runtime import Runtime
from postdesk.config.settings import Settings
from postdesk.store.db import database


def write_chat_rules(settings: Settings, channels: str, teams: str) -> None:
    """The desk's channels and teams rules."""
    rules = settings.path(settings.paths.rules)
    (rules / "channels.yaml").write_text(channels, encoding="utf-8")
    (rules / "teams.yaml").write_text(teams, encoding="utf-8")


def chat_runtime(database_url: str, make_settings: Callable[..., Settings], channels: str,
                 teams: str, **overrides: Any) -> Iterator[Runtime]:
    """The runtime of such a desk on `database_url`, connected for the test's thread."""
    settings = make_settings(database_url, **overrides)
    write_chat_rules(settings, channels, teams)
    with database.connection_context():
        yield Runtime(settings)
