"""First sync of a full mailbox: how long until N mails are committed inbound rows (and flagged).

Needs Dovecot installed (a private instance is started in a temp dir, as in
the tests). Prints mails per second, CPU seconds and peak memory of the
intake, against a baseline in the same run: stdlib imaplib fetching the same
mails in batches of the same size and storing nothing (the floor set by
Dovecot and the loopback link). Wall-clock figures depend on the machine's
load; the CPU figures less so.

    .venv/bin/python bench/imap_first_run.py [N]   # default 10000
"""

from __future__ import annotations

import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "tests")]

from imap.dovecot import PASSWORD, USER, Dovecot  # noqa: E402
from mailbuild import customer_mail  # noqa: E402
from postdesk.channels.email.imap.intake import BATCH_MESSAGES, ImapIntake  # noqa: E402
from postdesk.config.settings import ImapSource  # noqa: E402
from postdesk.store import db, migrations  # noqa: E402
from postdesk.store.models import Inbound  # noqa: E402


def fill(server: Dovecot, total: int) -> None:
    client = server.client()
    for number in range(total):
        client.append("INBOX", None, None, customer_mail(
            sender=f"Customer {number} <c{number}@bench.example>", subject=f"Bench {number}",
            message_id=f"<bench-{number}@bench.example>",
            body=("Some text of a typical support mail. " * 40) + f"\n{number}\n").as_bytes())
    client.logout()


def bare_fetch(server: Dovecot, batch: int) -> int:
    """The baseline: fetch every mail's bytes with imaplib, batch by batch; count the bytes."""
    client = server.client()
    try:
        client.select("INBOX", readonly=True)
        _, data = client.uid("search", "ALL")
        uids = data[0].split()
        total = 0
        for start in range(0, len(uids), batch):
            chunk = b",".join(uids[start:start + batch]).decode()
            _, items = client.uid("fetch", chunk, "(UID BODY.PEEK[])")
            total += sum(len(item[1]) for item in items if isinstance(item, tuple))
        return total
    finally:
        client.logout()


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def first_sync(source: ImapSource) -> int:
    intake = ImapIntake(source, on_stored=lambda _id: None)
    await intake.session.connect()
    try:
        from postdesk.channels.email.imap.state import load_state, reset_state

        selected = await intake.session.select(source.folder)
        state = await asyncio.to_thread(load_state, source.name)
        intake.state = await asyncio.to_thread(reset_state, source.name, state,
                                               selected.uidvalidity, 0)
        return await intake.catch_up()
    finally:
        await intake.session.close()


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    server = Dovecot().start()
    try:
        started = time.perf_counter()
        fill(server, total)
        print(f"filled the mailbox with {total} mails in {time.perf_counter() - started:.1f} s")
        folder = Path(tempfile.mkdtemp(prefix="postdesk-bench-"))
        database = db.connect(f"sqlite:///{folder / 'bench.db'}")
        with database.connection_context():
            migrations.migrate(database)
        source = ImapSource(name="bench", host="127.0.0.1", port=server.port, tls="off",
                            user=USER, password=PASSWORD, address="support@example.com")
        started, cpu = time.perf_counter(), cpu_seconds()
        fetched = bare_fetch(server, BATCH_MESSAGES)
        base_s, base_cpu = time.perf_counter() - started, cpu_seconds() - cpu
        print(f"baseline, imaplib fetch only: {total} mails ({fetched / 2**20:.0f} MiB) in "
              f"{base_s:.1f} s ({total / base_s:.0f} mails/s), {base_cpu:.1f} s CPU")
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started, cpu = time.perf_counter(), cpu_seconds()
        stored = asyncio.run(first_sync(source))
        elapsed, used = time.perf_counter() - started, cpu_seconds() - cpu
        with database.connection_context():
            assert Inbound.select().count() == stored == total, (stored, total)
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"first sync: {stored} mails stored and flagged \\Seen in {elapsed:.1f} s "
              f"({stored / elapsed:.0f} mails/s, {elapsed / base_s:.1f}x the baseline); "
              f"{used:.1f} s CPU ({1000 * used / stored:.2f} ms per mail); "
              f"peak RSS {rss_after / 1024:.0f} MiB "
              f"(+{(rss_after - rss_before) / 1024:.0f} MiB during the sync)")
    finally:
        server.cleanup()


if __name__ == "__main__":
    main()
