"""`postdesk sla ...`: try SLA policies, apply a changed policy, look at a ticket's clocks.

* `postdesk sla simulate FILE` evaluates a made-up ticket history (YAML or
  JSON, see `postdesk.sla.simulate`) against a policy of rules/sla.yaml and
  prints the clocks as JSON. A mistake in FILE or in the policies exits 1
  with `file:line: what is wrong`. `--policies PATH` tries an edited copy of
  sla.yaml before it replaces the real one.
* `postdesk sla recompute` recomputes the clocks of every open ticket with
  the policies in force (after editing rules/sla.yaml). Warnings and
  breaches that the new policies put in the past fire at the next scan;
  `--quiet-past` records them as fired without events (use it once when the
  SLA is first switched on for a desk that already has tickets).
* `postdesk sla show ID` shows a ticket's policy and clocks as of now, and
  what the scheduler has fired (`--json` for scripts).

"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from postdesk.config.settings import Settings
from postdesk.errors import RuleError
from postdesk.sla import SlaConfig


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def _load_policies(settings: Settings, path: Path | None) -> SlaConfig:
    from postdesk.automation import Vocabulary
    from postdesk.config.live_sla import SLA_FILE
    from postdesk.sla import load_sla
    from postdesk.tickets.statuses import load_statuses

    rules = settings.path(settings.paths.rules)
    target = path or rules / SLA_FILE
    if not target.exists():
        _fail(f"{target}: no such file; the SLA policies live in rules/{SLA_FILE}")
    vocabulary = Vocabulary(statuses=frozenset(load_statuses(rules).names))
    try:
        return load_sla(target, vocabulary,
                        display=str(path) if path else f"rules/{SLA_FILE}")
    except RuleError as exc:
        _fail(str(exc))


def _open_database(obj: Any) -> None:
    obj.open_database()


@click.group("sla")
def sla_group() -> None:
    """Service levels: simulate a policy, recompute clocks, show a ticket's clocks."""


@sla_group.command("simulate")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--policies", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="An sla.yaml to use instead of the desk's rules/sla.yaml.")
@click.pass_obj
def simulate_command(obj: Any, file: Path, policies: Path | None) -> None:
    """Evaluate the events of FILE (YAML or JSON) under a policy; print the clocks as JSON."""
    from postdesk.sla import simulate

    config = _load_policies(obj.settings, policies)
    try:
        result = simulate(file, config, display=str(file))
    except RuleError as exc:
        _fail(str(exc))
    click.echo(json.dumps(result, indent=2, ensure_ascii=False))


@sla_group.command("recompute")
@click.option("--quiet-past", is_flag=True,
              help="Mark warnings and breaches already past as fired, without events.")
@click.pass_obj
def recompute_command(obj: Any, quiet_past: bool) -> None:
    """Recompute the SLA clocks of every open ticket with the policies in force."""
    from postdesk.config.runtime import Runtime
    from postdesk.sla.tracking import track as sla_track
    from postdesk.store.db import database, utcnow
    from postdesk.store.ticket_reads import tickets_not_in

    settings: Settings = obj.settings
    config = _load_policies(settings, None)
    _open_database(obj)
    closed = Runtime(settings).statuses.names_of_kind("closed")
    now = utcnow()
    counts = {"tickets": 0, "policy_changed": 0, "due": 0}
    last = 0
    while True:
        with database.atomic():
            batch = tickets_not_in(closed, last, 200)
            for ticket in batch:
                before = sla_track.locked_row(ticket.id)
                evaluation = sla_track.evaluate(ticket, config, now)
                fired = ([c.key for c in sla_track.pending_crossings(evaluation.clocks, (),
                                                                     now)]
                         if quiet_past else [])
                row = sla_track.store(ticket, evaluation, now, fired=fired)
                counts["tickets"] += 1
                counts["policy_changed"] += before is not None and before.policy != row.policy
                counts["due"] += row.next_at is not None and row.next_at <= now
        if not batch:
            break
        last = batch[-1].id
    click.echo(f"{counts['tickets']} open tickets recomputed; {counts['policy_changed']} "
               f"changed policy; {counts['due']} have warnings or breaches for the next scan")


@sla_group.command("show")
@click.argument("ticket_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def show_command(obj: Any, ticket_id: int, as_json: bool) -> None:
    """Show ticket ID's SLA policy and clocks as of now, and what has fired."""
    from postdesk.sla.tracking import track as sla_track
    from postdesk.store.db import utcnow
    from postdesk.store.sla_store import row_of
    from postdesk.store.ticket_reads import ticket_by_id

    settings: Settings = obj.settings
    config = _load_policies(settings, None)
    _open_database(obj)
    ticket = ticket_by_id(ticket_id)
    if ticket is None:
        _fail(f"no ticket #{ticket_id}")
    now = utcnow()
    evaluation = sla_track.evaluate(ticket, config, now)
    row = row_of(ticket_id)
    fired = list(row.fired) if row is not None else []
    clocks = sla_track.clocks_json(evaluation.clocks)
    data: dict[str, Any] = {
        "ticket": ticket_id, "status": ticket.status, "policy": evaluation.policy.name,
        "as_of": now.isoformat(), "clocks": clocks,
        "next_at": _iso(sla_track.next_due(evaluation.clocks, fired)),
        "checked_until": _iso(row.checked_until) if row is not None else None,
        "fired": fired,
    }
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    click.echo(f"ticket #{ticket_id} ({ticket.status}): policy {data['policy']}")
    for name, clock in clocks.items():
        due = f", due {clock['due']}" if clock["due"] else ""
        click.echo(f"  {name:<16} {clock['state']:<9} elapsed {_span(clock['elapsed_s'])}, "
                   f"remaining {_span(clock['remaining_s'])}{due}")
        for start, end in clock["paused"]:
            click.echo(f"  {'':<16} paused {start} -> {end or 'now'}")
    click.echo(f"  next threshold: {data['next_at'] or 'none'}; "
               f"fired: {', '.join(fired) or 'nothing yet'}")


def _iso(moment: Any) -> str | None:
    return None if moment is None else str(moment.isoformat())


def _span(seconds: int) -> str:
    """Business seconds as `-1h05m` / `4h00m` / `45s`."""
    sign, left = ("-" if seconds < 0 else ""), abs(seconds)
    hours, rest = divmod(left, 3600)
    minutes, secs = divmod(rest, 60)
    if hours or minutes:
        return f"{sign}{hours}h{minutes:02d}m"
    return f"{sign}{secs}s"
