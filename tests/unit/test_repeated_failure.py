"""A periodic task failing every few seconds logs one traceback, then a summary a minute."""

from __future__ import annotations

import logging

import pytest

from postdesk.serve import repeated_failure
from postdesk.serve.repeated_failure import RepeatedFailure


def test_one_traceback_then_summaries_then_the_recovery(
        caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr(repeated_failure.time, "monotonic", lambda: clock[0])
    failures = RepeatedFailure(logging.getLogger("test.sweeper"), "sweeper", 5)
    caplog.set_level(logging.INFO, logger="test.sweeper")
    for _ in range(12):  # a minute of failures every 5 s
        failures.failed(ConnectionError("database unavailable"))
        clock[0] += 5
    failures.failed(ConnectionError("database unavailable"))
    failures.succeeded()
    records = [(r.levelname, r.getMessage(), r.exc_info is not None) for r in caplog.records]
    assert records == [
        ("ERROR", "sweeper failed; trying again every 5 s", True),
        ("WARNING", "sweeper still failing (13 times so far): ConnectionError: database "
                    "unavailable", False),
        ("INFO", "sweeper works again after 13 failures", False),
    ]
