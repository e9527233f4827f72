"""IMAP intake: pull mail from mailboxes hosted elsewhere, each mail exactly once.

Operator notes:

* Each ``[[imap]]`` table in postdesk.toml is one mailbox::

      [[imap]]
      name = "support"              # shown in logs; inbound rows get source "imap:support"
      host = "imap.example.com"
      port = 993                    # default: 993 with tls = "implicit", else 143
      tls = "implicit"              # "implicit" | "starttls" | "off" (loopback hosts only)
      user = "support@example.com"
      password_file = "secrets/imap-support"   # or: password = "..."
      folder = "INBOX"
      after = "seen"                # "seen" | "move:FOLDER" | "delete"
      poll_interval = 60            # seconds, when the server has no IDLE
      address = "support@example.com"          # one of [desk] addresses
      probe_interval = 120          # seconds of quiet after which the connection is probed
      timeout = 30                  # seconds to wait for any answer of the server

  ``postdesk imap test NAME`` checks one of them without touching any mail.
* Mail is fetched by UID with ``BODY.PEEK[]`` (reading never marks it seen).
  Each batch is stored as inbound rows in the same transaction that records
  the last UID taken, and only after that commit is the mail flagged
  ``\\Seen``, moved or deleted. A crash between the commit and the flag
  leaves that mail unflagged in the folder; it is never taken twice.
* If the folder's UIDVALIDITY changes (the mailbox was re-created or
  restored), the folder is read again from the start; mail this source
  already stored (same bytes, or same Message-ID for the mail that was there
  when the change was noticed) is skipped, not duplicated.
* With IDLE (most servers) new mail is taken within seconds. After each
  quiet ``probe_interval`` the IDLE is ended (DONE) and a NOOP sent; both
  must be answered within ``timeout``, so a connection that died without a
  word (a NAT or firewall dropping its packets, no BYE, no reset) is found
  within ``probe_interval + timeout`` seconds, and the IDLE is renewed long
  before the 29 minutes servers allow. Without IDLE the folder is looked at
  every ``poll_interval`` seconds, with a NOOP at least every
  ``probe_interval``.
* Folder names may hold any characters (``folder = "Obsłużone"``,
  ``after = "move:Erledigt/Ältere"``); they are sent in IMAP's modified
  UTF-7. The hierarchy separator is the server's (often "/" or ".").
* A large folder is read in batches of at most ``BATCH_MESSAGES`` mails and
  ``BATCH_BYTES`` bytes, with progress in the log; memory stays bounded.
* Any failure (BYE, a closed connection, no answer within ``timeout``, a
  database outage) ends the session; the supervisor logs why and reconnects
  after 1, 2, 4 ... up to ``MAX_BACKOFF_S`` seconds.
  Wrong credentials, TLS problems and a missing folder are retried the same
  way (the error is logged at each attempt), so fixing the server side
  needs no restart.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator

from postdesk.channels.email.imap import health as source_health
from postdesk.channels.email.imap.check import check_move_target
from postdesk.channels.email.imap.client import ConnectionLost, ImapSession
from postdesk.channels.email.imap.patches import check_aioimaplib
from postdesk.channels.email.imap.state import (
    FetchedMail,
    SourceState,
    commit_batch,
    load_state,
    reset_state,
)
from postdesk.config.settings import ImapSource, Settings
from postdesk.errors import PostdeskError

log = logging.getLogger(__name__)

BATCH_MESSAGES = 200
BATCH_BYTES = 32 * 1024 * 1024
IDLE_RENEW_S = 10 * 60.0  # well before the 29 minutes RFC 2177 allows
MIN_BACKOFF_S = 1.0
MAX_BACKOFF_S = 300.0
#: A session that lasted this long counts as healthy: the next failure starts the backoff again.
HEALTHY_AFTER_S = 60.0


async def supervise(source: ImapSource, on_stored: Callable[[int], None]) -> None:
    """Run one source forever: connect, sync, wait for news, reconnect with backoff."""
    backoff = MIN_BACKOFF_S
    loop = asyncio.get_running_loop()
    while True:
        started = loop.time()
        intake = ImapIntake(source, on_stored)
        try:
            await intake.run()
        except asyncio.CancelledError:
            raise
        except (PostdeskError, OSError) as exc:
            log.warning("imap:%s: %s; reconnecting in %.0f s", source.name, exc, backoff)
        except Exception:
            log.exception("imap:%s: unexpected failure; reconnecting in %.0f s",
                          source.name, backoff)
        finally:
            source_health.disconnected(source.name)
            await intake.session.close()
        if loop.time() - started > HEALTHY_AFTER_S:
            backoff = MIN_BACKOFF_S
        await asyncio.sleep(backoff)
        backoff = min(backoff * 2, MAX_BACKOFF_S)


def start_supervisors(settings: Settings, on_stored: Callable[[int], None]
                      ) -> list[asyncio.Task[None]]:
    """One supervisor task per [[imap]] source, in the running loop.

    Raises AioimaplibMismatch at once when the installed aioimaplib is not the
    one whose internals the session was verified on.
    """
    if settings.imap:
        check_aioimaplib()
    return [asyncio.create_task(supervise(source, on_stored), name=f"imap:{source.name}")
            for source in settings.imap]


class ImapIntake:
    """One session of one source: select, catch up, then wait for news and catch up again."""

    def __init__(self, source: ImapSource, on_stored: Callable[[int], None]) -> None:
        self.source = source
        self.on_stored = on_stored
        self.session = ImapSession(source)
        self.state: SourceState | None = None

    @property
    def name(self) -> str:
        return f"imap:{self.source.name}"

    async def run(self) -> None:
        source, session = self.source, self.session
        await session.connect()
        await check_move_target(session)
        selected = await session.select(source.folder)
        state = await asyncio.to_thread(load_state, source.name)
        if state.uidvalidity is None:
            state = await asyncio.to_thread(reset_state, source.name, state,
                                            selected.uidvalidity, 0)
        elif state.uidvalidity != selected.uidvalidity:
            log.warning("%s: UIDVALIDITY of %s changed from %s to %s (mailbox re-created?); "
                        "reading it again, skipping mail stored before", self.name,
                        source.folder, state.uidvalidity, selected.uidvalidity)
            state = await asyncio.to_thread(reset_state, source.name, state,
                                            selected.uidvalidity,
                                            max(selected.uidnext - 1, 0) or 2**31)
        self.state = state
        idle = session.has_capability("IDLE")
        log.info("%s: connected to %s, folder %s (%d mails, UIDVALIDITY %s, last UID %s), %s",
                 self.name, session.peer, source.folder, selected.exists, state.uidvalidity,
                 state.last_uid, "IDLE" if idle else f"polling every {source.poll_interval} s")
        source_health.connected(source.name)
        while True:
            session.news.clear()  # before looking: mail announced from now on is not missed
            await self.catch_up()
            if idle:
                await self._idle_until_news()
            else:
                await self._poll_until_due()

    async def _idle_until_news(self) -> None:
        """IDLE until the server announces mail; each quiet `probe_interval`, prove it is alive.

        Ending an IDLE waits for the server's OK and a NOOP follows, both within
        `timeout`: a connection that died without a word (no BYE, no RST) fails
        here and the supervisor reconnects.
        """
        session = self.session
        quiet = min(IDLE_RENEW_S, float(self.source.probe_interval))
        while not await session.idle(quiet):
            await session.noop()
            if session.news.is_set():
                return
            log.debug("%s: %s answered the probe", self.name, session.peer)

    async def _poll_until_due(self) -> None:
        """Without IDLE: NOOP every probe_interval (or sooner), look for mail each poll_interval."""
        session, source = self.session, self.source
        deadline = asyncio.get_running_loop().time() + source.poll_interval
        while not session.news.is_set():
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                return
            await self._sleep(min(left, float(source.probe_interval)))
            await session.noop()

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self.session.lost.wait(), seconds)
        except TimeoutError:
            return
        raise ConnectionLost(f"{self.session.peer} closed the connection")

    async def catch_up(self) -> int:
        """Take every mail above the last committed UID; return how many were stored."""
        assert self.state is not None
        pending = await self.session.uids_after(self.state.last_uid)
        if not pending:
            return 0
        total, done, stored = len(pending), 0, 0
        if total > BATCH_MESSAGES:
            log.info("%s: %d mails to fetch", self.name, total)
        for batch in batches(pending):
            stored += await self._take(batch)
            done += len(batch)
            if total > BATCH_MESSAGES:
                log.info("%s: %d/%d mails fetched (%d%%)", self.name, done, total,
                         100 * done // total)
        return stored

    async def _take(self, batch: list[tuple[int, int]]) -> int:
        assert self.state is not None
        uids = [uid for uid, _ in batch]
        bodies = await self.session.fetch(uids, sum(size for _, size in batch))
        vanished = sorted(set(uids) - set(bodies))
        if vanished:
            log.warning("%s: UIDs %s vanished before they could be fetched (expunged by "
                        "another client?)", self.name, vanished)
        if not bodies:
            return 0
        mails = [FetchedMail(uid, raw) for uid, raw in sorted(bodies.items())]
        self.state, result = await asyncio.to_thread(
            commit_batch, self.source.name, self.state, mails, self.source.address,
            self.session.peer, self.on_stored)
        if result.duplicates:
            log.info("%s: %d mails were stored before (mailbox restored?); not again",
                     self.name, len(result.duplicates))
        # only now, with the rows committed, may the server forget the mail
        await self.session.mark_done([mail.uid for mail in mails], self.source.after)
        log.debug("%s: stored inbound %s", self.name, list(result.stored))
        return len(result.stored)


def batches(pending: list[tuple[int, int]]) -> Iterator[list[tuple[int, int]]]:
    """Split (UID, size) pairs into batches bounded by count and bytes (a huge mail goes alone)."""
    batch: list[tuple[int, int]] = []
    size = 0
    for uid, length in pending:
        if batch and (len(batch) >= BATCH_MESSAGES or size + length > BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append((uid, length))
        size += length
    if batch:
        yield batch
