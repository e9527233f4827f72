"""A careful IMAP connection on top of aioimaplib: TLS as configured, a timeout on every command.

aioimaplib 2 neither reconnects nor notices a dead connection by itself: after
a BYE it may still report itself connected and a command can wait forever.
So every `call` races the command against the source's ``timeout`` and
against the "connection lost" callback, and a BYE anywhere ends the session
with `ConnectionLost`. The IMAP commands the intake uses are in
`postdesk.channels.email.imap.client`; the supervisor in `postdesk.channels.email.imap.intake`
reconnects.

TLS: ``implicit`` speaks TLS from the first byte, ``starttls`` upgrades a plain
connection and refuses to continue if the server does not offer STARTTLS or
the upgrade fails, ``off`` (loopback only) sends everything in clear. The
server certificate is always verified against the system trust store; a
private CA can be added with the ``SSL_CERT_FILE`` environment variable.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import Awaitable
from typing import TypeVar

import aioimaplib

from postdesk.channels.email.imap.patches import feed_in_slices, watch_untagged
from postdesk.channels.email.imap.wire import (
    EXISTS,
    ConnectionLost,
    ImapAuthError,
    ImapTlsError,
    check_bye,
    response_text,
)
from postdesk.config.settings import ImapSource

T = TypeVar("T")


class ImapConnection:
    """One logged-in connection to one [[imap]] source; `call` runs a command safely."""

    def __init__(self, source: ImapSource) -> None:
        self.source = source
        self.timeout = float(source.timeout)
        self.lost = asyncio.Event()
        self.news = asyncio.Event()  # the server announced mail (EXISTS) since last cleared
        self.unresponsive = False  # a command went unanswered: do not wait for a LOGOUT
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
        feed_in_slices(self._client.protocol)
        watch_untagged(self._client.protocol, self._untagged)
        try:
            await asyncio.wait_for(self.client.wait_hello_from_server(), self.timeout)
        except ssl.SSLError as exc:
            raise ImapTlsError(f"TLS handshake with {self.peer} failed: {_reason(exc)}"
                               f"{_tls_hint(exc)}") from exc
        except (OSError, TimeoutError, aioimaplib.AioImapException) as exc:
            self.unresponsive = True
            raise ConnectionLost(f"cannot connect to {self.peer}: {_reason(exc)}") from exc
        _keepalive(self.client)
        if source.tls == "starttls":
            assert context is not None
            await self._starttls(context)
        if self.has_capability("LOGINDISABLED"):
            raise ImapAuthError(f"{self.peer} does not allow LOGIN on this connection "
                                "(LOGINDISABLED): use tls = \"implicit\" or \"starttls\"")
        response = await self.call(self.client.login(source.user, source.read_password()),
                                   what="LOGIN")
        if response.result != "OK":
            raise ImapAuthError(f"{self.peer} refused the login of {source.user!r}: "
                                f"{response_text(response)} (check user and password)")
        await self.call(self.client.protocol.capability(), what="CAPABILITY")  # changes at login

    async def _starttls(self, context: ssl.SSLContext) -> None:
        if not self.has_capability("STARTTLS"):
            raise ImapTlsError(f"{self.peer} does not offer STARTTLS; refusing to log in "
                               "without TLS (tls = \"starttls\")")
        protocol = self.client.protocol
        command = aioimaplib.Command("STARTTLS", protocol.new_tag(), loop=protocol.loop)
        response = await self.call(protocol.execute(command), what="STARTTLS")
        if response.result != "OK":
            raise ImapTlsError(f"{self.peer} refused STARTTLS: {response_text(response)}")
        loop = asyncio.get_running_loop()
        try:
            transport = await asyncio.wait_for(loop.start_tls(
                protocol.transport, protocol, context, server_hostname=self.source.host),
                self.timeout)
        except (ssl.SSLError, OSError, TimeoutError) as exc:
            raise ImapTlsError(f"TLS handshake with {self.peer} after STARTTLS failed: "
                               f"{_reason(exc)}{_tls_hint(exc)}") from exc
        protocol.transport = transport
        await self.call(protocol.capability(), what="CAPABILITY")  # pre-TLS ones are not trusted

    async def close(self) -> None:
        """Log out politely if the connection still works; never wait long."""
        if self._client is None:
            return
        with contextlib.suppress(Exception):  # closing anyway
            if not self.lost.is_set() and not self.unresponsive:
                await asyncio.wait_for(self.client.logout(), min(self.timeout, 5))
        transport = self.client.protocol.transport
        if transport is not None:
            transport.close()
        for task in [*self.client.tasks, *self.client.protocol.tasks]:
            task.cancel()  # an IDLE still waiting on a dead connection

    def _untagged(self, line: bytes) -> None:
        """Notice EXISTS and BYE in any untagged response, even during another command."""
        if EXISTS.match(line):
            self.news.set()
        elif line.startswith(b"BYE"):
            self.lost.set()

    def _on_lost(self, exc: Exception | None) -> None:
        self.lost.set()

    async def call(self, awaitable: Awaitable[T], timeout: float | None = None,
                   what: str = "a command") -> T:
        """Await one command, but give up on timeout, connection loss or BYE."""
        limit = timeout or self.timeout
        task = asyncio.ensure_future(awaitable)
        lost = asyncio.ensure_future(self.lost.wait())
        try:
            done, _ = await asyncio.wait({task, lost}, timeout=limit,
                                         return_when=asyncio.FIRST_COMPLETED)
        finally:
            lost.cancel()
            if not task.done():
                task.cancel()
        if task not in done:
            if lost in done:
                raise ConnectionLost(f"{self.peer} closed the connection")
            raise self._silent(what, limit)
        try:
            result = task.result()
        except (TimeoutError, aioimaplib.CommandTimeout) as exc:
            raise self._silent(what, limit) from exc
        except aioimaplib.Abort as exc:
            raise ConnectionLost(f"{self.peer}: {exc}") from exc
        check_bye(getattr(result, "lines", ()), self.peer)
        return result

    def _silent(self, what: str, limit: float) -> ConnectionLost:
        self.unresponsive = True
        return ConnectionLost(f"{self.peer} did not answer {what} within {limit:g} s "
                              "(connection dropped without a word?)")


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
