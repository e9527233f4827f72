"""`postdesk tickets` and `postdesk ticket show`: the desk as it stands (`postdesk inbound`
is in `cli/inbound.py`).

`tickets --json` prints every ticket (unless `--limit`), streamed as it is read;
the table shows the newest 50 by default and says on stderr when there are more.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from postdesk.cli.context import Context, console, err_console, fail, pass_context
from postdesk.cli.json_output import echo_json, echo_json_list
from postdesk.cli.lazy import LazyCommands

if TYPE_CHECKING:
    from datetime import datetime

    from postdesk.tickets.statuses import StatusBook

#: Tickets in the table when no --limit is given.
TABLE_LIMIT = 50
#: `--status open`: every ticket whose status is not of the closed kind.
OPEN_FILTER = "open"


@click.command()
@click.option("--status", default=None,
              help="Only tickets with this internal status; open: every status that is "
                   "not closed (resolved, closed).")
@click.option("--requester", metavar="ADDR", default=None,
              help="Only tickets this address opened.")
@click.option("--assignee", metavar="ADDR", default=None,
              help="Only tickets assigned to this agent (none: unassigned).")
@click.option("--team", default=None, help="Only tickets of this team (none: no team).")
@click.option("--tag", default=None, help="Only tickets with this tag.")
@click.option("--text", default=None, help="Only tickets whose subject contains this (any case).")
@click.option("--since", metavar="DAY", default=None,
              help="Created on or after this day (YYYY-MM-DD, the desk's time zone) or ISO time.")
@click.option("--until", metavar="DAY", default=None,
              help="Created on or before this day (included) or before this ISO time.")
@click.option("--sort", type=click.Choice(["newest", "due"]), default="newest",
              show_default=True, help="due: the soonest SLA due time first, with the "
                                      "time left on each clock.")
@click.option("--limit", type=click.IntRange(min=0), default=None,
              help=f"At most this many (default: {TABLE_LIMIT} in the table, every ticket "
                   "with --json; 0: all).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_context
def tickets(obj: Context, status: str | None, requester: str | None, assignee: str | None,
            team: str | None, tag: str | None, text: str | None, since: str | None,
            until: str | None, sort: str, limit: int | None, as_json: bool) -> None:
    """List tickets, newest first (or by SLA due time), narrowed by the options given."""
    window = _creation_window(obj, since, until)
    obj.open_database()  # first: it chooses the database driver peewee loads
    from postdesk.store.ticket_listing import TicketFilter
    from postdesk.tickets import views

    statuses = obj.statuses
    wanted = TicketFilter(status_choice(status, statuses), requester, assignee, team, tag,
                          text, *window)
    if as_json:
        echo_json_list(views.iter_ticket_summaries(wanted, limit, statuses, sort=sort,
                                                   sla=lambda: obj.sla))
        return
    from postdesk.cli.render_tickets import tickets_table

    shown = TABLE_LIMIT if limit is None else limit
    # one more than shown tells whether the list was cut
    rows = views.ticket_summaries(wanted, shown + 1 if shown else None, statuses, sort=sort,
                                  sla=lambda: obj.sla)
    cut = bool(shown) and len(rows) > shown
    console().print(tickets_table(rows[:shown] if cut else rows, with_sla=sort == "due"))
    if cut:
        from postdesk.store.ticket_listing import count_tickets

        total = count_tickets(wanted)
        err_console().print(f"note: {shown} of {total} tickets shown; --limit N shows more "
                            "(0: all), --json lists them all", highlight=False)


def _creation_window(obj: Context, since: str | None, until: str | None
                     ) -> tuple[datetime | None, datetime | None]:
    """`--since` / `--until` as instants: days in the desk's zone, `--until`'s day included."""
    if since is None and until is None:
        return None, None
    from zoneinfo import ZoneInfo

    from postdesk.cli.report import parse_day

    zone = ZoneInfo(obj.settings.desk.timezone)
    start = parse_day(since, zone, end_of_day=False, option="--since") if since else None
    end = parse_day(until, zone, end_of_day=True, option="--until") if until else None
    if start is not None and end is not None and end <= start:
        raise click.BadParameter(f"'{until}' is before '{since}'", param_hint="--until")
    return start, end


def status_choice(written: str | None, statuses: StatusBook) -> str | tuple[str, ...] | None:
    """What `--status` selects: None (all), one status, or every open one for `open`;
    an unknown name fails, naming the statuses (a typo listed nothing, with exit 0)."""
    if written is None:
        return None
    if written in statuses.names:
        return written
    if written == OPEN_FILTER:
        return tuple(name for name in statuses.names if statuses.kind(name) != "closed")
    from postdesk.config.rulesfile import suggest

    known = (*statuses.names, OPEN_FILTER)
    fail(f"unknown status '{written}'{suggest(written, known)}; use one of "
         f"{', '.join(known)}")


#: `postdesk ticket` subcommands that change a ticket, imported when one runs.
TICKET_ACTIONS = {name: f"postdesk.cli.ticket_actions:{name.replace('-', '_')}" for name in
                  ("assign", "status", "priority", "note", "reply", "reopen", "merge",
                  "duplicate", "revoke-links")}


@click.group(cls=LazyCommands, commands=TICKET_ACTIONS)
def ticket() -> None:
    """One ticket: show it, fetch an attachment, or change it."""


@ticket.command("show")
@click.argument("ticket_id", type=int)
@click.option("--full", is_flag=True,
              help="Each mail's whole text as received, quoted history, signature and "
                   "forwarded block included (JSON: whole_text).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_context
def ticket_show(obj: Context, ticket_id: int, full: bool, as_json: bool) -> None:
    """Show a ticket and its thread (a customer's reply: what is new in it)."""
    obj.open_database()
    from postdesk.tickets import views

    detail = views.ticket_detail(ticket_id, statuses=obj.statuses, sla=lambda: obj.sla,
                                 full=full)
    if detail is None:
        fail(f"no ticket #{ticket_id}")
    if as_json:
        echo_json(detail)
        return
    from zoneinfo import ZoneInfo

    from postdesk.cli.render_tickets import print_ticket

    print_ticket(console(), detail, ZoneInfo(obj.settings.desk.timezone))


@ticket.command("attachment")
@click.argument("ticket_id", type=int)
@click.argument("name")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False, allow_dash=True),
              default=None, help="Write it here (-: stdout; default: NAME in the current "
                                 "folder, never over an existing file).")
