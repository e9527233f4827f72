"""Whether each `[[imap]]` source of this process is connected right now.

The IMAP intake runs inside `postdesk serve`; its supervisor marks a source
connected once the folder is selected and disconnected when the session
ends. Only that process knows; the metrics endpoint it serves reads it.
"""

from __future__ import annotations

import threading
import time

_lock = threading.Lock()
_state: dict[str, tuple[bool, float]] = {}


def connected(name: str) -> None:
    with _lock:
        _state[name] = (True, time.time())


def disconnected(name: str) -> None:
    with _lock:
        _state[name] = (False, time.time())


def snapshot() -> dict[str, tuple[bool, float]]:
    """source name -> (connected, since when as a Unix time)."""
    with _lock:
        return dict(_state)
