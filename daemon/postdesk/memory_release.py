"""Giving memory back to the system after large mails.

CPython frees a large object at once, but glibc's allocator keeps the freed
pages of its heaps for later (and after one large free it serves the next
large allocations from the heap instead of from fresh mappings), so a process
that read ten large mails stays large. `give_back` asks glibc to return what
it can (`malloc_trim`), after large mails only; it costs milliseconds and runs
without the interpreter lock (a ctypes call). Both the intake (the daemon's
process, which holds each mail's bytes while it stores them) and the worker
processes use it.

In the daemon, a mail's bytes are still held by the DATA step (the envelope,
`postdesk.channels.email.data_reader`) while our handler runs, and by the intake's writer
thread until it has stored the batch: trimming from the handler came too
early, and ten large mails left about 250 MiB behind. The intake calls
`give_back_soon`, which trims once the mails stopped coming for a moment.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import threading
from collections.abc import Callable

#: Bytes of mail after which a process gives memory back.
GIVE_BACK_AFTER = 4 * 1024 * 1024


def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        trim = ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):  # not glibc
        return None
    return trim


_trim = _malloc_trim()

#: Blocks of this many bytes and more get pages of their own (an mmap), given back to
#: the system as soon as they are freed.
MAP_FROM = 128 * 1024
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)


def map_large_blocks() -> bool:
    """Keep glibc's mmap threshold at `MAP_FROM` (False where this is not glibc).

    glibc raises the threshold each time a mapped block is freed, up to 32 MB: after
    one large mail, every later block up to that size (the next mails, the 256 KiB
    reads of the SMTP transport) came from the heap, where the small objects allocated
    between them pinned it: after ten 25 MB mails the daemon's heap had 80 MB free that
    `malloc_trim` could not give back. A fixed threshold also stops the raising. Called
    once in the daemon and in the worker processes' fork server (inherited by forks)."""
    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name).mallopt if name else None
    except (OSError, AttributeError):
        return False
    return bool(mallopt and mallopt(_M_MMAP_THRESHOLD, MAP_FROM))


def give_back(*, collect: bool = True) -> None:
    """Return the allocator's free pages to the system (after collecting garbage, unless
    `collect` is False: cycles are rare in what a mail leaves behind)."""
    if collect:
        gc.collect()
    if _trim is not None:
        _trim(0)


#: Seconds after the last large mail the daemon gives memory back (`give_back_soon`).
SOON = 1.0
_timer_lock = threading.Lock()
_timer: threading.Timer | None = None


def give_back_soon(delay: float = SOON) -> None:
    """`give_back` in a timer thread, `delay` seconds after the last call: once the
    callers up the stack and the other threads holding the mail have let go of it. It
    collects garbage first: a closed SMTP session (protocol, transport, reader and its
    buffer of the mail) is a cycle that only a collection frees."""
    global _timer
    with _timer_lock:
        if _timer is not None:
            _timer.cancel()
        _timer = threading.Timer(delay, give_back)  # with a collection: see below
        _timer.daemon = True
        _timer.start()
