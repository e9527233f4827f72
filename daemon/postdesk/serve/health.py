"""Is the desk healthy? What `postdesk status` checks, from the database and the broker.

Everything is read from the shared database and the broker, never from a
running process, so the answer is the same on every node. The checks:

* database: reachable, schema present;
* broker: `redis://` / `amqp://` answer (and how many messages wait); for
  the embedded broker, which lives inside `postdesk serve`, the daemon's
  heartbeat: the scheduler lease it renews every few seconds;
* scheduler: which node holds the lease, and until when;
* listeners: the SMTP and LMTP listeners the config asks for greet a
  connection, and the IMAP servers of `[[imap]]` accept one
  (`postdesk.serve.listeners_probe`); one that does not means the desk
  cannot work;
* workers: how many heartbeat (`worker_beats`); none while mail waits fails;
* inbound / outbox: waiting mails, the oldest one's age, failures within
  `[status] failed_window`; thresholds from `[status]`. A backlog, mail
  waiting too long or a failure RATE (more than `max_failed_*` failures and
  more than `max_failed_percent` of the mail) means the desk cannot work:
  unhealthy. A few failed mails do not (anyone can send one): they make the
  check need attention, with where to look (`postdesk inbound --failed`), and
  an operator dismisses them (`postdesk inbound dismiss`);
* imap: per `[[imap]]` source, the last UID committed and when;
* rules: the live files under rules/ as the daemon last recorded them: a broken
  one is named with its line and error, with since when the desk runs on its
  last good version (or on the shipped one, when it never had a good one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from postdesk.config.settings import Settings
from postdesk.logs import redact
from postdesk.serve import listeners_probe
from postdesk.store import db, desk_status, live_files, worker_beats
from postdesk.store.lease import RELEASED, SCHEDULER, Lease, lease_row
from postdesk.store.migrations import current_version, head_version

#: The scheduler lease's ttl (postdesk.serve.daemon.LEADER_LEASE): its renewal is expires_at - ttl.
LEASE_TTL = timedelta(seconds=30)
BROKER_TIMEOUT_S = 3


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    summary: str
    details: dict[str, Any] = field(default_factory=dict)
    #: healthy, but something for a person to look at (failed mail)
    attention: bool = False


@dataclass(frozen=True)
class Report:
    checks: tuple[Check, ...]

    @property
    def healthy(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def attention(self) -> bool:
        return any(check.attention for check in self.checks)

    def as_json(self) -> dict[str, Any]:
        return {"healthy": self.healthy, "attention": self.attention,
                "checks": [{"name": c.name, "ok": c.ok, "summary": c.summary,
                            "attention": c.attention, **c.details}
                           for c in self.checks]}


def gather(settings: Settings, now: datetime | None = None) -> Report:
    """Run every check; a database that cannot be reached skips those that need it."""
    now = now or db.utcnow()
    database = check_database(settings)
    if not database.ok:
        return Report((database, check_broker(settings, None, now), check_listeners(settings)))
    try:
        lease = lease_row(SCHEDULER)
        checks = [database, check_broker(settings, lease, now), check_scheduler(lease, now),
                  check_listeners(settings),
                  check_inbound(settings, now), check_outbox(settings, now), check_workers(now),
                  *check_imap(settings), check_rules(), *_chat_checks(settings, now)]
    finally:
        db.database.close()
    return Report(tuple(checks))


def _chat_checks(settings: Settings, now: datetime) -> list[Check]:
    from postdesk.serve.chat_health import check_chat  # it builds on Check

    return check_chat(settings, now)


def check_database(settings: Settings) -> Check:
    url = settings.database_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return Check("database", False, f"{url}: no such file (has the desk ever started?)")
    try:
        database = db.connect(url, synchronous=settings.database.synchronous,
                              connect_timeout=BROKER_TIMEOUT_S)
        database.connect(reuse_if_open=True)
        version = current_version(database)
    except Exception as exc:
        return Check("database", False, f"cannot connect: {_one_line(exc)}")
    if version is None:
        db.database.close()
        return Check("database", False, "reachable, but it has no Postdesk schema yet")
    return Check("database", True, f"reachable, schema version {version}",
                 {"schema_version": version, "schema_head": head_version()})


def heartbeat_age(lease: Lease | None, now: datetime) -> float | None:
    """Seconds since the scheduler lease was last renewed; None if never or released."""
    if lease is None or lease.expires_at <= RELEASED:
        return None
    renewed = lease.expires_at.replace(tzinfo=UTC) - LEASE_TTL
    return max(0.0, (now - renewed).total_seconds())


def check_broker(settings: Settings, lease: Lease | None, now: datetime) -> Check:
    url = settings.broker.url
    if url == "embedded":
        age = heartbeat_age(lease, now)
        limit = settings.status.max_heartbeat_age
        if age is None:
            return Check("broker", False, "embedded: postdesk serve is not running "
                                          "(no scheduler heartbeat)")
        return Check("broker", age <= limit,
                     f"embedded: postdesk serve alive, heartbeat {age:.0f} s ago"
                     + ("" if age <= limit else f" (more than {limit} s)"),
                     {"heartbeat_age_s": round(age, 1)})
    try:
        queued = _queue_length(url, settings.broker.queue)
    except Exception as exc:
        return Check("broker", False, f"{redact(url)}: cannot connect: {_one_line(exc)}")
    return Check("broker", True, f"{redact(url)} reachable, {queued} messages queued",
                 {"queued": queued})


def _queue_length(url: str, queue: str) -> int:
    if url.startswith("redis://"):
        import redis

        client = redis.Redis.from_url(url, socket_timeout=BROKER_TIMEOUT_S,
                                      socket_connect_timeout=BROKER_TIMEOUT_S)
        try:
            client.ping()
            return int(client.llen(f"dramatiq:{queue}"))  # dramatiq's list of message ids
        finally:
            client.close()
    import pika

    parameters = pika.URLParameters(url)
    parameters.socket_timeout = parameters.blocked_connection_timeout = BROKER_TIMEOUT_S
    connection = pika.BlockingConnection(parameters)
    try:
        try:
            declared = connection.channel().queue_declare(queue=queue, passive=True)
        except pika.exceptions.ChannelClosedByBroker:
            return 0  # no worker has declared the queue yet
        return int(declared.method.message_count)
    finally:
        if connection.is_open:
            connection.close()


def check_scheduler(lease: Lease | None, now: datetime) -> Check:
    if lease is None or lease.expires_at <= RELEASED:
        return Check("scheduler", False, "no leader: no postdesk serve node runs the sweeper "
                                         "and the scans")
    expires = lease.expires_at.replace(tzinfo=UTC)
    if expires < now:
        return Check("scheduler", False, f"lease of {lease.holder} expired "
                                         f"{(now - expires).total_seconds():.0f} s ago",
                     {"leader": lease.holder})
    return Check("scheduler", True, f"leader {lease.holder}",
                 {"leader": lease.holder, "lease_expires_at": expires.isoformat()})


def check_listeners(settings: Settings) -> Check:
    """Does every listener the config asks for accept (and greet) a connection?"""
    found = listeners_probe.listeners(settings)
    problems = {listener.name: listeners_probe.problem(listener, BROKER_TIMEOUT_S)
                for listener in found}
    details = {"listeners": [{"name": listener.name, "address": listener.where,
                              "ok": problems[listener.name] is None,
                              "problem": problems[listener.name]} for listener in found]}
    down = [f"{listener.name} {listener.where}: {problems[listener.name]}"
            for listener in found if problems[listener.name] is not None]
    if down:
        return Check("listeners", False, "not accepting: " + "; ".join(down), details)
    return Check("listeners", True, "accepting: " + ", ".join(
        f"{listener.name} {listener.where}" for listener in found), details)


@dataclass(frozen=True)
class _Failures:
    """Failures within the window, out of how many, the thresholds, and where to look."""

    failed: int
    total: int
    max_failed: int
    max_percent: int
    look: str

    @property
    def rate_too_high(self) -> bool:
        return (self.failed > self.max_failed
                and self.failed * 100 > self.max_percent * max(self.total, 1))


def check_inbound(settings: Settings, now: datetime) -> Check:
    limits = settings.status
    since = now - timedelta(seconds=limits.failed_window)
    failures = _Failures(desk_status.failed_inbound_since(since),
                         desk_status.received_inbound_since(since), limits.max_failed_inbound,
                         limits.max_failed_percent, "postdesk inbound --failed")
    return _queue_check("inbound", now, desk_status.pending_inbound_count(),
                        desk_status.oldest_pending_inbound(), failures,
                        limits.max_pending_age, None)


def check_outbox(settings: Settings, now: datetime) -> Check:
    limits = settings.status
    since = now - timedelta(seconds=limits.failed_window)
    failures = _Failures(desk_status.failed_outbox_since(since),
                         desk_status.created_outbox_since(since), limits.max_failed_outbox,
                         limits.max_failed_percent, "the tickets' events")
    check = _queue_check("outbox", now, desk_status.waiting_outbox_count(),
                         oldest_outbox_wait(now), failures,
                         limits.max_pending_age, limits.max_outbox_backlog)
    return with_relay_deferrals(check)


def oldest_outbox_wait(now: datetime) -> datetime:
    """Since when the longest-waiting notification waits (`desk_status.outbox_wait_starts`):
    a mail the relay keeps deferring ages from its creation, so health sees it."""
    age = max(seconds_since(start, now) for start in desk_status.outbox_wait_starts(now))
    return now - timedelta(seconds=age)


def with_relay_deferrals(check: Check) -> Check:
    """The outbox check with what the relay says: how many mails it deferred, and its
    last error (a desk whose relay refuses everything must say why)."""
    deferred = desk_status.deferred_outbox_count()
    error = desk_status.last_relay_error() if deferred else ""
    summary = check.summary + (f"; {deferred} deferred, last error: {error}" if deferred
                               else "")
    return replace(check, summary=summary,
                   details={**check.details, "deferred": deferred, "last_error": error})


def check_workers(now: datetime) -> Check:
    """Is any worker alive (`worker_beats`)? Not one while mail waits: nothing will
    move until one starts, however long `max_pending_age` is."""
    alive = worker_beats.alive_workers(now)
    waiting = desk_status.pending_inbound_count() + desk_status.due_outbox_count(now)
    if alive:
        return Check("workers", True, f"{alive} alive", {"alive": alive, "work_waiting": waiting})
    return Check("workers", not waiting,
                 "none alive" + (f" while {waiting} mails wait (start postdesk serve or "
                                 "postdesk worker)" if waiting else ", no work waiting"),
                 {"alive": 0, "work_waiting": waiting})


def _queue_check(name: str, now: datetime, waiting: int, oldest: Any, failures: _Failures,
                 max_age: int, max_waiting: int | None) -> Check:
    age = seconds_since(oldest, now)
    failed = failures.failed
    problems = []
    if max_waiting is not None and waiting > max_waiting:
        problems.append(f"backlog above {max_waiting}")
    if age > max_age:
        problems.append(f"oldest waits longer than {max_age} s")
    if failures.rate_too_high:
        problems.append(f"failure rate: {failed} of {failures.total} failed (more than "
                        f"{failures.max_failed} and than {failures.max_percent} %)")
    summary = (f"{waiting} waiting" + (f" (oldest {age:.0f} s)" if waiting else "")
               + f", {failed} failed recently" + (f" (see {failures.look})" if failed else ""))
    return Check(name, not problems, summary + "".join(f"; {p}" for p in problems),
                 {"waiting": waiting, "oldest_age_s": round(age, 1), "failed": failed,
                  "received" if name == "inbound" else "created": failures.total},
                 attention=failed > 0)


def check_imap(settings: Settings) -> list[Check]:
    states = {row.source: row for row in desk_status.imap_states()}
    checks = []
    for source in settings.imap:
        row = states.get(source.name)
        if row is None:
            checks.append(Check(f"imap:{source.name}", True, "not synchronised yet"))
            continue
        checks.append(Check(f"imap:{source.name}", True,
                            f"last UID {row.last_uid}, last change {row.updated_at:%Y-%m-%d %H:%M} "
                            "UTC", {"last_uid": row.last_uid, "uidvalidity": row.uidvalidity,
                                    "updated_at": row.updated_at.isoformat()}))
    return checks


#: Where a rules error points: `rules/sla.yaml:12: ...` (the line may be missing).
_ERROR_WHERE = re.compile(r"^(?P<file>[^:\n]+?)(?::(?P<line>\d+))?: ")

_RUNS_ON = {
    "last_good": "its last good version",
    "shipped": "the version Postdesk ships (it never had a good one)",
    "empty": "nothing (neither a last good nor the shipped version loads)",
}


def check_rules() -> Check:
    """The live files under rules/: a broken one needs the admin, though the desk runs on."""
    try:
        records = live_files.records()
    except db.DatabaseError as exc:
        return Check("rules", True, f"not recorded: {_one_line(exc)} (postdesk migrate)")
    if not records:
        return Check("rules", True, "not recorded yet: postdesk serve records rules/ at start")
    files = [_live_file_details(record) for record in records]
    broken = [record for record in records if record.error is not None]
    if not broken:
        return Check("rules", True, f"{len(records)} live files in force as written",
                     {"files": files})
    summary = "; ".join(f"{r.error} ({runs_on(r)})" for r in broken)
    return Check("rules", False, summary, {"files": files})


def runs_on(record: live_files.LiveFileRecord) -> str:
    """Since when the desk runs on what, for a broken live file."""
    validated = (f", validated {_utc(record.validated_at)}"
                 if record.in_force == "last_good" and record.validated_at else "")
    return (f"since {_utc(record.broken_since or record.recorded_at)} the desk runs on "
            f"{_RUNS_ON.get(record.in_force, record.in_force)}{validated}")


def _live_file_details(record: live_files.LiveFileRecord) -> dict[str, Any]:
    where = _ERROR_WHERE.match(record.error or "")
    return {
        "name": record.name, "in_force": record.in_force, "summary": record.summary,
        "error": record.error,
        "file": where["file"] if where else None,
        "line": int(where["line"]) if where and where["line"] else None,
        "broken_since": _iso(record.broken_since), "validated_at": _iso(record.validated_at),
        "recorded_at": _iso(record.recorded_at),
    }


def _utc(when: datetime) -> str:
    return f"{when.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when is not None else None


def seconds_since(moment: Any, now: datetime) -> float:
    if moment is None:
        return 0.0
    if isinstance(moment, str):  # SQLite aggregates come back as text
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (now - moment).total_seconds())


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__

