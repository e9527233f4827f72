"""The IMAP commands the intake needs, each bounded by the source's timeout.

An `ImapSession` is an `ImapConnection` (login, TLS, timeouts, BYE) that can
select a folder, list folders, find and fetch mail above a UID without
marking it read, flag/move/delete it once stored, NOOP and IDLE. A connection
that stops answering without closing (packets dropped by a firewall or a NAT
that forgot it) is found by the probes of `postdesk.channels.email.imap.intake`: IDLE is
ended and NOOP sent, and both must be answered in time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence

import aioimaplib

from postdesk.channels.email.imap.connect import ImapConnection
from postdesk.channels.email.imap.wire import (
    ConnectionLost,
    ImapAuthError,
    ImapError,
    ImapFolderError,
    ImapTlsError,
    Selected,
    check_bye,
    check_ok,
    parse_fetch,
    parse_list,
    parse_select,
    parse_sizes,
    quote,
    response_text,
    uid_set,
)

__all__ = ["ConnectionLost", "ImapAuthError", "ImapError", "ImapFolderError", "ImapSession",
           "ImapTlsError", "Selected"]


class ImapSession(ImapConnection):
    """A connection with the commands of the intake."""

    async def select(self, folder: str) -> Selected:
        response = await self.call(self.client.select(quote(folder)), what="SELECT")
        if response.result != "OK":
            raise ImapFolderError(f"cannot open folder {folder!r} on {self.peer}: "
                                  f"{response_text(response)}; folders there: "
                                  f"{', '.join(await self.folders()) or '(none)'}")
        return parse_select(response.lines, folder, self.peer)

    async def folders(self) -> list[str]:
        """The names of all folders, decoded from modified UTF-7."""
        return parse_list((await self.call(self.client.list('""', '"*"'), what="LIST")).lines)

    async def uids_after(self, last_uid: int) -> list[tuple[int, int]]:
        """(UID, size) of every message with a UID above last_uid, in UID order."""
        response = await self.call(self.client.protocol.fetch(
            f"{last_uid + 1}:*", "(UID RFC822.SIZE)", by_uid=True, timeout=self.timeout),
            timeout=self.timeout * 10, what="UID FETCH of sizes")
        check_ok(response, self.peer, "UID FETCH sizes")
        return parse_sizes(response.lines, last_uid)

    async def fetch(self, uids: Sequence[int], total_size: int) -> dict[int, bytes]:
        """The raw bytes of these messages, without setting \\Seen (BODY.PEEK)."""
        budget = self.timeout * 4 + total_size / 100_000  # even a slow link gets its time
        response = await self.call(self.client.protocol.fetch(
            uid_set(uids), "(UID BODY.PEEK[])", by_uid=True, timeout=self.timeout),
            timeout=budget, what="UID FETCH")
        check_ok(response, self.peer, "UID FETCH")
        return parse_fetch(response.lines)

    async def mark_done(self, uids: Sequence[int], after: str) -> None:
        """Flag, move or delete messages whose inbound rows are committed."""
        uids_wire = uid_set(uids)
        protocol = self.client.protocol

        async def run(what: str, command: Awaitable[aioimaplib.Response]) -> None:
            check_ok(await self.call(command, what=what), self.peer, what)

        if after == "seen":
            await run("UID STORE", protocol.store(uids_wire, "+FLAGS.SILENT", r"(\Seen)",
                                                  by_uid=True))
            return
        if after.startswith("move:"):
            target = quote(after.removeprefix("move:"))
            if self.has_capability("MOVE"):
                await run("UID MOVE", protocol.move(uids_wire, target, by_uid=True))
                return
            await run("UID COPY", protocol.copy(uids_wire, target, by_uid=True))
        await run("UID STORE", protocol.store(uids_wire, "+FLAGS.SILENT", r"(\Deleted)",
                                              by_uid=True))
        if self.has_capability("UIDPLUS"):
            await run("UID EXPUNGE", protocol.expunge(uids_wire, by_uid=True))
        else:  # plain EXPUNGE also removes mail others marked \Deleted in this folder
            await run("EXPUNGE", protocol.expunge())

    async def noop(self) -> None:
        """NOOP: the server answers (and announces news) or the connection counts as dead."""
        check_ok(await self.call(self.client.noop(), what="NOOP"), self.peer, "NOOP")

    async def idle(self, seconds: float) -> bool:
        """IDLE for at most `seconds`; True when the server announced new mail.

        Returns at once when mail was announced since `news` was last cleared.
        Ending the IDLE (DONE) waits for the server's answer at most `timeout`,
        so a connection that died silently during the IDLE is noticed here.
        """
        if self.news.is_set():
            return True
        client = self.client
        queue = client.protocol.idle_queue
        while not queue.empty():
            queue.get_nowait()
        idle = await self.call(client.idle_start(timeout=seconds + self.timeout),
                               what="IDLE")
        try:
            await self._wait_news(seconds)
        finally:
            if not self.lost.is_set() and client.has_pending_idle():
                client.idle_done()
        response = await self.call(idle, what="DONE (the end of IDLE)")
        check_bye(response.lines, self.peer)
        return self.news.is_set()

    async def _wait_news(self, seconds: float) -> None:
        """Until news, or `seconds` passed; ConnectionLost when the connection closes first."""
        news = asyncio.ensure_future(self.news.wait())
        lost = asyncio.ensure_future(self.lost.wait())
        try:
            await asyncio.wait({news, lost}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            news.cancel()
            lost.cancel()
        if self.lost.is_set():
            raise ConnectionLost(f"{self.peer} closed the connection")


