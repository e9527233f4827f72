"""The node that becomes scheduler leader says so in its log."""

from __future__ import annotations

import logging

import pytest

from mailbuild import wait_for


def test_becoming_leader_is_logged(make_settings, sqlite_url, start_daemon,
                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="postdesk")
    start_daemon(make_settings(sqlite_url))
    wait_for(lambda: [r for r in caplog.records
                      if r.getMessage().startswith("this node is now the scheduler leader")])
