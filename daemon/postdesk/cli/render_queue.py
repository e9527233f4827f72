"""A queue as a rich table: the columns its definition names, live SLA coloured by state."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from rich.table import Table
from rich.text import Text

from postdesk.cli.render_sla import sla_cell
from postdesk.ticket_queues.model import Queue

Row = dict[str, Any]


def _who(person: dict[str, Any]) -> str:
    return f"{person['name']} <{person['email']}>" if person.get("name") else person["email"]


def _when(value: str | None) -> str:
    return (value or "")[:16].replace("T", " ")


#: column -> (header, cell)
_CELLS: dict[str, tuple[str, Callable[[Row], Any]]] = {
    "id": ("#", lambda r: Text(str(r["id"]), style="bold")),
    "subject": ("Subject", lambda r: Text(r["subject"] or "(no subject)")),
    "requester": ("Requester", lambda r: Text(_who(r["requester"]))),
    "status": ("Status", lambda r: Text(r["status"], style="cyan")),
    "public_status": ("Customer sees", lambda r: Text(r["public_status"])),
    "priority": ("Priority", lambda r: Text(r["priority"], style="bold" if r["priority"] in
                                            ("high", "urgent") else "")),
    "assignee": ("Assignee", lambda r: Text(r["assignee"] or "-")),
    "team": ("Team", lambda r: Text(r["team"] or "-")),
    "request_type": ("Type", lambda r: Text(r["request_type"] or "-")),
    "tags": ("Tags", lambda r: Text(", ".join(r.get("tags", ())))),
    "sla_due": ("SLA (business time)", lambda r: sla_cell(r["sla"])),
    "created": ("Created", lambda r: Text(_when(r.get("created_at")), style="dim")),
    "updated": ("Updated", lambda r: Text(_when(r.get("updated_at")), style="dim")),
}


def queue_table(queue: Queue, rows: Sequence[Row], count: int, *, title: str,
                now: datetime | None = None) -> Table:
    shown = f"{title} ({count})" if count <= len(rows) else \
        f"{title} ({len(rows)} of {count})"
    caption = f"as of {now.strftime('%H:%M:%S')} UTC" if now is not None else None
    table = Table(title=shown, title_justify="left", caption=caption, caption_justify="left")
    for column in queue.columns:
        header, _ = _CELLS[column]
        table.add_column(header, overflow="fold", justify="right" if column == "id" else "left")
    for row in rows:
        table.add_row(*(_CELLS[column][1](row) for column in queue.columns))
    return table


def queues_table(entries: Sequence[tuple[Queue, str, int]]) -> Table:
    """`postdesk queue`: each queue with its title and how many tickets it holds."""
    table = Table(title=f"Queues ({len(entries)})", title_justify="left")
    table.add_column("Queue", style="bold")
    table.add_column("Title")
    table.add_column("Tickets", justify="right")
    for queue, title, count in entries:
        table.add_row(queue.name, Text(title), str(count))
    return table
