"""Folders with non-ASCII names, as a Polish or German desk names them, against a real Dovecot.

The folders are created and filled over plain imaplib with their wire names
(modified UTF-7, written out by hand here) and checked with doveadm, which
speaks UTF-8: neither side relies on Postdesk's own encoder.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from imap.dovecot import Dovecot
from imap.test_imap_intake import StartDaemon, flags, inbound_rows
from mailbuild import customer_mail, wait_for
from postdesk.channels.email.imap.check import probe
from postdesk.channels.email.imap.client import ImapFolderError
from postdesk.config.settings import Settings

INBOX_WIRE = '"Obs&AUI-u&AXw-one"'  # Obsłużone
DONE_WIRE = '"Erledigt/&AMQ-ltere"'  # Erledigt/Ältere


def test_mail_is_read_from_and_moved_into_folders_with_non_ascii_names(
        dovecot_factory: Callable[..., Dovecot], imap_settings: Callable[..., Settings],
        sqlite_url: str, start_daemon: StartDaemon) -> None:
    server = dovecot_factory(separator="/")
    client = server.client()
    assert client.create(INBOX_WIRE)[0] == "OK" and client.create(DONE_WIRE)[0] == "OK"
    for number in range(2):
        raw = customer_mail(subject=f"Zamówienie {number}", body="Dzień dobry\n").as_bytes()
        assert client.append(INBOX_WIRE, None, None, raw)[0] == "OK"
    client.logout()
    assert {"Obsłużone", "Erledigt/Ältere"} <= set(server.doveadm("mailbox", "list").split())
    settings = imap_settings(server, sqlite_url, folder="Obsłużone",
                             after="move:Erledigt/Ältere")

    [source] = settings.imap
    report = asyncio.run(probe(source, None))
    assert "folder Obsłużone: 2 mails" in "\n".join(report)
    assert "then, once stored: move each one to Erledigt/Ältere" in report

    start_daemon(settings)
    wait_for(lambda: len(inbound_rows()) == 2, timeout=15)
    wait_for(lambda: flags(server, INBOX_WIRE.strip('"')) == {}, timeout=10)
    assert server.doveadm("mailbox", "status", "messages", "Erledigt/Ältere").split() == [
        "Erledigt/Ältere", "messages=2"]
    assert server.doveadm("mailbox", "status", "messages", "Obsłużone").split() == [
        "Obsłużone", "messages=0"]


def test_a_missing_non_ascii_target_is_named_as_people_write_it(
        dovecot: Dovecot, imap_settings: Callable[..., Settings], sqlite_url: str) -> None:
    [source] = imap_settings(dovecot, sqlite_url, after="move:Obsłużone").imap
    with pytest.raises(ImapFolderError, match="folder 'Obsłużone' does not exist"):
        asyncio.run(probe(source, None))
