"""The desk's SLA policies (rules/sla.yaml), reloaded when the file changes.

`sla_config(runtime)` is cheap to call for every ticket: at most every
`CHECK_INTERVAL_S` (as teams.yaml and routing.yaml, `live_file`) it looks at
the file's modification time and size, and reads the file again only when
they changed; SIGHUP makes the next call look at once (`request_reload`). A
file that does not load (RuleError `rules/sla.yaml:LINE: ...`) is logged once
per change and the last good policies stay in force, so a typo never stops the
clocks; `postdesk check` shows the error. No file (or no good
version yet): None, and tickets get no clocks.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from postdesk.automation import Vocabulary
from postdesk.config.runtime import Runtime
from postdesk.errors import RuleError
from postdesk.sla import SlaConfig, load_sla

log = logging.getLogger(__name__)

SLA_FILE = "sla.yaml"
Stamp = tuple[int, int]  # (mtime_ns, size)
#: How often the file is looked at for changes (seconds).
CHECK_INTERVAL_S = 2.0


@dataclass
class _Entry:
    stamp: Stamp | None = None
    config: SlaConfig | None = None  # the last good one
    error: str | None = None  # why the current file is not in force
    checked: bool = False
    checked_at: float = float("-inf")  # time.monotonic() of the last look


_cache: dict[Path, _Entry] = {}
_lock = threading.Lock()


def sla_path(runtime: Runtime) -> Path:
    settings = runtime.settings
    return settings.path(settings.paths.rules) / SLA_FILE


def sla_config(runtime: Runtime) -> SlaConfig | None:
    """The SLA policies in force for this desk (see the module docstring)."""
    path = sla_path(runtime)
    entry = _cache.get(path)
    if entry is not None and time.monotonic() - entry.checked_at < CHECK_INTERVAL_S:
        return entry.config
    try:
        stat = path.stat()
        stamp: Stamp | None = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        stamp = None
    with _lock:
        entry = _cache.setdefault(path, _Entry())
        entry.checked_at = time.monotonic()
        if entry.checked and stamp == entry.stamp:
            return entry.config
        entry.stamp, entry.checked = stamp, True
        if stamp is None:
            entry.config, entry.error = None, None
            return None
        vocabulary = Vocabulary(statuses=frozenset(runtime.statuses.names))
        try:
            entry.config = load_sla(path, vocabulary, display=f"rules/{SLA_FILE}")
            entry.error = None
            log.info("SLA policies loaded from %s (%d policies)", path,
                     len(entry.config.policies))
        except RuleError as exc:
            entry.error = str(exc)
            log.error("SLA policies not reloaded, the last good ones stay in force: %s", exc)
        return entry.config


def request_reload() -> None:
    """Look at the file at the next call, whenever it was last looked at (SIGHUP)."""
    with _lock:
        for entry in _cache.values():
            entry.checked_at = float("-inf")


def sla_error(runtime: Runtime) -> str | None:
    """Why the file on disk is not in force (None when it is)."""
    sla_config(runtime)
    entry = _cache.get(sla_path(runtime))
    return entry.error if entry else None
