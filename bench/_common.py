"""Helpers for the benchmarks under bench/: processes, mails, SMTP load, database reads."""

from __future__ import annotations

import contextlib
import email.policy
import json
import os
import random
import shutil
import signal
import smtplib
import socket
import subprocess
import tempfile
import textwrap
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"

#: Where benchmark desks live: POSTDESK_BENCH_DIR, or bench/out/ (git-ignored), on the
#: project's own file system like a desk made by `make run`.
BENCH_DIR = Path(os.environ.get("POSTDESK_BENCH_DIR")
                 or Path(__file__).resolve().parent / "out")

#: Creating a file costs about 20 µs of CPU on a settled file system here; above this,
#: the file system is still paying for files deleted a moment ago (see settle_file_system).
SETTLED_CREATE_US = 100.0
_PROBE_FILES = 20
#: How long a benchmark waits for that, at most (seconds).
SETTLE_WAIT_S = 150.0


def work_folder(prefix: str) -> Path:
    """A fresh folder for one benchmark run, under BENCH_DIR."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=BENCH_DIR))


def remove_work_folder(folder: Path) -> None:
    """Delete a run's folder and sync, so the file system starts settling at once."""
    shutil.rmtree(folder, ignore_errors=True)
    os.sync()


def file_creation_us() -> float:
    """CPU microseconds to create one empty file under BENCH_DIR, right now.

    The probe files are kept (in BENCH_DIR/.file-probes): deleting them would
    disturb the very thing they measure."""
    folder = BENCH_DIR / ".file-probes"
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{os.getpid()}-{time.time_ns()}"
    start = time.process_time()
    for n in range(_PROBE_FILES):
        os.close(os.open(folder / f"{stem}-{n}", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    return (time.process_time() - start) / _PROBE_FILES * 1e6


def add_settle_option(parser: Any) -> None:
    """`--no-settle`, for the scripts that wait with `settle_file_system`."""
    parser.add_argument("--no-settle", action="store_true",
                        help="start at once, even while the file system is still slow to "
                             "create files after a recent clean-up (it is measured and "
                             "printed either way)")


def settle_file_system(max_wait_s: float, *, wait: bool = True) -> str:
    """Wait (up to `max_wait_s`) until creating a file is cheap again; a line saying how
    much it costs now, and how long this waited.

    Why: on an ext4 file system without a journal (this project's build machines),
    the kernel will not reuse an inode freed less than a minute ago (five minutes
    while its inode table block is unwritten), and every new file pays for walking
    past those. After a run's clean-up deleted its thousands of .eml files, creating
    a file cost 0.5-0.8 ms of CPU instead of 20 µs for about a minute: a benchmark
    started then measured the previous run's clean-up, not the desk."""
    cost, waited = file_creation_us(), 0.0
    while wait and cost > SETTLED_CREATE_US and waited < max_wait_s:
        time.sleep(5)
        waited += 5
        cost = file_creation_us()
    note = f" after waiting {waited:.0f} s for files deleted recently" if waited else ""
    unsettled = ("" if cost <= SETTLED_CREATE_US else
                 f"; NOT SETTLED (over {SETTLED_CREATE_US:.0f} µs): figures that create files "
                 "are inflated")
    return f"file system: creating a file costs {cost:.0f} µs of CPU{note}{unsettled}"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def listeners(smtp_port: int) -> dict[str, str]:
    """The environment that puts a benchmark desk's listeners on free ports: SMTP on
    SMTP_PORT and the ticket pages (on by default at 127.0.0.1:8025, which another desk
    or a developer's own may hold) on a port of their own."""
    return {"POSTDESK_SMTP_LISTEN": f"{HOST}:{smtp_port}",
            "POSTDESK_WEB_LISTEN": f"{HOST}:{free_port()}"}


def utc_naive(ts: float) -> datetime:
    """Wall-clock seconds since the epoch -> naive UTC datetime (as peewee stores it)."""
    return datetime.fromtimestamp(ts, UTC).replace(tzinfo=None)


def as_datetime(value: Any) -> datetime | None:
    """A timestamp read from SQLite (text) or PostgreSQL (datetime) -> naive UTC datetime."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else (
            value.astimezone(UTC).replace(tzinfo=None))
    return datetime.fromisoformat(str(value))


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


# --- processes -------------------------------------------------------------------------


class Daemon:
    """A subprocess whose merged stdout/stderr is collected line by line in a thread."""

    def __init__(self, name: str, argv: Sequence[str], *, env: dict[str, str] | None = None,
                 cwd: Path | None = None, ready_marker: str) -> None:
        self.name = name
        self.ready_marker = ready_marker
        self.lines: list[str] = []
        self.ready = threading.Event()
        self.proc = subprocess.Popen(
            list(argv), env=env, cwd=cwd, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
        )
        self._reader = threading.Thread(target=self._read, name=f"{name}-log", daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            if self.ready_marker in line:
                self.ready.set()

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ready.wait(0.1):
                return
            if self.proc.poll() is not None:
                break
        self.stop()
        tail = "\n".join(self.lines[-30:])
        raise RuntimeError(
            f"{self.name} did not print {self.ready_marker!r} within {timeout:.0f} s "
            f"(exit code {self.proc.returncode}); last output:\n{tail}")

    def peak_rss_kib(self) -> int | None:
        """VmHWM of the process (peak resident set size), in KiB; None if unreadable."""
        try:
            text = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return None
        for line in text.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        return None

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time (user + system) so far of the process and of each live child process."""
        tick = os.sysconf("SC_CLK_TCK")

        def of(pid: int) -> float:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                return 0.0
            return (int(fields[11]) + int(fields[12])) / tick

        def children(pid: int) -> list[int]:
            found: list[int] = []
            for task in Path(f"/proc/{pid}/task").glob("*"):
                with contextlib.suppress(OSError):
                    found += [int(c) for c in (task / "children").read_text().split()]
            return sorted(found)

        def descendants(pid: int) -> list[tuple[str, int]]:  # workers come from the fork server
            found = []
            for child in children(pid):
                found.append((_process_role(child), child))
                found += [("worker", d) for _, d in descendants(child)]
            return found

        result = {"main": of(self.pid)}
        for n, (role, child) in enumerate(descendants(self.pid), 1):
            result[f"{role} {n}"] = of(child)
        return result

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM, wait, then SIGKILL; returns the exit code."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    self.proc.kill()
                self.proc.wait(10)
        self._reader.join(5)
        return self.proc.returncode

    def notable_lines(self) -> list[str]:
        """Log lines that suggest trouble (warnings, errors, tracebacks)."""
        keys = ("WARNING", "ERROR", "CRITICAL", "Traceback", "Exception")
        return [line for line in self.lines if any(key in line for key in keys)]


# --- mails ----------------------------------------------------------------------------

_WORD_TEXT = (
    "printer invoice order account password login error screen update install "
    "delivery refund shipment package router network connection slow crash "
    "license renewal subscription payment card declined address change "
    "warranty replacement broken cable battery charger laptop monitor keyboard "
    "please could you help me with this issue since yesterday morning again "
    "thanks regards urgent tomorrow meeting customer office team manager"
)
_WORDS = tuple(_WORD_TEXT.split())

_SUBJECTS = (
    "Printer on floor {n} does not print",
    "Cannot log in to my account",
    "Invoice {n} shows the wrong amount",
    "Where is my order #{n}?",
    "Laptop battery drains in an hour",
    "Refund for order {n}",
    "VPN disconnects every few minutes",
    "Question about my subscription",
)


@dataclass(frozen=True)
class Mail:
    index: int
    sender: str
    message_id: str
    raw: bytes
    rcpt: str = ""  # the RCPT TO address when it is not the run's support address
    path: str = "new"  # how the desk should thread it: new, or one of THREADING_PATHS


def _paragraphs(rng: random.Random, target: int) -> str:
    parts: list[str] = []
    size = 0
    while size < target:
        sentence_count = rng.randint(2, 5)
        sentences = []
        for _ in range(sentence_count):
            words = [rng.choice(_WORDS) for _ in range(rng.randint(6, 16))]
            sentences.append(" ".join(words).capitalize() + ".")
        paragraph = textwrap.fill(" ".join(sentences), width=72)
        parts.append(paragraph)
        size += len(paragraph) + 2
    return "\n\n".join(parts)


def make_mails(count: int, *, recipient: str, tag: str, seed: int = 1) -> list[Mail]:
    """COUNT distinct mails: own sender and Message-ID each, 1-2 KB text, every 10th
    with a small attachment. Senders are customer<i>-<tag>@bench.example."""
    rng = random.Random(seed)
    mails = []
    for i in range(count):
        sender = f"customer{i}-{tag}@bench.example"
        message_id = f"<bench.{tag}.{i}@bench.example>"
        msg = EmailMessage()
        msg["From"] = f"Customer {i} <{sender}>"
        msg["To"] = recipient
        msg["Subject"] = rng.choice(_SUBJECTS).format(n=rng.randint(100, 99999))
        msg["Date"] = format_datetime(datetime.now(UTC))
        msg["Message-ID"] = message_id
        body = (f"Hello,\n\n{_paragraphs(rng, rng.randint(900, 1800))}\n\n"
                f"Best regards,\nCustomer {i}\n")
        msg.set_content(body)
        if i % 10 == 0:
            log = "\n".join(
                f"2026-11-{rng.randint(1, 28):02d} 10:{rng.randint(0, 59):02d} "
                f"ERROR code={rng.randint(1, 999)} {' '.join(rng.choices(_WORDS, k=6))}"
                for _ in range(30))
            msg.add_attachment(log.encode(), maintype="text", subtype="plain",
                               filename=f"error-{i}.log")
        # CRLF line ends: smtplib sends bytes as they are.
        mails.append(Mail(i, sender, message_id, msg.as_bytes(policy=email.policy.SMTP)))
    return mails


@dataclass(frozen=True)
class Acknowledgment:
    """What the desk's acknowledgment told a customer: where and how to reply."""

    ticket_id: int
    message_id: str
    reply_to: str


#: The threading paths of a follow-up, in the desk's order of trust.
THREADING_PATHS = ("reply address", "In-Reply-To", "subject tag")


def make_follow_ups(openers: Sequence[Mail], acks: dict[str, Acknowledgment], *,
                    recipient: str, tag: str, seed: int = 5) -> list[Mail]:
    """One follow-up per opener that was acknowledged, from the same customer, threading
    through each path in turn: to the signed Reply-To address only; with In-Reply-To /
    References of the acknowledgment's Message-ID only; or with the `[#n]` subject tag
    only. Each quotes the mail it answers (so reply extraction has work to do)."""
    rng = random.Random(seed)
    mails = []
    for n, opener in enumerate(o for o in openers if o.sender in acks):
        ack = acks[opener.sender]
        path = THREADING_PATHS[n % len(THREADING_PATHS)]
        msg = EmailMessage()
        msg["From"] = f"Customer {opener.index} <{opener.sender}>"
        msg["To"] = ack.reply_to if path == "reply address" else recipient
        subject = f"Re: {rng.choice(_SUBJECTS).format(n=opener.index)}"
        msg["Subject"] = (subject.replace("Re: ", f"Re: [#{ack.ticket_id}] ")
                          if path == "subject tag" else subject)
        msg["Date"] = format_datetime(datetime.now(UTC))
        msg["Message-ID"] = f"<bench.{tag}.reply.{opener.index}@bench.example>"
        if path == "In-Reply-To":
            msg["In-Reply-To"] = ack.message_id
            msg["References"] = ack.message_id
        quoted = "\n".join(f"> {line}" for line in _paragraphs(rng, 400).splitlines())
        msg.set_content(f"Hello again,\n\n{_paragraphs(rng, rng.randint(200, 600))}\n\n"
                        f"Customer {opener.index}\n\nOn Monday the desk wrote:\n{quoted}\n")
        mails.append(Mail(opener.index, opener.sender, str(msg["Message-ID"]),
                          msg.as_bytes(policy=email.policy.SMTP),
                          rcpt=ack.reply_to if path == "reply address" else "", path=path))
    return mails


def interleave(first: Sequence[Mail], second: Sequence[Mail]) -> list[Mail]:
    """a1 b1 a2 b2 ...: follow-ups and new tickets arrive mixed, as on a real desk."""
    mixed: list[Mail] = []
    for pair in zip(first, second, strict=False):
        mixed.extend(pair)
    longer = first if len(first) > len(second) else second
    mixed.extend(longer[min(len(first), len(second)):])
    return mixed


# --- SMTP load ------------------------------------------------------------------------


@dataclass
class LoadResult:
    started: float = 0.0  # wall clock (time.time()) before the first connection
    finished: float = 0.0  # wall clock after the last 250
    accepted_at: dict[int, float] = field(default_factory=dict)  # mail index -> wall clock
    transaction_s: list[float] = field(default_factory=list)  # MAIL FROM .. 250, seconds
    errors: list[str] = field(default_factory=list)
    #: CPU seconds (user + system) this process spent while the clients ran: the clients
    #: share the machine with what they measure
    client_cpu_s: float = 0.0

    @property
    def accepted(self) -> int:
        return len(self.accepted_at)

    @property
    def elapsed(self) -> float:
        return max(self.finished - self.started, 1e-9)


def _client(port: int, mails: Sequence[Mail], recipient: str, result: LoadResult,
            lock: threading.Lock, deadline: float) -> None:
    smtp: smtplib.SMTP | None = None
    try:
        for mail in mails:
            if time.monotonic() > deadline:
                with lock:
                    result.errors.append(f"mail {mail.index}: not sent, load deadline passed")
                continue
            for attempt in (1, 2):
                try:
                    if smtp is None:
                        smtp = smtplib.SMTP(HOST, port, local_hostname="bench.example",
                                            timeout=60)
                        smtp.ehlo()
                    start = time.perf_counter()
                    refused = smtp.sendmail(mail.sender, [mail.rcpt or recipient], mail.raw)
                    took = time.perf_counter() - start
                    wall = time.time()
                    with lock:
                        if refused:
                            result.errors.append(f"mail {mail.index}: refused {refused}")
                        else:
                            result.accepted_at[mail.index] = wall
                            result.transaction_s.append(took)
                    break
                except (smtplib.SMTPException, OSError) as exc:
                    with lock:
                        result.errors.append(f"mail {mail.index} (attempt {attempt}): "
                                             f"{type(exc).__name__}: {exc}")
                    if smtp is not None:
                        with contextlib.suppress(Exception):
                            smtp.close()
                    smtp = None
                    # A 4xx/5xx reply to DATA is an answer, not a broken link: no retry.
                    if isinstance(exc, smtplib.SMTPResponseException):
                        break
    finally:
        if smtp is not None:
            with contextlib.suppress(Exception):
                smtp.quit()


def send_all(port: int, mails: Sequence[Mail], *, recipient: str, connections: int,
             timeout: float) -> LoadResult:
    """Send MAILS over CONNECTIONS concurrent smtplib clients (one thread each,
    one connection each, mails dealt round-robin). Bounded by TIMEOUT seconds."""
    result = LoadResult()
    lock = threading.Lock()
    deadline = time.monotonic() + timeout
    threads = [
        threading.Thread(target=_client, name=f"smtp-client-{n}",
                         args=(port, mails[n::connections], recipient, result, lock, deadline),
                         daemon=True)
        for n in range(connections)
    ]
    result.started = time.time()
    cpu = time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()) + 65)
    result.client_cpu_s = time.process_time() - cpu
    result.finished = max(result.accepted_at.values(), default=time.time())
    if any(thread.is_alive() for thread in threads):
        result.errors.append("some client threads were still running at the deadline")
    return result


