"""How many small-object arenas CPython's allocator has made so far, for the tests and
benches of memory after large mail (a crowd of small objects left behind pins arenas)."""

from __future__ import annotations

import os
import re
import sys
import tempfile

#: `sys._debugmallocstats` is CPython's; callers skip where it is missing.
AVAILABLE = hasattr(sys, "_debugmallocstats")

_TOTAL = re.compile(r"# arenas allocated total\s*=\s*([\d,]+)")


def arenas_allocated() -> int:
    """The allocator's count of arenas made since the start (it writes its statistics
    to file descriptor 2, which is caught in a temporary file meanwhile)."""
    with tempfile.TemporaryFile() as capture:
        saved = os.dup(2)
        os.dup2(capture.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        capture.seek(0)
        text = capture.read().decode("ascii", "replace")
    found = _TOTAL.search(text)
    if found is None:
        raise RuntimeError("sys._debugmallocstats printed no arena count")
    return int(found.group(1).replace(",", ""))
