"""Giving memory back to the system after large mails.

CPython frees a large object at once, but glibc's allocator keeps the freed
pages of its heaps for later (and after one large free it serves the next
large allocations from the heap instead of from fresh mappings), so a process
that read ten large mails stays large. `give_back` asks glibc to return what
it can (`malloc_trim`), after large mails only; it costs milliseconds and runs
without the interpreter lock (a ctypes call). Both the intake (the daemon's
process, which holds each mail's bytes while it stores them) and the worker
processes use it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
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


def give_back(*, collect: bool = True) -> None:
    """Return the allocator's free pages to the system (after collecting garbage, unless
    `collect` is False: cycles are rare in what a mail leaves behind)."""
    if collect:
        gc.collect()
    if _trim is not None:
        _trim(0)
