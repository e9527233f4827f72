"""A careful IMAP session on top of aioimaplib: TLS as configured, timeouts on every command.

aioimaplib 2 neither reconnects nor notices a dead connection by itself: after
a BYE it may still report itself connected and a command can wait forever.
So every call here races the command against a timeout and against the
"connection lost" callback, and a BYE anywhere ends the session with
`ConnectionLost`. The supervisor in `postdesk.intake.imap` reconnects.

TLS: ``implicit`` speaks TLS from the first byte, ``starttls`` upgrades a plain
connection and refuses to continue if the server does not offer STARTTLS or
the upgrade fails, ``off`` (loopback only) sends everything in clear. The
server certificate is always verified against the system trust store; a
private CA can be added with the ``SSL_CERT_FILE`` environment variable.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import ssl
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import aioimaplib

from postdesk.config import ImapSource
from postdesk.errors import PostdeskError

T = TypeVar("T")

#: Seconds to wait for any single reply (or, during a FETCH, for the next bytes of it).
COMMAND_TIMEOUT_S = 30.0

#: At most this much received data per aioimaplib parse (see _feed_in_slices).
_SLICE_BYTES = 4096

_FETCH_START = re.compile(rb"^\d+ FETCH \(")
_UID = re.compile(rb"UID (\d+)")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_UIDVALIDITY = re.compile(rb"\[UIDVALIDITY (\d+)\]")
_UIDNEXT = re.compile(rb"\[UIDNEXT (\d+)\]")
_EXISTS = re.compile(rb"^(\d+) EXISTS")
_LIST_NAME = re.compile(rb'\) "(?:[^"\\]|\\.)*" (.+)$|\) NIL (.+)$')


class ImapError(PostdeskError):
    """The IMAP session cannot go on; the message says why and what to check."""


class ImapAuthError(ImapError):
    """The server refused the user name or password."""


class ImapTlsError(ImapError):
    """TLS could not be set up as configured (never silently downgraded)."""


class ImapFolderError(ImapError):
    """The folder to read (or to move mail into) does not exist or cannot be selected."""


class ConnectionLost(ImapError):
    """The server said BYE, closed the connection or stopped answering."""


@dataclass(frozen=True)
class Selected:
    uidvalidity: int
    uidnext: int
    exists: int


def quote(name: str) -> str:
    """An IMAP quoted string for a folder name."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ImapSession:
    """One logged-in connection to one [[imap]] source."""

    def __init__(self, source: ImapSource, timeout: float = COMMAND_TIMEOUT_S) -> None:
        self.source = source
        self.timeout = timeout
        self.lost = asyncio.Event()
        self.news = asyncio.Event()  # the server announced mail (EXISTS) since last cleared
        self._client: aioimaplib.IMAP4 | None = None

    @property
    def peer(self) -> str:
        return f"{self.source.host}:{self.source.effective_port}"

    @property
    def client(self) -> aioimaplib.IMAP4:
        assert self._client is not None, "connect() first"
        return self._client

    def has_capability(self, name: str) -> bool:
        return self.client.has_capability(name)

    async def connect(self) -> None:
        """Connect, set up TLS as configured, log in and learn the capabilities."""
        source = self.source
        context = ssl.create_default_context() if source.tls != "off" else None
        self._client = aioimaplib.IMAP4(
            host=source.host, port=source.effective_port, timeout=self.timeout,
            conn_lost_cb=self._on_lost,
            ssl_context=context if source.tls == "implicit" else None)
        _feed_in_slices(self._client.protocol)
        self._watch_untagged(self._client.protocol)
        try:
            await asyncio.wait_for(self.client.wait_hello_from_server(), self.timeout)
        except ssl.SSLError as exc:
            raise ImapTlsError(f"TLS handshake with {self.peer} failed: {_reason(exc)}"
                               f"{_tls_hint(exc)}") from exc
        except (OSError, TimeoutError, aioimaplib.AioImapException) as exc:
            raise ConnectionLost(f"cannot connect to {self.peer}: {_reason(exc)}") from exc
        _keepalive(self.client)
        if source.tls == "starttls":
            assert context is not None
            await self._starttls(context)
        if self.has_capability("LOGINDISABLED"):
            raise ImapAuthError(f"{self.peer} does not allow LOGIN on this connection "
                                "(LOGINDISABLED): use tls = \"implicit\" or \"starttls\"")
        response = await self.call(self.client.login(source.user, source.read_password()))
        if response.result != "OK":
            raise ImapAuthError(f"{self.peer} refused the login of {source.user!r}: "
                                f"{_text(response)} (check user and password)")
        await self.call(self.client.protocol.capability())  # they change after login

    async def _starttls(self, context: ssl.SSLContext) -> None:
        if not self.has_capability("STARTTLS"):
            raise ImapTlsError(f"{self.peer} does not offer STARTTLS; refusing to log in "
                               "without TLS (tls = \"starttls\")")
        protocol = self.client.protocol
        command = aioimaplib.Command("STARTTLS", protocol.new_tag(), loop=protocol.loop)
        response = await self.call(protocol.execute(command))
        if response.result != "OK":
            raise ImapTlsError(f"{self.peer} refused STARTTLS: {_text(response)}")
        loop = asyncio.get_running_loop()
        try:
            transport = await asyncio.wait_for(loop.start_tls(
                protocol.transport, protocol, context, server_hostname=self.source.host),
                self.timeout)
        except (ssl.SSLError, OSError, TimeoutError) as exc:
            raise ImapTlsError(f"TLS handshake with {self.peer} after STARTTLS failed: "
                               f"{_reason(exc)}{_tls_hint(exc)}") from exc
        protocol.transport = transport
        await self.call(protocol.capability())  # pre-TLS capabilities must not be trusted

    async def close(self) -> None:
        """Log out politely if the connection still works; never wait long."""
        if self._client is None:
            return
        with contextlib.suppress(Exception):  # closing anyway
            if not self.lost.is_set():
                await asyncio.wait_for(self.client.logout(), 5)
        transport = self.client.protocol.transport
        if transport is not None:
            transport.close()
        for task in [*self.client.tasks, *self.client.protocol.tasks]:
            task.cancel()  # an IDLE still waiting on a dead connection

    def _watch_untagged(self, protocol: aioimaplib.IMAP4ClientProtocol) -> None:
        """Notice EXISTS and BYE in any response.

        aioimaplib drops an untagged EXISTS that arrives during another command
        (a mail appended while we FETCH); the server will not repeat it, so an
        IDLE started afterwards would wait for the next mail. We see every
        untagged line first.
        """
        original = protocol._untagged_response

        def untagged(line: bytes) -> Any:
            body = line[2:] if line.startswith(b"* ") else line
            if _EXISTS.match(body):
                self.news.set()
            elif body.startswith(b"BYE"):
                self.lost.set()
            return original(line)

        protocol._untagged_response = untagged

    def _on_lost(self, exc: Exception | None) -> None:
        self.lost.set()

    async def call(self, awaitable: Awaitable[T], timeout: float | None = None) -> T:
        """Await one command, but give up on timeout, connection loss or BYE."""
        task = asyncio.ensure_future(awaitable)
        lost = asyncio.ensure_future(self.lost.wait())
        try:
            done, _ = await asyncio.wait({task, lost}, timeout=timeout or self.timeout,
                                         return_when=asyncio.FIRST_COMPLETED)
        finally:
            lost.cancel()
            if not task.done():
                task.cancel()
        if task not in done:
            if lost in done:
                raise ConnectionLost(f"{self.peer} closed the connection")
            raise ConnectionLost(f"{self.peer} did not answer within {timeout or self.timeout} s")
        try:
            result = task.result()
        except (TimeoutError, aioimaplib.CommandTimeout) as exc:
            raise ConnectionLost(f"{self.peer} did not answer in time") from exc
        except aioimaplib.Abort as exc:
            raise ConnectionLost(f"{self.peer}: {exc}") from exc
        check_bye(getattr(result, "lines", ()), self.peer)
        return result

    async def select(self, folder: str) -> Selected:
        response = await self.call(self.client.select(quote(folder)))
        if response.result != "OK":
            raise ImapFolderError(f"cannot open folder {folder!r} on {self.peer}: "
                                  f"{_text(response)}; folders there: "
                                  f"{', '.join(await self.folders()) or '(none)'}")
        values: dict[str, int] = {}
        for line in response.lines:
            if not isinstance(line, bytes):
                continue
            for key, pattern in (("uidvalidity", _UIDVALIDITY), ("uidnext", _UIDNEXT),
                                 ("exists", _EXISTS)):
                found = pattern.search(line)
                if found:
                    values[key] = int(found.group(1))
        if "uidvalidity" not in values:
            raise ImapError(f"{self.peer} did not report UIDVALIDITY for {folder!r}")
        return Selected(values["uidvalidity"], values.get("uidnext", 0), values.get("exists", 0))

    async def folders(self) -> list[str]:
        response = await self.call(self.client.list('""', '"*"'))
        names = []
        for line in response.lines:
            found = _LIST_NAME.search(line) if isinstance(line, bytes) else None
            if found:
                names.append((found.group(1) or found.group(2)).decode("utf-8", "replace")
                             .strip('"'))
        return names

    async def uids_after(self, last_uid: int) -> list[tuple[int, int]]:
        """(UID, size) of every message with a UID above last_uid, in UID order."""
        response = await self.call(self.client.protocol.fetch(
            f"{last_uid + 1}:*", "(UID RFC822.SIZE)", by_uid=True, timeout=self.timeout),
            timeout=self.timeout * 10)
        _ok(response, self.peer, "UID FETCH sizes")
        found = []
        for line in response.lines:
            if isinstance(line, bytes) and _FETCH_START.match(line):
                uid, size = _UID.search(line), _SIZE.search(line)
                if uid and int(uid.group(1)) > last_uid:  # "n:*" also matches the last one
                    found.append((int(uid.group(1)), int(size.group(1)) if size else 0))
        return sorted(found)

    async def fetch(self, uids: Sequence[int], total_size: int) -> dict[int, bytes]:
        """The raw bytes of these messages, without setting \\Seen (BODY.PEEK)."""
        budget = self.timeout * 4 + total_size / 100_000  # even a slow link gets its time
        response = await self.call(self.client.protocol.fetch(
            _uid_set(uids), "(UID BODY.PEEK[])", by_uid=True, timeout=self.timeout),
            timeout=budget)
        _ok(response, self.peer, "UID FETCH")
        return parse_fetch(response.lines)

    async def mark_done(self, uids: Sequence[int], after: str) -> None:
        """Flag, move or delete messages whose inbound rows are committed."""
        uid_set = _uid_set(uids)
        protocol = self.client.protocol
        if after == "seen":
            _ok(await self.call(protocol.store(uid_set, "+FLAGS.SILENT", r"(\Seen)",
                                               by_uid=True)), self.peer, "UID STORE")
            return
        if after.startswith("move:"):
            target = quote(after.removeprefix("move:"))
            if self.has_capability("MOVE"):
                _ok(await self.call(protocol.move(uid_set, target, by_uid=True)), self.peer,
                    "UID MOVE")
                return
            _ok(await self.call(protocol.copy(uid_set, target, by_uid=True)), self.peer,
                "UID COPY")
        _ok(await self.call(protocol.store(uid_set, "+FLAGS.SILENT", r"(\Deleted)",
                                           by_uid=True)), self.peer, "UID STORE")
        if self.has_capability("UIDPLUS"):
            _ok(await self.call(protocol.expunge(uid_set, by_uid=True)), self.peer,
                "UID EXPUNGE")
        else:  # plain EXPUNGE also removes mail others marked \Deleted in this folder
            _ok(await self.call(protocol.expunge()), self.peer, "EXPUNGE")

    async def noop(self) -> None:
        _ok(await self.call(self.client.noop()), self.peer, "NOOP")

    async def idle(self, seconds: float) -> bool:
        """IDLE for at most `seconds`; True when the server announced new mail.

        Returns at once when mail was announced since `news` was last cleared.
        """
        if self.news.is_set():
            return True
        client = self.client
        queue = client.protocol.idle_queue
        while not queue.empty():
            queue.get_nowait()
        idle = await self.call(client.idle_start(timeout=seconds + self.timeout))
        try:
            await self.call(self.news.wait(), timeout=seconds)
        except ConnectionLost:
            if self.lost.is_set():
                raise  # else our own deadline: renew the IDLE
        finally:
            if not self.lost.is_set() and client.has_pending_idle():
                client.idle_done()
        response = await self.call(idle)
        check_bye(response.lines, self.peer)
        return self.news.is_set()


