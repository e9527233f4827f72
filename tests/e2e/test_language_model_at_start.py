"""A desk whose worker runs in threads (`[broker] worker_processes = 0`) loads the language
model while it starts, not in the first mail's unit of work: under a steady stream of chat
events, a first event that waited seconds for it left a backlog the worker never caught up
with (bench/chat_roundtrip.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mailbuild import wait_for
from postdesk.config import runtime
from postdesk.config.settings import Settings
from postdesk.tickets import locale_guess


def test_the_model_is_loaded_before_any_mail(
        make_settings: Callable[..., Settings], sqlite_url: str,
        start_daemon: Callable[[Settings], Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(locale_guess, "_identifiers", {})  # as in a fresh process
    settings = make_settings(sqlite_url)
    assert settings.broker.worker_processes == 0

    start_daemon(settings)

    languages = tuple(sorted(runtime.current().languages))
    assert len(languages) >= 2  # the example desk writes English, German and Polish
    wait_for(lambda: languages in locale_guess._identifiers)  # no mail came in
