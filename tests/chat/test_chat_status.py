"""`postdesk status` for chat: a line per configured platform as its daemon last recorded
it (a stale one says no daemon runs the edge), and the chat posts waiting or refused; a
desk without chat sections shows nothing of it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from rich.console import Console

from postdesk.cli.status import print_report
from postdesk.config.settings import Settings
from postdesk.serve.chat_health import check_chat
from postdesk.serve.health import Check, Report
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


def test_a_listening_teams_edge_is_fine_and_the_verdict_names_what_needs_a_look(
        connected: str, make_settings: Callable[..., Settings]) -> None:
    """Teams has no connection to hold: its edge listens. That is its healthy line, not a
    "!"; and the verdict names the check that needs a look (not "failed mail")."""
    settings = make_settings(connected, teams_app_id="app", matrix_homeserver="http://m",
                             matrix_access_token="syt")
    chat_store.record_health({"teams": "listening on 127.0.0.1:3978/api/messages",
                              "matrix": "reconnecting since 11:59:00, last error 502"},
                             "node-a", NOW)
    checks = check_chat(settings, NOW)
    named = {check.name: check for check in checks}
    assert not named["chat teams"].attention
    assert named["chat matrix"].attention

    out = Console(width=200, record=True)
    print_report(out, Report((Check("database", True, "reachable"), *checks)))
    verdict = out.export_text().splitlines()[-1]
    assert verdict == "postdesk: healthy (needs attention: chat matrix)"


def test_a_matrix_room_the_desk_cannot_read_needs_a_look(
        connected: str, make_settings: Callable[..., Settings]) -> None:
    """An end-to-end encrypted help room: its requests never reach the desk."""
    settings = make_settings(connected, matrix_homeserver="http://m", matrix_access_token="s")
    chat_store.record_health({"matrix": "connected (synced 11:59:58); cannot read "
                                        "encrypted !secret:example.org"}, "node-a", NOW)
    [matrix, _posts] = check_chat(settings, NOW)
    assert matrix.ok and matrix.attention
    assert "cannot read encrypted !secret:example.org" in matrix.summary


def test_a_desk_without_chat_shows_none(connected: str,
                                        make_settings: Callable[..., Settings]) -> None:
    assert check_chat(make_settings(connected), NOW) == []