# --- database -------------------------------------------------------------------------


class Progress:
    """Read-only view of the desk's tables, via sqlite3 or psycopg."""

    def __init__(self, url: str, base: Path, like: str, after_id: int = 0) -> None:
        self.url = url
        self.like = like  # LIKE pattern of this run's senders
        self.after_id = int(after_id)  # only inbound rows after this one (a later phase)
        scheme = url.split(":", 1)[0].split("+", 1)[0]
        if scheme == "sqlite":
            import sqlite3

            path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else url[7:]
            db = Path(path) if os.path.isabs(path) else base / path
            self.path = db
            self.conn: Any = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30,
                                             isolation_level=None)
            self.param = "?"
        elif scheme in ("postgres", "postgresql"):
            import psycopg

            self.conn = psycopg.connect("postgresql:" + url.split(":", 1)[1], autocommit=True)
            self.param = "%s"
        else:
            raise ValueError(f"cannot read progress from database URL {url!r}")

    def _rows(self, sql: str) -> list[tuple[Any, ...]]:
        sql = sql.replace("{mine}", f"mail_from LIKE ? AND id > {self.after_id}")
        sql = sql.replace("{i.mine}", f"i.mail_from LIKE ? AND i.id > {self.after_id}")
        cur = self.conn.execute(sql.replace("?", self.param), (self.like,))
        return list(cur.fetchall())

    def inbound_states(self) -> dict[str, int]:
        rows = self._rows("SELECT state, COUNT(*) FROM inbound WHERE {mine} "
                          "GROUP BY state")
        return {str(state): int(n) for state, n in rows}

    def outbox_states(self) -> dict[str, int]:
        rows = self._rows(
            "SELECT o.state, COUNT(*) FROM outbox o WHERE o.ticket_id IN "
            "(SELECT i.ticket_id FROM inbound i WHERE {i.mine}) GROUP BY o.state")
        return {str(state): int(n) for state, n in rows}

    def per_mail(self) -> list[tuple[str, str, Any, Any, Any]]:
        """(mail_from, state, received_at, processed_at, ticket.created_at) per inbound row."""
        return [tuple(r) for r in self._rows(  # type: ignore[misc]
            "SELECT i.mail_from, i.state, i.received_at, i.processed_at, t.created_at "
            "FROM inbound i LEFT JOIN ticket t ON t.id = i.ticket_id "
            "WHERE {i.mine}")]

    def last_sent_at(self) -> Any:
        rows = self._rows(
            "SELECT MAX(o.sent_at) FROM outbox o WHERE o.ticket_id IN "
            "(SELECT i.ticket_id FROM inbound i WHERE {i.mine})")
        return rows[0][0] if rows else None

    def failures(self, limit: int = 5) -> list[tuple[Any, ...]]:
        inbound = self._rows(
            "SELECT 'inbound', id, state, reason FROM inbound WHERE {mine} "
            f"AND state IN ('failed', 'duplicate', 'ignored') LIMIT {limit}")
        outbox = self._rows(
            "SELECT 'outbox', o.id, o.state, o.last_error FROM outbox o WHERE o.ticket_id IN "
            "(SELECT i.ticket_id FROM inbound i WHERE {i.mine}) "
            f"AND o.state = 'failed' LIMIT {limit}")
        return inbound + outbox

    def tickets_of_senders(self) -> list[tuple[str, int | None]]:
        return [(str(sender), ticket) for sender, ticket in self._rows(
            "SELECT mail_from, ticket_id FROM inbound WHERE {mine}")]

    def last_inbound_id(self) -> int:
        rows = self._rows("SELECT MAX(id) FROM inbound WHERE {mine}")
        return int(rows[0][0] or 0) if rows else 0

    def acknowledgments(self) -> dict[str, Acknowledgment]:
        """Sender -> the acknowledgment of the ticket their mail opened."""
        found: dict[str, Acknowledgment] = {}
        for sender, ticket_id, message_id, headers in self._rows(
                "SELECT i.mail_from, o.ticket_id, o.message_id, o.headers FROM inbound i "
                "JOIN outbox o ON o.ticket_id = i.ticket_id "
                "WHERE {i.mine} AND o.kind = 'acknowledgment'"):
            reply_to = json.loads(headers)["reply_to"] if isinstance(headers, str) \
                else headers["reply_to"]
            found[str(sender)] = Acknowledgment(int(ticket_id), str(message_id), reply_to)
        return found

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()


def _process_role(pid: int) -> str:
    """What a process under the daemon is, from its command line."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "child"
    if b"forkserver" in cmdline:
        return "fork server"
    if b"resource_tracker" in cmdline:
        return "resource tracker"
    return "child"