@pass_context
def ticket_attachment(obj: Context, ticket_id: int, name: str, output: str | None) -> None:
    """Save an attachment of a ticket (by its file name; the newest of that name)."""
    obj.open_database()
    from postdesk.store.attachment_files import ticket_attachments
    from postdesk.store.ticket_lookups import ticket_exists

    if not ticket_exists(ticket_id):
        fail(f"no ticket #{ticket_id}")
    found = ticket_attachments(ticket_id)
    named = [a for a in found if a.file.filename == name] or [
        a for a in found if a.file.filename.casefold() == name.casefold()]
    if not named:
        listing = ", ".join(dict.fromkeys(a.file.filename for a in found)) or "none"
        fail(f"ticket #{ticket_id} has no attachment '{name}' (its attachments: {listing})")
    chosen = named[-1]
    if output == "-":
        sys.stdout.buffer.write(chosen.file.data)
        sys.stdout.buffer.flush()
        return
    path = output or _safe_name(chosen.file.filename)
    _save(chosen.file.data, path, output is not None)
    err_console().print(f"{len(chosen.file.data)} bytes ({chosen.file.content_type}) from "
                        f"message {chosen.message_id} written to {path}",
                        highlight=False, soft_wrap=True)


def _safe_name(filename: str) -> str:
    """The attachment's own name without folders (a sender chooses it: `../../x` stays here)."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1].strip().lstrip(".")
    return base or "attachment"


def _save(data: bytes, path: str, chosen: bool) -> None:
    """Write `data` to `path`; a name the user did not choose never replaces a file."""
    try:
        with open(path, "wb" if chosen else "xb") as out:
            out.write(data)
    except FileExistsError:
        fail(f"{path} exists already; choose another name with -o FILE")
    except OSError as exc:
        fail(f"cannot write {path}: {exc}")
