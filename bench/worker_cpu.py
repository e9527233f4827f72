"""Worker CPU per mail, by stage: what one worker process spends turning a stored mail
into a ticket + acknowledgment, and sending that acknowledgment. Prints figures; it is
not a test.

    .venv/bin/python bench/worker_cpu.py [--count 400] [--texts alike|varied|both]
        [--replies] [--sql N] [--profile FILE] [--kb-articles N [--kb-alternate]]
        [--keep]

A desk is `postdesk init`ed in a fresh folder under bench/out/ (SQLite), COUNT
generated mails are stored as inbound rows (as the SMTP intake stores them), then
processed in this process as a busy worker process gets them: in batches of
`workpool.BATCH_LIMIT`, each batch with `processing.process_many`, then one
`outbox.send_many` for every outbox row the batch created. CPU time
(time.process_time, this process only) is split into stages by timing the
functions below; a stage's figure excludes the stages nested inside it.
The same run measures a baseline: the standard library parsing each mail and one
SQLite INSERT + COMMIT per mail. CPU figures are steady on a loaded machine;
wall-clock figures are printed too but depend on what else runs.

Two kinds of mail, one run each by default (`--texts both`): "alike", the generated
mails of one small vocabulary, every one of which intake flags as a possible
duplicate (links, an internal note: the worst case), and "varied", real customer
questions (`_varied_mails`), few of which are alike. `--sql N` lists the statements a
mail costs, by kind.
"""

from __future__ import annotations

import argparse
import cProfile
import email.policy
import pstats
import re
import sqlite3
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from email.parser import BytesParser
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    SETTLE_WAIT_S,
    Acknowledgment,
    add_settle_option,
    interleave,
    make_follow_ups,
    make_mails,
    remove_work_folder,
    settle_file_system,
    work_folder,
)
from _varied_mails import varied_mails

RECIPIENT = "support@example.com"


class StageClock:
    """Exclusive CPU time per named stage (time in a nested stage counts there only)."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._stack: list[list[Any]] = []

    def wrap(self, stage: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            frame = [stage, 0.0]
            self._stack.append(frame)
            try:
                return fn(*args, **kwargs)
            finally:
                self._stack.pop()
                spent = time.process_time() - start
                self.cpu[stage] += spent - frame[1]
                self.calls[stage] += 1
                if self._stack:
                    self._stack[-1][1] += spent

        return timed


def instrument(clock: StageClock) -> Callable[[], None]:
    """Replace the worker's stage functions (in the modules that call them) by timed ones;
    returns what puts the originals back."""
    import peewee

    from postdesk.channels.email import sender as outbox
    from postdesk.sla.tracking import track as sla_track
    from postdesk.tickets import automation, mailing
    from postdesk.tickets.receive import chain, customers, follow_up, known, new_ticket
    from postdesk.worker import process as processing
    from postdesk.worker import read_mail

    replaced: list[tuple[Any, str, Any]] = []

    def patch(module: Any, name: str, stage: str) -> None:
        if hasattr(module, name):
            replaced.append((module, name, getattr(module, name)))
            setattr(module, name, clock.wrap(stage, getattr(module, name)))

    patch(read_mail, "load_message", "parse")
    patch(read_mail, "parse_loaded", "parse")
    patch(read_mail, "classify", "classify")
    patch(customers, "new_customer_language", "language of a new sender")
    patch(chain, "decide", "chain: the step that takes it (duplicate, threading reads)")
    patch(chain, "receive", "chain: the step's writes (ticket, message, events)")
    patch(known, "duplicate_check", "duplicates: terms and window")
    patch(known, "repeated_ticket", "duplicates: the same mail again?")
    patch(new_ticket, "check_new_ticket", "duplicates: compare, link, note, index")
    patch(new_ticket, "suggest_for_ticket", "knowledge-base suggestions")
    patch(mailing, "earlier_messages", "thread context (earlier messages)")
    patch(follow_up, "run_automations", "rules (engine + effects)")
    patch(new_ticket, "run_automations", "rules (engine + effects)")
    patch(automation, "facts_of", "facts_of (rules snapshot)")
    patch(automation, "rule_context", "rules context (round-robin reads)")
    patch(automation, "build_mail", "rules: acknowledgment outbox row")
    patch(sla_track, "facts_of", "facts_of (SLA snapshot)")
    patch(sla_track, "store", "SLA store()")
    patch(sla_track, "refresh_safely", "SLA refresh (clocks + store)")
    try:  # the SLA refresh after the commit, in batches (when this desk has it)
        from postdesk.sla.tracking import catch_up as sla_catch_up
    except ImportError:
        pass
    else:
        patch(sla_catch_up, "mark", "SLA mark (in the transaction)")
        patch(sla_catch_up, "refresh_pending", "SLA refresh (clocks + store)")
        patch(sla_catch_up, "facts_for", "facts_of (SLA snapshot)")
        patch(sla_catch_up, "store", "SLA store()")
        patch(sla_catch_up, "store_into", "SLA store()")
    patch(processing, "_finish", "claim/finish UPDATE")
    patch(outbox, "render", "send: render templates + MIME")
    patch(outbox, "send_many", "send: claim, transport, mark sent")
    patch(peewee.Database, "execute_sql", "SQL execute (peewee execute_sql + sqlite3)")

    def restore() -> None:
        for module, name, original in reversed(replaced):
            setattr(module, name, original)

    return restore


def setup_desk(workdir: Path, kb_articles: int | None = None) -> Any:
    """A fresh desk in `workdir`, installed as this process's runtime; its `kb/` the shipped
    example's (None) or `kb_articles` generated articles."""
    from postdesk.config import runtime
    from postdesk.config.desk_init import init_desk
    from postdesk.config.load import load_settings
    from postdesk.store import db, migrations

    desk = workdir / "desk"
    init_desk(desk)
    if kb_articles is not None:
        from kb_search import lay_synthetic_kb

        lay_synthetic_kb(desk, kb_articles)
    settings = load_settings(desk / "postdesk.toml")
    database = db.connect(settings.database_url, synchronous=settings.database.synchronous)
    database.connect()
    migrations.migrate(database)
    runtime.install(runtime.Runtime(settings))
    return settings


