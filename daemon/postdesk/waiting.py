"""Taking what waits in a queue at once: the batches of the intake's group commit and of
the worker processes' feeders."""

from __future__ import annotations

import queue
from typing import Protocol, TypeVar

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class _Queue(Protocol[T_co]):
    def get_nowait(self) -> T_co | None: ...


def take_waiting(waiting: _Queue[T], first: T, limit: int) -> tuple[list[T], bool]:
    """`first` and whatever else is waiting in `waiting` right now, up to `limit` items
    in all; and whether the closing mark (None) came up, which is not put back."""
    batch = [first]
    while len(batch) < limit:
        try:
            item = waiting.get_nowait()
        except queue.Empty:
            break
        if item is None:
            return batch, True
        batch.append(item)
    return batch, False
