"""The IMAP intake refuses to start on an aioimaplib whose internals it was not verified on."""

from __future__ import annotations

import types
from pathlib import Path

import aioimaplib
import pytest

from postdesk.channels.email.imap import patches as imap_patches
from postdesk.channels.email.imap.intake import start_supervisors
from postdesk.channels.email.imap.patches import (
    AioimaplibMismatch,
    check_aioimaplib,
    missing_internals,
)
from postdesk.config.settings import ImapSource, Settings


def test_the_installed_aioimaplib_is_a_verified_one_with_every_internal_we_use() -> None:
    check_aioimaplib()
    assert missing_internals(aioimaplib) == []


def test_another_version_is_refused_with_what_to_install() -> None:
    with pytest.raises(AioimaplibMismatch) as error:
        check_aioimaplib("2.1.0")
    message = str(error.value)
    assert "aioimaplib 2.1.0 is installed" in message and "only 2.0.3 is verified" in message
    assert "pip install 'aioimaplib==2.0.3'" in message


def test_missing_internals_are_named() -> None:
    class Protocol(aioimaplib.IMAP4ClientProtocol):
        _untagged_response = None  # type: ignore[assignment]

        def __init__(self, loop: object) -> None:
            super().__init__(None)
            del self.idle_queue

    fake = types.SimpleNamespace(**{name: getattr(aioimaplib, name) for name in (
        "IMAP4", "Command", "Abort", "CommandTimeout", "AioImapException")})
    fake.IMAP4ClientProtocol = Protocol
    assert missing_internals(fake) == ["IMAP4ClientProtocol._untagged_response",
                                       "IMAP4ClientProtocol().idle_queue"]
    assert missing_internals(types.SimpleNamespace())[:2] == ["aioimaplib.IMAP4",
                                                               "aioimaplib.IMAP4ClientProtocol"]


def test_the_daemon_stops_at_start_not_later(monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path) -> None:
    monkeypatch.setattr(imap_patches.importlib.metadata, "version", lambda name: "2.0.2")
    settings = Settings(imap=(ImapSource(name="support", host="127.0.0.1", tls="off", user="u",
                                         password="p", address="support@example.com"),))
    with pytest.raises(AioimaplibMismatch, match=r"aioimaplib 2\.0\.2 is installed"):
        start_supervisors(settings, on_stored=lambda _id: None)
    assert start_supervisors(Settings(), on_stored=lambda _id: None) == []