def store(mails: list[Any]) -> list[int]:
    from postdesk.store.inbound import Arrival, store_inbound

    return [store_inbound(Arrival(raw=m.raw, mail_from=m.sender, rcpt_to=(m.rcpt,),
                                  source="smtp")) for m in mails]


def acknowledgments(ids: list[int]) -> dict[str, Acknowledgment]:
    from postdesk.store.models import Inbound, Outbox

    rows = (Outbox.select(Outbox, Inbound.mail_from)
            .join(Inbound, on=(Inbound.ticket == Outbox.ticket))
            .where(Inbound.id.in_(ids) & (Outbox.kind == "acknowledgment")).objects())
    return {row.mail_from: Acknowledgment(row.ticket_id, row.message_id,
                                          row.headers["reply_to"]) for row in rows}


#: CPU seconds spent in `processing.process_many` by `work` (all but the sending).
processing_cpu = 0.0


def work(ids: list[int]) -> tuple[int, int]:
    """What a worker process does with a batch of ids (as a busy one gets them): process
    each, then send what they decided together; returns (tickets' mails, mails sent)."""
    global processing_cpu
    from postdesk.channels.email import sender as outbox
    from postdesk.config import runtime
    from postdesk.worker import pool as workpool
    from postdesk.worker import process as processing

    rt = runtime.current()
    sent = done = 0
    for start in range(0, len(ids), workpool.BATCH_LIMIT):
        decided: list[int] = []
        started = time.process_time()
        outcomes = processing.process_many(ids[start:start + workpool.BATCH_LIMIT], rt)
        processing_cpu += time.process_time() - started
        for outcome in outcomes:
            if isinstance(outcome, Exception):
                raise outcome
            done += outcome.state == "done"
            decided += outcome.outbox_ids
        if decided:
            sent += list(outbox.send_many(decided, rt).values()).count("sent")
    return done, sent


