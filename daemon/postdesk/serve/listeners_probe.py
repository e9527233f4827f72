"""Are the listeners the config asks for accepting? The `listeners` check of `postdesk status`.

A desk whose SMTP listener is gone takes no mail, however healthy its
database and queue are; the sending servers queue and bounce after days. So
health connects to each address the desk should answer on, as a sending
server would, and reads the greeting:

* `[smtp] listen`, and `[lmtp] listen` when set: a `220` greeting (then QUIT);
  a port that accepts the connection but never greets (a stuck event loop)
  counts as down;
* each `[[imap]]` source: its server accepts a connection (its greeting is
  read where the connection is plain: `* OK`).

A wildcard address (`0.0.0.0`, `::`) is asked on the loopback. Run `postdesk
status` on the node that runs `postdesk serve`: it asks this node's addresses.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

from postdesk.config.settings import Settings
from postdesk.config.validate import parse_listen

#: The loopback address that answers for a wildcard listen address.
_LOOPBACK = {"0.0.0.0": "127.0.0.1", "::": "::1", "*": "127.0.0.1"}


@dataclass(frozen=True)
class Listener:
    """One address the desk needs to accept connections, and the greeting it must give."""

    name: str
    host: str
    port: int
    greeting: bytes | None  # what the first line starts with; None: not read (TLS)
    goodbye: bytes = b""

    @property
    def where(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def listeners(settings: Settings) -> list[Listener]:
    """The listeners `settings` ask for (pure)."""
    found = []
    for name, listen in (("smtp", settings.smtp.listen), ("lmtp", settings.lmtp.listen)):
        if listen:
            host, port = parse_listen(listen, f"[{name}] listen")
            found.append(Listener(name, _LOOPBACK.get(host, host), port, b"220",
                                  b"QUIT\r\n"))
    for source in settings.imap:
        plain = source.tls != "implicit"
        found.append(Listener(f"imap:{source.name}", source.host, source.effective_port,
                              b"* OK" if plain else None, b"z LOGOUT\r\n" if plain else b""))
    return found


def problem(listener: Listener, timeout: float) -> str | None:
    """Why `listener` is not accepting (None: it is)."""
    try:
        with socket.create_connection((listener.host, listener.port), timeout=timeout) as conn:
            if listener.greeting is None:
                return None
            first = _first_line(conn)
            if not first.startswith(listener.greeting):
                return (f"greeted {first[:60].decode('ascii', 'replace')!r}, not "
                        f"{listener.greeting.decode()}")
            conn.sendall(listener.goodbye)
    except TimeoutError:
        return f"no greeting within {timeout:g} s"
    except OSError as exc:
        return exc.strerror or str(exc) or type(exc).__name__
    return None


def _first_line(conn: socket.socket) -> bytes:
    received = b""
    while b"\n" not in received and len(received) < 1024:
        chunk = conn.recv(1024)
        if not chunk:
            break  # closed before greeting: what was said so far
        received += chunk
    return received.split(b"\n", 1)[0].rstrip(b"\r")
