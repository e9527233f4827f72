"""IMAP fixtures: a private Dovecot per test and desks with an [[imap]] source pointing at it.

Skipped locally when Dovecot is not installed; under CI=true that is a failure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import require_service
from imap.dovecot import PASSWORD, USER, Dovecot, available
from postdesk.config.desk_init import init_desk
from postdesk.config.settings import Settings

#: Capabilities of a server without IDLE, to exercise polling.
NO_IDLE = "IMAP4rev1 LITERAL+ SASL-IR ID ENABLE UIDPLUS MOVE NAMESPACE CHILDREN"


@pytest.fixture
def dovecot_factory() -> Iterator[Callable[..., Dovecot]]:
    reason = available()
    if reason:
        require_service("Dovecot", reason)
    started: list[Dovecot] = []

    def make(**options: Any) -> Dovecot:
        server = Dovecot(**options).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.cleanup()


@pytest.fixture
def dovecot(dovecot_factory: Callable[..., Dovecot]) -> Dovecot:
    return dovecot_factory()


def imap_table(server: Dovecot, **keys: Any) -> str:
    values: dict[str, Any] = {"name": "support", "host": "127.0.0.1", "port": server.port,
                              "tls": "off", "user": USER, "password": PASSWORD,
                              "address": "support@example.com", "poll_interval": 600}
    values.update(keys)
    lines = ["", "[[imap]]"]
    for key, value in values.items():
        lines.append(f"{key} = {value}" if isinstance(value, int) else f'{key} = "{value}"')
    return "\n".join(lines) + "\n"


@pytest.fixture
def imap_settings(tmp_path: Path, make_settings: Callable[..., Settings]
                  ) -> Callable[..., Settings]:
    """Settings of a desk whose postdesk.toml has one [[imap]] source for `server`."""

    def make(server: Dovecot, database_url: str | None = None, **keys: Any) -> Settings:
        config = tmp_path / "desk" / "postdesk.toml"
        if not config.exists():
            init_desk(config.parent)
        text = config.read_text().split("\n[[imap]]")[0]
        config.write_text(text + imap_table(server, **keys))
        return make_settings(database_url)

    return make
