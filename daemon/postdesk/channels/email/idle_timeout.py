"""A reply before an idle connection is closed, and no cut-off while a mail arrives.

aiosmtpd closes a connection that stayed silent for ``[smtp] timeout`` seconds
without a word, so the client sees the connection drop, not why. RFC 5321
(section 4.2.2, reply 421) lets a server close a session it must end; Postfix
says ``421 4.4.2 <host> Error: timeout exceeded``. This protocol mixin says so
first, then lets aiosmtpd close the connection (the transport sends what it has
buffered before it closes).

aiosmtpd starts its timer at each command only, so the data of a mail had to
arrive whole within ``timeout`` of the DATA command: a large mail from a slow
(or busy) sender was cut off while its bytes were still coming, the sender
saw the connection drop and our side kept the lines it had read until a
garbage collection. Ten mails of 25 MB at once on a busy machine lost several
that way. Now the timeout counts silence, as RFC 5321 (section 4.5.3.2.5,
a timeout per chunk of data) and Postfix (``smtpd_timeout`` per read) do:
while DATA is read, the connection is closed only after ``timeout`` seconds
without a byte, and never while the desk itself is storing the mail (the
client is waiting for our answer then).
"""

from __future__ import annotations

from typing import Any


class IdleTimeoutReply:
    """Mixin for aiosmtpd's SMTP/LMTP protocol classes: 421 4.4.2 before an idle close,
    and the timeout of a mail's data counted from its last byte."""

    hostname: str
    loop: Any
    _timeout_duration: float
    #: "data" while the data of a mail is read, "storing" while the handler stores it
    _data_phase: str | None = None
    _last_byte_at: float = 0.0

    def data_received(self, data: bytes) -> None:
        if self._data_phase is not None:
            self._last_byte_at = self.loop.time()  # no timer churn for each chunk
        super().data_received(data)  # type: ignore[misc]

    async def smtp_DATA(self, arg: str) -> None:
        self._data_phase, self._last_byte_at = "data", self.loop.time()
        try:
            await super().smtp_DATA(arg)  # type: ignore[misc]
        finally:
            self._data_phase = None

    async def _call_handler_hook(self, command: str, *args: Any) -> Any:
        if command != "DATA" or self._data_phase is None:
            return await super()._call_handler_hook(command, *args)  # type: ignore[misc]
        self._data_phase = "storing"
        try:
            return await super()._call_handler_hook(command, *args)  # type: ignore[misc]
        finally:
            self._data_phase, self._last_byte_at = "data", self.loop.time()

    def _timeout_cb(self) -> None:
        if self._data_phase is not None:
            quiet = self.loop.time() - self._last_byte_at
            if self._data_phase == "storing" or quiet < self._timeout_duration:
                # bytes came in since the timer started, or the desk is busy: not idle
                wait = self._timeout_duration - (0 if self._data_phase == "storing" else quiet)
                self._reset_timeout(max(wait, 0.001))  # type: ignore[attr-defined]
                return
        writer: Any = getattr(self, "_writer", None)
        transport: Any = getattr(self, "transport", None)
        if writer is not None and transport is not None and not transport.is_closing():
            writer.write(f"421 4.4.2 {self.hostname} Idle timeout, closing connection\r\n"
                         .encode("ascii", "replace"))
        super()._timeout_cb()  # type: ignore[misc]
