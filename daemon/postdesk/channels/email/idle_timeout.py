"""A reply before an idle connection is closed.

aiosmtpd closes a connection that stayed silent for ``[smtp] timeout`` seconds
without a word, so the client sees the connection drop, not why. RFC 5321
(section 4.2.2, reply 421) lets a server close a session it must end; Postfix
says ``421 4.4.2 <host> Error: timeout exceeded``. This protocol mixin says so
first, then lets aiosmtpd close the connection (the transport sends what it has
buffered before it closes).
"""

from __future__ import annotations

from typing import Any


class IdleTimeoutReply:
    """Mixin for aiosmtpd's SMTP/LMTP protocol classes: 421 4.4.2 before an idle close."""

    hostname: str

    def _timeout_cb(self) -> None:
        writer: Any = getattr(self, "_writer", None)
        transport: Any = getattr(self, "transport", None)
        if writer is not None and transport is not None and not transport.is_closing():
            writer.write(f"421 4.4.2 {self.hostname} Idle timeout, closing connection\r\n"
                         .encode("ascii", "replace"))
        super()._timeout_cb()  # type: ignore[misc]
