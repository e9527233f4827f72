"""A desk spread over processes, for the scale-out tests: a PostgreSQL database of its
own, a unique queue on a real broker, `postdesk serve --no-worker` and `postdesk worker`
subprocesses, and an SMTP client that keeps retrying like an MTA."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

from mailbuild import customer_mail, wait_for
from mailbuild import send_until_accepted as shared_send_until_accepted

POSTDESK = str(Path(sys.executable).with_name("postdesk"))
#: [broker] redispatch_after, seconds: how long the sweeper leaves a lost queue message.
REDISPATCH_ENV = "POSTDESK_BROKER_REDISPATCH_AFTER"
#: [outgoing] send_lease and timeout, seconds: how long a mail whose sender was killed waits.
SEND_LEASE_ENV = {"POSTDESK_OUTGOING_SEND_LEASE": "10", "POSTDESK_OUTGOING_TIMEOUT": "5"}


def purge_rabbitmq_queue(url: str, queue: str) -> None:
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        channel = connection.channel()
        for name in (queue, f"{queue}.DQ", f"{queue}.XQ"):
            channel.queue_delete(queue=name)
    finally:
        connection.close()


class Process:
    """One `postdesk` subprocess with its log in a file."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path, ready: str) -> None:
        self.log, self.ready = log, ready
        with log.open("ab") as out:
            self.proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)

    def wait_ready(self, timeout: float = 60) -> None:
        def ready() -> bool:
            assert self.proc.poll() is None, f"exited early:\n{self.log.read_text()[-3000:]}"
            return self.ready.encode() in self.log.read_bytes()

        wait_for(ready, timeout=timeout, interval=0.1)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        stop_process(self.proc, grace=30)


def stop_process(proc: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM, `grace` seconds to drain, then SIGKILL (a no-op for an ended process)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


class Cluster:
    """One intake node and N workers sharing a database and a broker queue."""

    def __init__(self, config: Path, logs: Path, env: dict[str, str]) -> None:
        self.config, self.logs = config, logs
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("POSTDESK_")}
        self.env["POSTDESK_WEB_LISTEN"] = ""  # the skeleton's fixed port: off here
        self.env.update(env)
        self.intake: Process | None = None
        self.workers: list[Process] = []

    def start(self, workers: int, threads: int = 2) -> None:
        self.intake = Process([POSTDESK, "--config", str(self.config), "serve", "--no-worker"],
                              self.env, self.logs / "serve.log", "postdesk ready")
        self.intake.wait_ready()
        for n in range(workers):
            process = Process([POSTDESK, "--config", str(self.config), "worker",
                               "--threads", str(threads)],
                              self.env, self.logs / f"worker{n}.log", "postdesk worker ready")
            self.workers.append(process)
        for process in self.workers:
            process.wait_ready()

    @property
    def port(self) -> int:
        return int(self.env["POSTDESK_SMTP_LISTEN"].rpartition(":")[2])

    def stop(self) -> None:
        for process in [*self.workers, *([self.intake] if self.intake else [])]:
            process.stop()

    def log_tail(self, chars: int = 2000) -> str:
        return "\n".join(f"--- {path.name}\n{path.read_text(errors='replace')[-chars:]}"
                         for path in sorted(self.logs.glob("*.log")))


def mail_id(number: int, tag: str) -> str:
    return f"so-{number}.{tag}@scale.example"


def _scale_mail(tag: str) -> Callable[[int], EmailMessage]:
    def make(number: int) -> EmailMessage:
        return customer_mail(
            sender=f"Customer {number} <customer{number}.{tag}@scale.example>",
            subject=f"Scale-out {number}", message_id=f"<{mail_id(number, tag)}>",
            body=f"Mail number {number}.\n")
    return make


def send_until_accepted(port: int, numbers: list[int], tag: str, acked: set[int],
                        lock: threading.Lock, deadline: float) -> None:
    shared_send_until_accepted(port, numbers, _scale_mail(tag), acked, lock, deadline)


def send_burst(port: int, total: int, tag: str, connections: int = 4,
               timeout: float = 120) -> tuple[list[threading.Thread], set[int]]:
    """Start sending mails 0..total-1 over CONNECTIONS clients; returns (threads, acked)."""
    acked: set[int] = set()
    lock = threading.Lock()
    deadline = time.monotonic() + timeout
    threads = [threading.Thread(target=send_until_accepted, daemon=True,
                                args=(port, list(range(i, total, connections)), tag, acked,
                                      lock, deadline))
               for i in range(connections)]
    for thread in threads:
        thread.start()
    return threads, acked