def baseline(mails: list[Any], workdir: Path) -> tuple[float, float]:
    """Standard-library parse + one SQLite INSERT/COMMIT per mail: (cpu µs, wall µs)."""
    conn = sqlite3.connect(workdir / "baseline.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=wal")
    conn.execute("PRAGMA synchronous=normal")
    conn.execute("CREATE TABLE mail (id INTEGER PRIMARY KEY, sender TEXT, subject TEXT, "
                 "body TEXT)")
    parser = BytesParser(policy=email.policy.default)
    cpu, wall = time.process_time(), time.perf_counter()
    for mail in mails:
        msg = parser.parsebytes(mail.raw)
        part = msg.get_body(("plain",))
        body = part.get_content() if part is not None else ""
        conn.execute("BEGIN")
        conn.execute("INSERT INTO mail (sender, subject, body) VALUES (?, ?, ?)",
                     (str(msg["From"]), str(msg["Subject"]), body))
        conn.execute("COMMIT")
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    conn.close()
    return cpu / len(mails) * 1e6, wall / len(mails) * 1e6


def flagged_tickets() -> int:
    """How many tickets intake linked as a possible duplicate of an older one (0 for a
    tree without duplicate intake: the bench also measures older commits)."""
    from postdesk.store.models import Link

    return int(Link.select(Link.ticket).where(Link.kind == "possible_duplicate_of")
               .distinct().count())


def statement_shape(sql: str) -> str:
    """A statement without its literal lists, to count statements by kind."""
    shape = re.sub(r"\((?:\s*(?:\?|\d+)\s*,?)+\)", "(?…)", " ".join(sql.split()))
    return re.sub(r"(?:\(\?…\),\s*)+\(\?…\)", "(?…)…", shape)[:150]


