"""Ingest benchmark: SMTP mails in -> tickets and acknowledgments out, versus a bare
fsync-per-mail aiosmtpd server. Prints figures; it is not a test.

    .venv/bin/python bench/ingest.py [--count 2000] [--connections 8] [--keep]
                                     [--database-url URL] [--timeout 300] [--json]

See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    SETTLE_WAIT_S,
    THREADING_PATHS,
    Daemon,
    LoadResult,
    Mail,
    Progress,
    add_settle_option,
    as_datetime,
    free_port,
    interleave,
    listeners,
    make_follow_ups,
    make_mails,
    percentile,
    remove_work_folder,
    send_all,
    settle_file_system,
    work_folder,
)

RECIPIENT = "support@example.com"
BENCH_DIR = Path(__file__).resolve().parent


def epoch(dt: datetime) -> float:
    return dt.replace(tzinfo=UTC).timestamp()


def postdesk_command() -> str:
    candidate = Path(sys.executable).parent / "postdesk"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("postdesk")
    if not found:
        raise SystemExit("cannot find the postdesk command (run with the project's venv)")
    return found


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="mails to send (2000)")
    parser.add_argument("--connections", type=int, default=8,
                        help="concurrent SMTP connections (8)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary desk")
    parser.add_argument("--database-url", default="",
                        help="database for the daemon (POSTDESK_DATABASE_URL), e.g. "
                             "postgresql://user:pw@127.0.0.1/bench; default: the desk's SQLite")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="seconds allowed for the whole postdesk run, from the first "
                             "connection to the last acknowledgment sent (300)")
    parser.add_argument("--replies", action="store_true",
                        help="replies mode: first COUNT/2 mails open tickets (not measured), "
                             "then COUNT mails are measured, half new tickets and half "
                             "follow-ups to those tickets, a third each through the signed "
                             "reply address, In-Reply-To and the [#n] subject tag")
    add_settle_option(parser)
    parser.add_argument("--kb-articles", type=int, default=None, metavar="N",
                        help="run postdesk twice in this run: with an empty kb/ and with N "
                             "generated articles (bench/kb_search.py's), and print the "
                             "throughput and CPU per mail of both")
    parser.add_argument("--kb-rounds", type=int, default=1, metavar="R",
                        help="with --kb-articles: R runs of each, alternating, each "
                             "round's pair and the medians of the pairs (1; 3 or more "
                             "to see the spread)")
    parser.add_argument("--json", action="store_true",
                        help="print the figures as one JSON object on the last line")
    args = parser.parse_args(argv)
    if args.count < 1 or args.connections < 1:
        parser.error("--count and --connections must be positive")
    return args


def wait_done(progress: Progress, expected: int, deadline: float) -> dict[str, Any]:
    """Poll until EXPECTED inbound rows are out of 'pending' and no outbox row is
    pending or sending; returns the last counts and whether it completed."""
    inbound: dict[str, int] = {}
    outbox: dict[str, int] = {}
    while True:
        inbound = progress.inbound_states()
        outbox = progress.outbox_states()
        settled = sum(n for state, n in inbound.items() if state != "pending")
        busy = outbox.get("pending", 0) + outbox.get("sending", 0)
        if settled >= expected and busy == 0:
            return {"complete": True, "seen_at": time.time(), "inbound": inbound,
                    "outbox": outbox}
        if time.monotonic() > deadline or not expected:
            return {"complete": False, "seen_at": time.time(), "inbound": inbound,
                    "outbox": outbox}
        time.sleep(0.2)


def run_postdesk(args: argparse.Namespace, workdir: Path, mails: list[Mail], tag: str,
                 kb_articles: int | None = None) -> dict[str, Any]:
    """Run the daemon over MAILS; in replies mode first over openers (not measured), and
    MAILS become half follow-ups to their tickets, half new tickets."""
    desk = workdir / "desk"
    subprocess.run([postdesk_command(), "init", str(desk)], check=True, timeout=120,
                   stdout=subprocess.DEVNULL)
    if kb_articles is not None:
        from kb_search import lay_synthetic_kb

        lay_synthetic_kb(desk, kb_articles)
    config = desk / "postdesk.toml"
    port = free_port()
    env = dict(os.environ, **listeners(port))
    url = args.database_url or "sqlite:///var/postdesk.db"
    if args.database_url:
        env["POSTDESK_DATABASE_URL"] = args.database_url
    daemon = Daemon("postdesk", [postdesk_command(), "--config", str(config), "serve"],
                    env=env, cwd=desk, ready_marker="postdesk ready")
    progress: Progress | None = None
    threading: dict[str, Any] = {}
    try:
        daemon.wait_ready(60)
        after_id = 0
        if args.replies:
            mails, after_id, threading = _open_tickets_first(args, port, url, desk, mails, tag)
        cpu_before = daemon.cpu_seconds()
        started = time.monotonic()
        load = send_all(port, mails, recipient=RECIPIENT, connections=args.connections,
                        timeout=args.timeout)
        progress = Progress(url, desk, f"%{tag}@bench.example", after_id=after_id)
        backlog = progress.inbound_states().get("pending", 0)
        done = wait_done(progress, load.accepted, started + args.timeout)
        rows = progress.per_mail()
        last_sent = as_datetime(progress.last_sent_at())
        failures = progress.failures()
        if args.replies:
            threading["threaded"] = _threaded(progress, mails, threading.pop("acks"))
        peak_kib = daemon.peak_rss_kib()
        cpu = {name: spent - cpu_before.get(name, 0.0)
               for name, spent in daemon.cpu_seconds().items()}
    finally:
        if progress is not None:
            progress.close()
        exit_code = daemon.stop()
    args.measured_mails = mails

    # 250 -> ticket latency, per mail, wall clock UTC on both sides.
    accepted_at = {mails[i].sender: t for i, t in load.accepted_at.items()}
    latencies = []
    finished = [load.finished]
    for sender, _state, _received, processed, created in rows:
        moment = as_datetime(created) or as_datetime(processed)
        if (moment is not None and sender in accepted_at and as_datetime(processed)
                and epoch(moment) < accepted_at[sender]):
            moment = as_datetime(processed)  # a follow-up: its ticket is older than the mail
        if as_datetime(processed) is not None:
            finished.append(epoch(as_datetime(processed)))  # type: ignore[arg-type]
        if moment is None or sender not in accepted_at:
            continue
        latencies.append((epoch(moment) - accepted_at[sender]) * 1000)
    committed_end = max(finished)  # the last ticket + acknowledgment committed
    if last_sent is not None:
        finished.append(epoch(last_sent))
    end = max(finished) if done["complete"] else done["seen_at"]
    return {
        "load": load,
        "committed_s": committed_end - load.started,
        "end_to_end_s": end - load.started,
        "complete": done["complete"],
        "inbound_states": done["inbound"],
        "outbox_states": done["outbox"],
        "backlog_at_last_250": backlog,
        "latency_ms": latencies,
        "peak_rss_kib": peak_kib,
        "failures": failures,
        "exit_code": exit_code,
        "notable": daemon.notable_lines(),
        "log_lines": len(daemon.lines),
        "threading": threading,
        "cpu_s": cpu,
    }


def _open_tickets_first(args: argparse.Namespace, port: int, url: str, desk: Path,
                        mails: list[Mail], tag: str) -> tuple[list[Mail], int, dict[str, Any]]:
    """Replies mode: send the openers, wait for their acknowledgments, and build the
    measured mails (follow-ups interleaved with new tickets)."""
    openers = mails[: max(len(mails) // 2, 1)]
    load = send_all(port, openers, recipient=RECIPIENT, connections=args.connections,
                    timeout=args.timeout)
    progress = Progress(url, desk, f"%{tag}@bench.example")
    try:
        wait_done(progress, load.accepted, time.monotonic() + args.timeout)
        acks = progress.acknowledgments()
        after_id = progress.last_inbound_id()
    finally:
        progress.close()
    follow_ups = make_follow_ups(openers, acks, recipient=RECIPIENT, tag=tag)
    fresh = make_mails(args.count - len(follow_ups), recipient=RECIPIENT, tag=f"n{tag}",
                       seed=3)
    measured = [replace(m, index=i) for i, m in enumerate(interleave(follow_ups, fresh))]
    return measured, after_id, {"openers": load.accepted, "acks": acks}


def _threaded(progress: Progress, mails: list[Mail], acks: dict[str, Any]) -> dict[str, str]:
    """Per threading path: follow-ups stored on the ticket they answer / sent."""
    landed = {sender: ticket for sender, ticket in progress.tickets_of_senders()}
    result = {}
    for path in THREADING_PATHS:
        sent = [m for m in mails if m.path == path]
        right = sum(landed.get(m.sender) == acks[m.sender].ticket_id for m in sent)
        result[path] = f"{right}/{len(sent)}"
    return result


def run_baseline(args: argparse.Namespace, workdir: Path, mails: list[Any]) -> dict[str, Any]:
    port = free_port()
    spool = workdir / "baseline-spool"
    daemon = Daemon("baseline", [sys.executable, str(BENCH_DIR / "_baseline_server.py"),
                                 str(port), str(spool)], ready_marker="baseline ready")
    try:
        daemon.wait_ready(30)
        load = send_all(port, mails, recipient=RECIPIENT, connections=args.connections,
                        timeout=args.timeout)
        peak_kib = daemon.peak_rss_kib()
    finally:
        exit_code = daemon.stop()
    return {"load": load, "files": len(list(spool.glob("*.eml"))), "peak_rss_kib": peak_kib,
            "exit_code": exit_code, "notable": daemon.notable_lines()}


def compare_kb(args: argparse.Namespace, workdir: Path, mails: list[Mail], tag: str) -> None:
    """The same mails through a desk without a knowledge base and one with N articles,
    `--kb-rounds` times (the order swapped each round, so that a load that rises or falls
    during the run does not favour one side); prints each run, each round's pair (the two
    runs next to each other in time, so under the most alike load this machine gives) and
    the medians of the pairs' ratios with their range: the spread says how far to trust
    a figure on a shared machine."""
    kinds = (("no kb", 0), (f"{args.kb_articles} articles", args.kb_articles))
    figures: dict[str, list[float]] = {label: [] for label, _ in kinds}
    cpus: dict[str, list[float]] = {label: [] for label, _ in kinds}
    for number in range(args.kb_rounds):
        for label, articles in kinds if number % 2 == 0 else kinds[::-1]:
            folder = workdir / f"kb-{articles}-{number}"
            folder.mkdir()
            run = run_postdesk(args, folder, mails, tag, kb_articles=articles)
            settled = sum(n for s, n in run["inbound_states"].items() if s != "pending")
            committed = settled / run["committed_s"] if run["committed_s"] > 0 else 0.0
            cpu = sum(run["cpu_s"].values()) / max(settled, 1) * 1000
            figures[label].append(committed)
            cpus[label].append(cpu)
            print(f"kb        {label:>14}: end-to-end {committed:.1f} msg/s, "
                  f"{cpu:.2f} ms CPU per mail, complete {run['complete']}", flush=True)
        (without, _), (with_kb, _) = kinds
        pair = (figures[with_kb][-1] / figures[without][-1] if figures[without][-1] else 0.0,
                cpus[with_kb][-1] / cpus[without][-1] if cpus[without][-1] else 0.0)
        print(f"kb        round {number + 1}: throughput with the KB {pair[0]:.1%} of "
              f"without, CPU per mail {pair[1] - 1:+.1%}", flush=True)
    _print_kb_summary(args, figures, cpus, [label for label, _ in kinds])


def _print_kb_summary(args: argparse.Namespace, figures: dict[str, list[float]],
                      cpus: dict[str, list[float]], labels: list[str]) -> None:
    """The medians of each side and of the rounds' ratios (with their range)."""
    without, with_kb = labels
    through = [w / o for w, o in zip(figures[with_kb], figures[without], strict=True) if o]
    cpu = [w / o - 1 for w, o in zip(cpus[with_kb], cpus[without], strict=True) if o]
    added = statistics.median(w - o for w, o in zip(cpus[with_kb], cpus[without], strict=True))
    medians = " (medians of the rounds)" if args.kb_rounds > 1 else ""
    spread = (f"; rounds {min(through):.1%}-{max(through):.1%} and CPU "
              f"{min(cpu):+.1%} to {max(cpu):+.1%}" if len(through) > 1 else "")
    print(f"kb        throughput with the KB{medians}: {statistics.median(through):.1%} of "
          f"without (drop {1 - statistics.median(through):.1%}); CPU per mail with the KB: "
          f"{added:+.2f} ms ({statistics.median(cpu):+.1%}, medians of the rounds' pairs; "
          f"the steadier figure on a loaded machine){spread}", flush=True)


