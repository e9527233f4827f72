"""What a worker process holds at once.

A batch reads every mail's raw bytes and parses them all before it writes
(`postdesk.worker.process`), so a batch of 32 mails of 25 MB held about a
gigabyte. `split_by_size` cuts a batch into runs of at most
`[broker] batch_megabytes` of mail (a larger mail goes alone), so a worker
holds about that much at once whatever arrives; after a run of large mails the
worker gives memory back (`postdesk.memory_release`), and a process that has
read more than `[broker] recycle_megabytes` is replaced (`worn_out`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


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


def worn_out(read_bytes: int, recycle_megabytes: int) -> bool:
    """Has a worker process read enough mail to be replaced (0 megabytes: never)?"""
    return recycle_megabytes > 0 and read_bytes > recycle_megabytes * 1024 * 1024