def measure(args: argparse.Namespace, texts: str, kb_articles: int | None = None
            ) -> float | None:
    """One run on a fresh desk with `texts` ("alike" or "varied") mails (and `kb_articles`
    generated articles in `kb/`, when not None); prints its figures and returns the worker
    CPU seconds per mail of the untimed half, None when a mail was not processed."""
    print(settle_file_system(SETTLE_WAIT_S, wait=not args.no_settle), flush=True)
    workdir = work_folder("postdesk-worker-cpu-")
    setup_desk(workdir, kb_articles)
    warm = make_mails(20, recipient=RECIPIENT, tag="warm", seed=7)
    work(store(warm))  # imports, template compilation, rule loading
    source = "the bench's generated mails, one small vocabulary: all alike"
    if args.replies:
        half = args.count // 2
        firsts = make_mails(half, recipient=RECIPIENT, tag="first", seed=2)
        first_ids = store(firsts)
        work(first_ids)
        replies = make_follow_ups(firsts, acknowledgments(first_ids), recipient=RECIPIENT,
                                  tag="first")
        mails = interleave(replies, make_mails(args.count - len(replies),
                                               recipient=RECIPIENT, tag="new", seed=3))
    elif texts == "varied":
        mails, source = varied_mails(args.count, recipient=RECIPIENT, tag="cpu")
    else:
        mails = make_mails(args.count, recipient=RECIPIENT, tag="cpu", seed=1)
    flagged_before = flagged_tickets()
    ids = store(mails)
    # First half untimed: the true CPU per mail (timing a stage costs two clock reads,
    # which are system calls on some machines). Second half timed: where it goes.
    plain_ids, ids = ids[: len(ids) // 2], ids[len(ids) // 2:]
    global processing_cpu
    processing_cpu = 0.0
    plain_cpu = time.process_time()
    plain_done, _ = work(plain_ids)
    plain_cpu = time.process_time() - plain_cpu
    plain_processing = processing_cpu

    from postdesk.store.db import database

    clock = StageClock()
    restore = instrument(clock)
    statements = 0
    shapes: Counter[str] = Counter()
    shape_cpu: Counter[str] = Counter()
    original_cursor = database.obj.cursor
    original_execute = database.obj.execute_sql

    def counting_cursor(*a: Any, **k: Any) -> Any:
        nonlocal statements
        statements += 1
        return original_cursor(*a, **k)

    def noting_execute(sql: str, *a: Any, **k: Any) -> Any:
        shape = statement_shape(sql)
        shapes[shape] += 1
        started = time.process_time()
        try:
            return original_execute(sql, *a, **k)
        finally:
            shape_cpu[shape] += time.process_time() - started

    database.obj.cursor = counting_cursor
    if args.sql:
        database.obj.execute_sql = noting_execute
    profiler = cProfile.Profile() if args.profile else None
    cpu, wall = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    done, sent = work(ids)
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    database.obj.cursor = original_cursor
    database.obj.execute_sql = original_execute
    restore()
    base_cpu, base_wall = baseline(mails, workdir)

    n = len(ids)
    follow_ups = sum(m.path != "new" for m in mails)
    flagged = flagged_tickets() - flagged_before
    kb = "" if kb_articles is None else f", kb/ of {kb_articles} generated articles"
    print(f"== {texts} texts: {source}{kb}")
    print(f"{len(mails)} mails ({follow_ups} follow-ups, {len(mails) - follow_ups} new "
          f"tickets, mixed), half untimed, half timed: {done + plain_done} done, "
          f"{sent} acknowledgments/notifications sent; {flagged} flagged as possible "
          f"duplicates; database SQLite in {workdir}")
    if profiler:
        print("(cProfile on: figures include its overhead)")
    print(f"{'stage':58} {'µs/mail':>9} {'share':>6}")
    timed = 0.0
    for stage, spent in sorted(clock.cpu.items(), key=lambda kv: -kv[1]):
        timed += spent
        print(f"{stage:58} {spent / n * 1e6:9.0f} {spent / cpu:6.1%}")
    rest = cpu - timed
    print(f"{'other (worker glue, transactions, ORM outside stages)':58} "
          f"{rest / n * 1e6:9.0f} {rest / cpu:6.1%}")
    print(f"{'total of the timed half (with the timing overhead)':58} {cpu / n * 1e6:9.0f}")
    per_mail = plain_cpu / len(plain_ids)
    print(f"{'TOTAL worker CPU (untimed half)':58} {per_mail * 1e6:9.0f}   = "
          f"{1 / per_mail:.0f} mails/s per core")
    print(f"{'  of which processing (process_many, untimed half)':58} "
          f"{plain_processing / len(plain_ids) * 1e6:9.0f}   = "
          f"{plain_processing / len(plain_ids) * 1e6 / base_cpu:.1f}x baseline")
    print(f"SQL statements per mail: {statements / n:.1f}")
    if args.sql:
        print("  per mail: statements, µs of CPU to execute them (rows read later not counted)")
    for shape, spent in shape_cpu.most_common(args.sql):
        print(f"  {shapes[shape] / n:5.2f} {spent / n * 1e6:6.0f}  {shape}")
    print(f"wall clock per mail: {wall / n * 1e6:.0f} µs (noisy on a shared machine)")
    print(f"baseline (stdlib parse + 1 INSERT/COMMIT): {base_cpu:.0f} µs CPU, "
          f"{base_wall:.0f} µs wall per mail = {1e6 / base_cpu:.0f} mails/s per core; "
          f"ratio postdesk/baseline CPU {per_mail * 1e6 / base_cpu:.1f}x")
    if profiler and args.profile:
        name = f"{args.profile}.{texts}" + ("" if kb_articles is None else f".kb{kb_articles}")
        profiler.dump_stats(name)
        stats = pstats.Stats(name)
        stats.sort_stats("tottime").print_stats(25)
    if not args.keep:
        remove_work_folder(workdir)
    return per_mail if done == n and plain_done == len(plain_ids) else None


def compare_kb(args: argparse.Namespace, texts: str) -> bool:
    """The same mails on a desk with an empty `kb/` and on one with `--kb-articles`
    generated articles, one after the other; prints what the knowledge base adds."""
    without = measure(args, texts, 0)
    with_kb = measure(args, texts, args.kb_articles)
    if without is None or with_kb is None:
        return False
    print(f"== {texts} texts, knowledge base: worker CPU per mail {without * 1e6:.0f} µs "
          f"without, {with_kb * 1e6:.0f} µs with {args.kb_articles} articles: "
          f"{(with_kb - without) * 1e6:+.0f} µs ({with_kb / without - 1:+.1%})", flush=True)
    return True


def alternate_kb(args: argparse.Namespace) -> bool:
    """One desk with `--kb-articles` articles; batches of new-ticket mails processed in
    turn with the suggestions on and off (`suggestions_for` giving none), the order
    swapped every round: both halves meet the same load on a shared machine, so this is
    the steadiest figure of what suggesting costs per mail (the look at `kb/` every
    `reload_interval` and the index's memory are on both sides)."""
    from postdesk.tickets import kb_suggestions

    print(settle_file_system(SETTLE_WAIT_S, wait=not args.no_settle), flush=True)
    workdir = work_folder("postdesk-worker-cpu-")
    setup_desk(workdir, args.kb_articles)
    work(store(make_mails(20, recipient=RECIPIENT, tag="warm", seed=7)))
    size = 40
    rounds = max(args.count // (2 * size), 1)
    ids = store(make_mails(rounds * 2 * size, recipient=RECIPIENT, tag="cpu", seed=1))
    real = kb_suggestions.suggestions_for
    cpu = {"on": 0.0, "off": 0.0}
    try:
        for number in range(rounds):
            for mode in ("on", "off") if number % 2 == 0 else ("off", "on"):
                kb_suggestions.suggestions_for = real if mode == "on" else _no_suggestions
                batch, ids = ids[:size], ids[size:]
                started = time.process_time()
                done, _ = work(batch)
                cpu[mode] += time.process_time() - started
                if done != len(batch):
                    return False
    finally:
        kb_suggestions.suggestions_for = real
    on, off = (cpu[mode] / (rounds * size) for mode in ("on", "off"))
    print(f"== alike texts, {args.kb_articles} articles, batches of {size} in turn "
          f"({rounds} each): worker CPU per mail {on * 1e6:.0f} µs with suggestions, "
          f"{off * 1e6:.0f} µs without: {(on - off) * 1e6:+.0f} µs ({on / off - 1:+.1%})",
          flush=True)
    if not args.keep:
        remove_work_folder(workdir)
    return True


def _no_suggestions(*args: Any, **kwargs: Any) -> list[Any]:
    return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=400, help="mails to process (400)")
    parser.add_argument("--replies", action="store_true",
                        help="half new tickets, half follow-ups (signed reply address, "
                             "In-Reply-To, [#n] subject tag); implies --texts alike")
    parser.add_argument("--texts", choices=("alike", "varied", "both"), default="both",
                        help="alike: the generated mails of one small vocabulary (each one "
                             "flagged as a possible duplicate, the worst case); varied: "
                             "real customer questions (StackFAQ when present, else made-up "
                             "texts); both (default): one run of each, one after the other")
    parser.add_argument("--sql", type=int, default=0, metavar="N",
                        help="also print the N statements that cost the most CPU per mail")
    parser.add_argument("--keep", action="store_true", help="keep the desk's folder")
    parser.add_argument("--profile", metavar="FILE",
                        help="also write a cProfile of the timed run (pstats, FILE.alike / "
                             "FILE.varied) and print its top functions")
    parser.add_argument("--kb-articles", type=int, default=None, metavar="N",
                        help="run each kind of texts twice, on a desk with an empty kb/ and "
                             "on one with N generated articles (bench/kb_search.py's), and "
                             "print the CPU per mail the knowledge base adds")
    parser.add_argument("--kb-alternate", action="store_true",
                        help="with --kb-articles: one desk, batches in turn with the "
                             "suggestions on and off (the steadiest figure on a busy "
                             "machine) instead of two desks one after the other")
    add_settle_option(parser)
    args = parser.parse_args(argv)
    if args.kb_alternate:
        if args.kb_articles is None:
            parser.error("--kb-alternate needs --kb-articles N")
        return 0 if alternate_kb(args) else 1
    kinds = (["alike"] if args.replies or args.texts == "alike"
             else ["varied"] if args.texts == "varied" else ["alike", "varied"])
    ok = True
    for texts in kinds:
        if args.kb_articles is not None:
            ok = compare_kb(args, texts) and ok
        else:
            ok = measure(args, texts) is not None and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
