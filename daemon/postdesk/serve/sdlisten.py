"""Listening sockets handed over by systemd (socket activation, `postdesk.socket`).

systemd binds the port (25 needs privileges the daemon then never has),
starts the service with the sockets as file descriptors 3, 4, ... and says
so in `$LISTEN_FDS` (how many), `$LISTEN_PID` (for which process) and
`$LISTEN_FDNAMES` (colon-separated names from `FileDescriptorName=`). A
socket named `smtp` replaces `[smtp] listen`, one named `lmtp` replaces
`[lmtp] listen`; a single unnamed socket is taken for SMTP. The variables are
removed once read, so processes the daemon starts do not take them as theirs.
Without them (the usual case) nothing changes.
"""

from __future__ import annotations

import os
import socket
from collections.abc import MutableMapping

from postdesk.errors import ConfigError

FIRST_FD = 3  # SD_LISTEN_FDS_START
NAMES = ("smtp", "lmtp")


def listen_names(environ: MutableMapping[str, str], pid: int) -> list[str] | None:
    """The names of the sockets systemd passed to process `pid`; None when none were."""
    count, target = environ.get("LISTEN_FDS", ""), environ.get("LISTEN_PID", "")
    if not count.isdigit() or int(count) == 0 or (target and target != str(pid)):
        return None
    names = environ.get("LISTEN_FDNAMES", "").split(":") if environ.get("LISTEN_FDNAMES") else []
    names += ["unknown"] * (int(count) - len(names))
    return names[: int(count)]


def take_sockets(environ: MutableMapping[str, str] | None = None) -> dict[str, socket.socket]:
    """`{"smtp": socket, "lmtp": socket}` from systemd, or `{}` when not socket-activated."""
    environ = os.environ if environ is None else environ
    names = listen_names(environ, os.getpid())
    for variable in ("LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"):
        environ.pop(variable, None)
    if names is None:
        return {}
    if len(names) == 1 and names[0] not in NAMES:
        names = ["smtp"]
    sockets: dict[str, socket.socket] = {}
    for offset, name in enumerate(names):
        if name not in NAMES:
            raise ConfigError(f"systemd passed a socket named {name!r}: set "
                              "FileDescriptorName=smtp or lmtp in the .socket unit")
        if name in sockets:
            raise ConfigError(f"systemd passed two sockets named {name!r}")
        sock = socket.socket(fileno=FIRST_FD + offset)
        sock.set_inheritable(False)
        sockets[name] = sock
    return sockets


def describe(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"{host}:{port} (from systemd)"
