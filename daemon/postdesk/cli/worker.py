"""`postdesk worker`: consume an external broker's queue until SIGTERM.

`--threads M` messages are in flight at once; with `--processes N` the CPU
work of each (parsing, the ticket transaction, rendering, sending) runs in N
spawned processes (the same pool the embedded desk uses), so one worker
uses N cores while holding one broker connection. A process that dies is
replaced and its message retried; the database, not the broker, says what is
done. The live files under rules/ are looked at every `[rules] reload_interval`
seconds, each change logged and recorded (`postdesk.config.live_files`). SIGHUP
reopens the log file and looks at them at once; SIGTERM stops taking messages,
finishes the ones in hand and exits.
"""

from __future__ import annotations

import logging
import signal
import threading
import time

from postdesk import logs
from postdesk.config.settings import Settings
from postdesk.serve import sdnotify
from postdesk.serve.daemon import MIN_RELOAD_INTERVAL_S, check_live_files, dispatcher_for, prepare
from postdesk.worker.broker import start_embedded_worker
from postdesk.worker.heartbeat import WorkerHeartbeat
from postdesk.worker.pool import InboundRunner, ProcessRunner, ThreadRunner

log = logging.getLogger("postdesk")

#: How often the main thread looks for a SIGHUP when systemd asks for no watchdog.
IDLE_TICK_S = 1.0


def run_worker(settings: Settings, *, processes: int, threads: int) -> None:
    prepare(settings)
    runner: InboundRunner = (ProcessRunner(settings, processes) if processes
                             else ThreadRunner())
    dispatcher = dispatcher_for(settings, runner)
    running = start_embedded_worker(dispatcher.process_inbound.broker, threads)
    heartbeat = WorkerHeartbeat().start()
    stop, hangup = threading.Event(), threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    signal.signal(signal.SIGHUP, lambda *_: hangup.set())
    log.info("postdesk worker ready on %s", settings.broker.queue,
             extra={"threads": threads, "processes": processes})
    notifier = sdnotify.Notifier.from_environment()
    notifier.ready(f"consuming {settings.broker.queue} with {threads} threads"
                   + (f" and {processes} processes" if processes else ""))
    interval = sdnotify.watchdog_interval()
    reload_interval = max(float(settings.rules.reload_interval), MIN_RELOAD_INTERVAL_S)
    next_look = time.monotonic() + reload_interval
    while not stop.wait(min(interval or IDLE_TICK_S, IDLE_TICK_S, reload_interval)):
        notifier.watchdog()
        everything = hangup.is_set()
        if everything:
            hangup.clear()
            logs.reopen()  # here, not in the handler: a handler may interrupt a write
            log.info("SIGHUP: log file reopened; checking rules/ for changes")
        if everything or time.monotonic() >= next_look:
            next_look = time.monotonic() + reload_interval
            try:
                check_live_files(everything)
            except Exception:
                log.exception("checking rules/ failed; trying again in %s s", reload_interval)
    notifier.stopping()
    log.info("postdesk worker stopping")
    running.stop()
    heartbeat.stop()
    runner.close()
    log.info("postdesk worker stopped")
