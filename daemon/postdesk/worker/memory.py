"""What a worker process holds at once, and giving memory back after large mails.

A batch reads every mail's raw bytes and parses them all before it writes
(`postdesk.worker.process`), so a batch of 32 mails of 25 MB held about a
gigabyte. `split_by_size` cuts a batch into runs of at most
`[broker] batch_megabytes` of mail (a larger mail goes alone), so a worker
holds about that much at once whatever arrives.

CPython frees a large object at once, but glibc's allocator keeps the freed
pages of its heaps for later (and after one large free, it serves the next
large allocations from the heap instead of from fresh mappings), so a worker
that parsed ten large mails stays large. `give_back` collects garbage and asks
glibc to return what it can (`malloc_trim`), after a run of large mails only:
it costs milliseconds.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from collections.abc import Callable, Mapping, Sequence

#: Bytes of mail in a run after which the worker gives memory back.
GIVE_BACK_AFTER = 4 * 1024 * 1024


def split_by_size(ids: Sequence[int], sizes: Mapping[int, int], limit: int) -> list[list[int]]:
    """`ids` in order, in runs whose mails add up to at most `limit` bytes (a mail larger
    than that alone); an id without a size counts as empty."""
    runs: list[list[int]] = []
    total = limit + 1
    for inbound_id in ids:
        size = sizes.get(inbound_id, 0)
        if total + size > limit or not runs:
            runs.append([])
            total = 0
        runs[-1].append(inbound_id)
        total += size
    return runs


def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        trim = ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):  # not glibc
        return None
    return trim


_trim = _malloc_trim()


def give_back() -> None:
    """Collect garbage and return the allocator's free pages to the system."""
    gc.collect()
    if _trim is not None:
        _trim(0)