def check_bye(lines: Any, peer: str) -> None:
    for line in lines or ():
        if isinstance(line, bytes) and line.startswith(b"BYE"):
            raise ConnectionLost(f"{peer} said {line.decode('utf-8', 'replace')}")


def parse_fetch(lines: Sequence[Any]) -> dict[int, bytes]:
    """UID -> raw bytes from the lines of a FETCH (UID BODY.PEEK[]) response.

    aioimaplib hands the literal as a bytearray between the line that
    announced it and the line that closes the item; the UID may be on either.
    """
    found: dict[int, bytes] = {}
    meta = b""
    body: bytes | None = None

    def flush() -> None:
        uid = _UID.search(meta)
        if uid and body is not None:
            found[int(uid.group(1))] = body

    for line in lines:
        if isinstance(line, bytearray):
            body = bytes(line)
        elif isinstance(line, bytes) and _FETCH_START.match(line):
            flush()
            meta, body = line, None
        elif isinstance(line, bytes):
            meta += b" " + line
    flush()
    return found


def _uid_set(uids: Sequence[int]) -> str:
    """A compact UID set: 1:5,9,12:14."""
    ranges: list[str] = []
    ordered = sorted(set(uids))
    start = previous = ordered[0]
    for uid in [*ordered[1:], None]:
        if uid is not None and uid == previous + 1:
            previous = uid
            continue
        ranges.append(str(start) if start == previous else f"{start}:{previous}")
        if uid is not None:
            start = previous = uid
    return ",".join(ranges)


