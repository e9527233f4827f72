"""A worker's heartbeat: a thread that renews its `worker:<id>` row every few seconds.

Started beside the consuming worker by `postdesk worker` and by `postdesk serve`
(which runs one unless `--no-worker`), so that `postdesk status` can fail when work
waits and no worker is alive (`postdesk.store.worker_beats`). A database outage only
delays a beat: the thread logs it once and keeps trying.
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import timedelta

from postdesk.store import db, worker_beats
from postdesk.store.lease import LeaseKeeper, default_holder_id

log = logging.getLogger(__name__)

#: A beat every BEAT_INTERVAL; a worker counts as alive for BEAT_TTL after its last one.
BEAT_INTERVAL_S = 10.0
BEAT_TTL = timedelta(seconds=45)


class WorkerHeartbeat:
    def __init__(self, interval_s: float = BEAT_INTERVAL_S, ttl: timedelta = BEAT_TTL) -> None:
        name = f"{worker_beats.PREFIX}{uuid.uuid4().hex[:16]}"
        self.keeper = LeaseKeeper(name, default_holder_id(), ttl)
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="worker-heartbeat", daemon=True)

    def start(self) -> WorkerHeartbeat:
        self._thread.start()
        return self

    def _run(self) -> None:
        failing = False
        while True:
            try:
                with db.database.connection_context():
                    worker_beats.beat(self.keeper, db.utcnow())
                if failing:
                    log.info("worker heartbeat recorded again")
                failing = False
            except Exception as exc:
                if not failing:
                    log.warning("worker heartbeat not recorded: %s; trying again every %s s",
                                exc, self.interval_s)
                failing = True
            if self._stop.wait(self.interval_s):
                return

    def stop(self) -> None:
        """Stop beating and remove this worker's row (it is not alive any more)."""
        self._stop.set()
        self._thread.join(timeout=self.interval_s + 5)
        try:
            with db.database.connection_context():
                worker_beats.forget(self.keeper)
        except Exception as exc:
            log.warning("worker heartbeat not removed: %s (it expires on its own)", exc)
