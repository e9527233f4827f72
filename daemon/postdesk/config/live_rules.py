"""The desk's automation rules, reloaded live.

Every `[rules] reload_interval` seconds the files under `rules/` that hold
automations are checked for changes (SIGHUP asks for a check at once). A
changed set is loaded and validated as a whole: when it is good it replaces
the old one for the next event; when it is broken the error is logged with
file and line and the last good set stays active, so a typo never takes the
desk down.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from postdesk.automation import RuleSet, Vocabulary, automation_files, load_rules
from postdesk.automation.loader import parse_rules
from postdesk.errors import RuleError

log = logging.getLogger(__name__)

Fingerprint = tuple[tuple[str, float, int], ...]


class LiveRules:
    def __init__(self, rules_dir: Path, vocabulary: Vocabulary, *, interval: float = 2.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rules_dir = rules_dir
        self.vocabulary = vocabulary
        self.interval = interval
        self.clock = clock
        self.last_error: str | None = None
        self._lock = threading.Lock()
        self._checked_at = clock()
        self._fingerprint: Fingerprint = ()
        self._rules = parse_rules("rules: []\n", vocabulary=vocabulary)
        self.reload()

    def current(self) -> RuleSet:
        """The rules in force, after a cheap check for edits when one is due."""
        if self.clock() - self._checked_at >= self.interval:
            self.reload()
        return self._rules

    def request_reload(self) -> None:
        """Check at the next use (SIGHUP)."""
        self._checked_at = float("-inf")

    def reload(self) -> bool:
        """Load the files again if they changed; True when a new set is in force."""
        with self._lock:
            self._checked_at = self.clock()
            fingerprint = self._fingerprint_now()
            if fingerprint == self._fingerprint:
                return False
            self._fingerprint = fingerprint
            try:
                rules = load_rules(self.rules_dir, self.vocabulary)
            except RuleError as exc:
                self.last_error = str(exc)
                log.error("rules not reloaded, the last good rules stay active: %s", exc)
                return False
            self._rules = rules
            self.last_error = None
            log.info("rules loaded from %s (%d rules)", self.rules_dir, len(rules.rules))
            return True

    def _fingerprint_now(self) -> Fingerprint:
        found = []
        for path in automation_files(self.rules_dir):
            try:
                stat = path.stat()
            except OSError:
                continue
            found.append((str(path), stat.st_mtime, stat.st_size))
        return tuple(found)
