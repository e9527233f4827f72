"""A bound on the CPU one mail may cost a worker: `[limits] max_mail_cpu_seconds`.

The cost of reading a mail (MIME, HTML, classifying, language) and of storing
it (the receive chain, the rules it sets off) depends on what its sender
wrote, and a library or a rule can still be super-linear on some shape nobody
has met yet. So each mail has one budget of CPU seconds of the worker's own
thread (`MailBudget`), spent by its reading and then by its write
transaction: when it is spent, `MailTooCostly` is raised inside that thread,
the transaction (if any) rolls back, the mail is set aside as failed with the
reason (raw bytes kept, `postdesk ingest --replay ID` after raising the
limit), and the worker goes on with the next mail.

The exception is delivered the way dramatiq's time limit does it (CPython's
`PyThreadState_SetAsyncExc`): between two bytecodes of the thread, so a
single long call into C finishes first. One watchdog thread per process looks
at the thread CPU clocks of the budgets running (`pthread_getcpuclockid`;
wall time where the platform has no such clock) a few times a second.
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

#: How often the watchdog looks at the budgets running (seconds).
CHECK_INTERVAL = 0.2


class MailTooCostly(Exception):
    """Reading or storing a mail spent its CPU budget."""


def too_costly(inbound_id: int, seconds: float, doing: str) -> MailTooCostly:
    """The error a mail that spent its budget is failed with: what to do about it."""
    return MailTooCostly(
        f"{doing} this mail took more than {seconds:g} s of CPU ([limits] "
        f"max_mail_cpu_seconds); its bytes are kept: raise the limit and "
        f"`postdesk ingest --replay {inbound_id}`")


class MailBudget:
    """One mail's budget, spent in parts by the same thread (reading, then storing)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.spent = 0.0

    @contextmanager
    def spending(self) -> Iterator[None]:
        """Run the block on what is left of the budget (`cpu_budget`)."""
        started = time.thread_time()
        try:
            with cpu_budget(max(self.seconds - self.spent, 0.0)):
                yield
        finally:
            self.spent += time.thread_time() - started


@dataclass
class _Running:
    clock: Callable[[], float]
    deadline: float
    fired: bool = False


_lock = threading.Lock()
_wake = threading.Condition(_lock)
_running: dict[int, _Running] = {}
_watchdog: threading.Thread | None = None


def _thread_clock(thread_id: int) -> Callable[[], float]:
    """The CPU clock of thread `thread_id` (this thread's id), or wall time."""
    try:
        clock_id = time.pthread_getcpuclockid(thread_id)
        time.clock_gettime(clock_id)
    except (AttributeError, OSError):
        return time.monotonic
    return lambda: time.clock_gettime(clock_id)


def _raise_in(thread_id: int, exception: type[BaseException] | None) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exception) if exception else None)


def _watch() -> None:
    with _lock:
        while True:
            for thread_id, running in _running.items():
                if not running.fired and running.clock() >= running.deadline:
                    running.fired = True
                    _raise_in(thread_id, MailTooCostly)
            _wake.wait(CHECK_INTERVAL if _running else None)


def _ensure_watchdog() -> None:
    global _watchdog
    if _watchdog is None or not _watchdog.is_alive():
        _watchdog = threading.Thread(target=_watch, name="mail-budget", daemon=True)
        _watchdog.start()


@contextmanager
def cpu_budget(seconds: float) -> Iterator[None]:
    """Run the block on `seconds` of this thread's CPU; past them, `MailTooCostly` is
    raised in it. Budgets do not nest."""
    thread_id = threading.get_ident()
    clock = _thread_clock(thread_id)
    with _lock:
        _ensure_watchdog()
        _running[thread_id] = _Running(clock, clock() + seconds)
        _wake.notify()
    try:
        yield
    finally:
        with _lock:  # the watchdog raises only under the lock: none can come after this
            running = _running.pop(thread_id)
            if running.fired:
                _raise_in(thread_id, None)  # not delivered yet: never outside the block