def fmt(value: float | None, spec: str = ".0f") -> str:
    return "n/a" if value is None else format(value, spec)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(settle_file_system(SETTLE_WAIT_S, wait=not args.no_settle), flush=True)
    tag = secrets.token_hex(4)
    workdir = work_folder("postdesk-bench-")
    mails = make_mails(args.count, recipient=RECIPIENT, tag=tag)
    avg_kb = sum(len(m.raw) for m in mails) / len(mails) / 1024
    if args.replies:
        print(f"replies mode: {len(mails) // 2} openers first (not measured), then the "
              f"measured {args.count}: half follow-ups, half new tickets")
    print(f"{args.count} mails (avg {avg_kb:.1f} KB, every 10th with an attachment) over "
          f"{args.connections} connections; database "
          f"{args.database_url or 'sqlite (desk default)'}; work dir {workdir}", flush=True)
    try:
        if args.kb_articles is not None:
            compare_kb(args, workdir, mails, tag)
        pd = run_postdesk(args, workdir, mails, tag)
        mails = args.measured_mails
        base = run_baseline(args, workdir, mails)
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            remove_work_folder(workdir)

    pl: LoadResult = pd["load"]
    bl: LoadResult = base["load"]
    pd_accepted = pl.accepted / pl.elapsed
    bl_accepted = bl.accepted / bl.elapsed
    settled = sum(n for s, n in pd["inbound_states"].items() if s != "pending")
    pd_e2e = settled / pd["end_to_end_s"] if pd["end_to_end_s"] > 0 else None
    pd_committed = settled / pd["committed_s"] if pd["committed_s"] > 0 else None
    tx_ms = [t * 1000 for t in pl.transaction_s]
    btx_ms = [t * 1000 for t in bl.transaction_s]
    lat = pd["latency_ms"]
    rss_mb = pd["peak_rss_kib"] / 1024 if pd["peak_rss_kib"] else None
    figures = {
        "count": args.count,
        "connections": args.connections,
        "database": args.database_url.split("@")[-1] if args.database_url else "sqlite",
        "postdesk_accepted": pl.accepted,
        "postdesk_accepted_msgs_per_s": round(pd_accepted, 1),
        "postdesk_end_to_end_msgs_per_s": round(pd_e2e, 1) if pd_e2e else None,
        "postdesk_committed_msgs_per_s": round(pd_committed, 1) if pd_committed else None,
        "postdesk_end_to_end_complete": pd["complete"],
        "postdesk_end_to_end_s": round(pd["end_to_end_s"], 2),
        "postdesk_p50_250_to_ticket_ms": percentile(lat, 50),
        "postdesk_p99_250_to_ticket_ms": percentile(lat, 99),
        "postdesk_p50_smtp_ms": percentile(tx_ms, 50),
        "postdesk_p99_smtp_ms": percentile(tx_ms, 99),
        "postdesk_peak_rss_mb": round(rss_mb, 1) if rss_mb else None,
        "postdesk_inbound_states": pd["inbound_states"],
        "postdesk_outbox_states": pd["outbox_states"],
        "postdesk_pending_at_last_250": pd["backlog_at_last_250"],
        "postdesk_client_errors": len(pl.errors),
        "postdesk_log_warnings": len(pd["notable"]),
        "baseline_accepted": bl.accepted,
        "baseline_accepted_msgs_per_s": round(bl_accepted, 1),
        "baseline_p50_smtp_ms": percentile(btx_ms, 50),
        "baseline_p99_smtp_ms": percentile(btx_ms, 99),
        "baseline_client_errors": len(bl.errors),
        "ratio": round(pd_accepted / bl_accepted, 3) if bl_accepted else None,
        "follow_ups_threaded": pd["threading"].get("threaded"),
    }
    for key, value in figures.items():
        if isinstance(value, float) and key.endswith("_ms"):
            figures[key] = round(value, 1)

    e2e_note = "" if pd["complete"] else " (INCOMPLETE: timed out)"
    print()
    print(f"postdesk  accepted {pd_accepted:.1f} msg/s  end-to-end (ticket + acknowledgment "
          f"committed) {fmt(pd_committed, '.1f')} msg/s  all acknowledgments sent "
          f"{fmt(pd_e2e, '.1f')} msg/s{e2e_note}")
    print(f"          p50 250->ticket {fmt(percentile(lat, 50))} ms  "
          f"p99 {fmt(percentile(lat, 99))} ms  peak RSS {fmt(rss_mb)} MB")
    print(f"          smtp transaction p50 {fmt(percentile(tx_ms, 50), '.1f')} ms  "
          f"p99 {fmt(percentile(tx_ms, 99), '.1f')} ms  "
          f"({pl.accepted}/{args.count} accepted in {pl.elapsed:.2f} s, "
          f"all done in {pd['end_to_end_s']:.2f} s, {pd['backlog_at_last_250']} still pending "
          f"at the last 250)")
    print(f"baseline  accepted {bl_accepted:.1f} msg/s  "
          f"smtp transaction p50 {fmt(percentile(btx_ms, 50), '.1f')} ms  "
          f"p99 {fmt(percentile(btx_ms, 99), '.1f')} ms  "
          f"({bl.accepted}/{args.count} accepted, {base['files']} files)")
    print(f"ratio     {fmt(figures['ratio'], '.2f')}  (postdesk accepted / baseline accepted)")
    cpu_ms = {name: round(spent / max(settled, 1) * 1000, 2) for name, spent in pd["cpu_s"].items()}
    figures["cpu_ms_per_mail"] = cpu_ms
    figures["client_cpu_ms_per_mail"] = round(pl.client_cpu_s / max(pl.accepted, 1) * 1000, 2)
    print(f"cpu       per mail (user+system, ms): {cpu_ms}  (main = intake, queue and "
          f"dispatch; each child under it: fork server, resource tracker, worker processes)")
    print(f"          the SMTP clients of this script: {figures['client_cpu_ms_per_mail']} ms "
          f"per mail, on the same cores")
    if pd["threading"]:
        print(f"threading follow-ups on the ticket they answer: {pd['threading']['threaded']}")
    print(f"states    inbound {pd['inbound_states']}  outbox {pd['outbox_states']}  "
          f"daemon exit code {pd['exit_code']}")

    for label, load in (("postdesk", pl), ("baseline", bl)):
        if load.errors:
            print(f"{label} client errors: {len(load.errors)}; first: {load.errors[:3]}")
    if pd["failures"]:
        print(f"postdesk failed/ignored rows (first few): {pd['failures']}")
    if pd["notable"]:
        print(f"postdesk log: {len(pd['notable'])} warning/error lines "
              f"(of {pd['log_lines']}); first ones:")
        for line in pd["notable"][:10]:
            print(f"  {line}")
    if base["notable"]:
        print(f"baseline log: {base['notable'][:5]}")
    if args.json:
        print(json.dumps(figures, sort_keys=False))
    misthreaded = any(a != b for a, b in (v.split("/") for v in
                                          pd["threading"].get("threaded", {}).values()))
    return 0 if pd["complete"] and not pl.errors and not pd["failures"] \
        and not misthreaded else 1


if __name__ == "__main__":
    sys.exit(main())