def _ok(response: Any, peer: str, what: str) -> None:
    if response.result != "OK":
        raise ImapError(f"{peer}: {what} failed: {_text(response)}")


def _text(response: Any) -> str:
    lines = [line for line in response.lines if isinstance(line, bytes)]
    return lines[-1].decode("utf-8", "replace") if lines else response.result


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return exc.verify_message or str(exc)
    if isinstance(exc, TimeoutError):
        return "no answer (timeout)"
    return str(exc) or type(exc).__name__


def _tls_hint(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (" (the server's certificate is not trusted for this host name; for a private "
                "CA set SSL_CERT_FILE)")
    if "WRONG_VERSION_NUMBER" in str(exc) or "wrong version number" in str(exc):
        return " (is this port plain IMAP or STARTTLS? then use tls = \"starttls\")"
    return ""


def _feed_in_slices(protocol: aioimaplib.IMAP4ClientProtocol) -> None:
    """Hand received data to aioimaplib in small slices.

    aioimaplib parses one network read recursively, one stack frame per line,
    so a read holding more than ~900 short lines (listing a large folder)
    ends in RecursionError and a dead session. Slices are what a slow network
    would deliver anyway; the parser already handles lines and literals split
    across reads.
    """
    original = protocol.data_received

    def data_received(data: bytes) -> None:
        for start in range(0, len(data), _SLICE_BYTES):
            original(data[start:start + _SLICE_BYTES])

    protocol.data_received = data_received


def _keepalive(client: aioimaplib.IMAP4) -> None:
    """TCP keepalive, so a silently vanished server is noticed even between commands."""
    transport = client.protocol.transport
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is None:
        return
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        for option, value in (("TCP_KEEPIDLE", 60), ("TCP_KEEPINTVL", 15), ("TCP_KEEPCNT", 4)):
            if hasattr(socket, option):
                sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, option), value)
