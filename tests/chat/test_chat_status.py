"""`postdesk status` for chat: a line per configured platform as its daemon last recorded
it (a stale one says no daemon runs the edge), and the chat posts waiting or refused; a
desk without chat sections shows nothing of it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from postdesk.config.settings import Settings
from postdesk.serve.chat_health import check_chat
from postdesk.store import chat_store
from postdesk.store.db import database

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.fixture
def connected(migrated: str) -> Iterator[str]:
    with database.connection_context():
        yield migrated


def test_each_chat_connection_has_its_line(connected: str,
                                           make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(connected, slack_bot_token="xoxb-1", matrix_homeserver="http://m",
                             matrix_access_token="syt")
    chat_store.record_health({"slack": "connected: Socket Mode"}, "node-a", NOW)
    chat_store.record_health({"matrix": "connected (synced 11:58:00)"}, "node-a",
                             NOW - timedelta(minutes=5))

    checks = {check.name: check for check in check_chat(settings, NOW)}

    assert checks["chat slack"].summary == "connected: Socket Mode; node node-a"
    assert not checks["chat slack"].attention
    assert checks["chat matrix"].summary.startswith("not running (last seen 2026-12-07 11:55")
    assert checks["chat matrix"].attention and checks["chat matrix"].ok
    assert checks["chat posts"].summary == "0 waiting, 0 failed"


def test_a_desk_without_chat_shows_none(connected: str,
                                        make_settings: Callable[..., Settings]) -> None:
    assert check_chat(make_settings(connected), NOW) == []
