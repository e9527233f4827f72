"""Search benchmark: `postdesk tickets --requester/--assignee/--team/--tag/--text/--since` and
`postdesk customer show` on a million tickets, SQLite and PostgreSQL.

    .venv/bin/python bench/ticket_search.py [--rows 1000000] [--pg URL | --no-pg] [--json]

The desk is filled as `bench/queue_bench.py` fills it (1,000 customers, a third
unassigned, teams support / hardware / none, every 25th subject about a
printer), plus a `vip` tag on every 100th ticket and every customer copied
on ten tickets. Each filter is timed as the table of `postdesk tickets` runs
it: the first page (51 rows: 50 shown, one to tell whether there are more)
with live SLA, then the count the table prints when the list is cut; the
median of 7 after one warm-up. The baseline in the same run: `SELECT
count(*) FROM ticket`. Prints figures and each first-page query's plan; it
is not a test.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE] + [str(_HERE)]
sys.path.insert(0, str(_HERE.parent / "daemon"))

import peewee  # noqa: E402

from _databases import engine_arguments, measured, median_ms, on_each_engine  # noqa: E402
from postdesk.sla import load_sla  # noqa: E402
from postdesk.store import migrations  # noqa: E402
from postdesk.store.models import Ticket  # noqa: E402
from postdesk.store.ticket_listing import (  # noqa: E402
    TicketFilter,
    count_tickets,
    summary_query,
)
from postdesk.tickets.customer_view import customer_detail  # noqa: E402
from postdesk.tickets.views import ticket_summaries  # noqa: E402
from queue_bench import NOW, RULES, _fill  # noqa: E402

FILTERS = {
    "requester": TicketFilter(requester="customer7@bench.example"),
    "assignee": TicketFilter(assignee="agent3@example.com"),
    "unassigned": TicketFilter(assignee="none"),
    "team": TicketFilter(team="hardware"),
    "tag": TicketFilter(tag="vip"),
    "text (printer)": TicketFilter(text="printer 4"),
    "since 1 day": TicketFilter(since=NOW - timedelta(days=1)),
    "team + since 1 day": TicketFilter(team="hardware", since=NOW - timedelta(days=1)),
    "requester + status": TicketFilter(requester="customer7@bench.example", status="new"),
}


def _extras(database: peewee.Database) -> None:
    """Tags and participants that queue_bench's fill leaves out."""
    pg = isinstance(database, peewee.PostgresqlDatabase)
    modulo = "%%" if pg else "%"  # psycopg: %% is %
    with database.atomic():
        database.execute_sql(f"UPDATE ticket SET tags = '[\"vip\"]' WHERE id {modulo} 100 = 0")
        database.execute_sql(
            f"INSERT INTO participant (ticket_id, customer_id) SELECT id, "
            f"1 + (id * 7) {modulo} 1000 FROM ticket WHERE id {modulo} 100 = 1 "
            f"AND 1 + (id * 7) {modulo} 1000 != requester_id")
    if pg:
        database.execute_sql("ANALYZE")


def _plan(database: peewee.Database, wanted: TicketFilter) -> str:
    sql, params = summary_query(wanted).order_by(Ticket.id.desc()).limit(51).sql()
    sqlite = isinstance(database, peewee.SqliteDatabase)
    rows = database.execute_sql(("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + sql,
                                params).fetchall()
    return " | ".join(str(row[-1]).strip() for row in rows)


def _measure(database: peewee.Database, rows: int) -> dict[str, Any]:
    migrations.migrate(database)
    figures: dict[str, Any] = {"rows": rows, "fill_s": round(_fill(database, rows), 1)}
    _extras(database)
    baseline, total = median_ms(
        lambda: database.execute_sql("SELECT count(*) FROM ticket").fetchone()[0])
    assert total == rows, (total, rows)
    figures["count_all_ms"] = round(baseline, 2)
    sla = load_sla(RULES / "sla.yaml")
    figures["filters"] = {}
    for name, wanted in FILTERS.items():
        page_ms, page = median_ms(lambda w=wanted: ticket_summaries(w, 51, sla=sla, now=NOW))
        count_ms, count = median_ms(lambda w=wanted: count_tickets(w))
        figures["filters"][name] = {"shown": len(page), "count": count,
                                    "page_ms": round(page_ms, 2), "count_ms": round(count_ms, 2),
                                    "plan": _plan(database, wanted)}
    history_ms, history = median_ms(
        lambda: customer_detail("customer7@bench.example", sla=sla, now=NOW))
    figures["customer_show"] = {"tickets": len(history["tickets"]),
                                "ms": round(history_ms, 2)}
    return figures


def main() -> int:
    parser = engine_arguments(__doc__.split("\n\n")[0])
    parser.add_argument("--plans", action="store_true", help="Print each query's plan.")
    args = parser.parse_args()
    results = on_each_engine(lambda database: _measure(database, args.rows), pg=args.pg,
                             no_pg=args.no_pg, prefix="postdesk_search_bench")
    for engine, figures in measured(results, args.json):
        print(f"{engine}: {figures['rows']:,} tickets (filled in {figures['fill_s']} s); "
              f"baseline count(*) of all tickets {figures['count_all_ms']:.2f} ms")
        print(f"  {'filter':<22} {'count':>8} {'shown':>6} {'page ms':>9} {'count ms':>9}")
        for name, f in figures["filters"].items():
            print(f"  {name:<22} {f['count']:>8,} {f['shown']:>6} {f['page_ms']:>9.2f} "
                  f"{f['count_ms']:>9.2f}")
            if args.plans:
                print(f"    plan: {f['plan']}")
        show = figures["customer_show"]
        print(f"  customer show: {show['tickets']} tickets in {show['ms']:.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
