"""A queue as a rich table: the columns its definition names, live SLA coloured by state;
every word in the reader's language (`Words`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from rich.table import Table
from rich.text import Text

from postdesk.cli.render_sla import sla_cell
from postdesk.cli.terminal_words import ENGLISH, N_, Words
from postdesk.ticket_queues.model import Queue

Row = dict[str, Any]


def _who(person: dict[str, Any]) -> str:
    return f"{person['name']} <{person['email']}>" if person.get("name") else person["email"]


def _when(value: str | None) -> str:
    return (value or "")[:16].replace("T", " ")


Cell = Callable[[Row, Words], Any]

#: column -> (header, cell)
_CELLS: dict[str, tuple[str, Cell]] = {
    "id": ("#", lambda r, w: Text(str(r["id"]), style="bold")),
    "subject": (N_("Subject"), lambda r, w: Text(r["subject"] or w._("(no subject)"))),
    "requester": (N_("Requester"), lambda r, w: Text(_who(r["requester"]))),
    # the word agents type in #status: not translated
    "status": (N_("Status (internal)"), lambda r, w: Text(r["status"], style="cyan")),
    "public_status": (N_("Customer sees"), lambda r, w: Text(w._(r["public_status"]))),
    "priority": (N_("Priority"), lambda r, w: Text(w.priority(r["priority"]), style="bold" if
                                                   r["priority"] in ("high", "urgent") else "")),
    "assignee": (N_("Assignee"), lambda r, w: Text(r["assignee"] or "-")),
    "team": (N_("Agent team"), lambda r, w: Text(r["team"] or "-")),
    "request_type": (N_("Type"), lambda r, w: Text(r["request_type"] or "-")),
    "tags": (N_("Tags"), lambda r, w: Text(", ".join(r.get("tags", ())))),
    "sla_due": (N_("SLA (business time)"), lambda r, w: sla_cell(r["sla"], words=w)),
    "created": (N_("Created (UTC)"), lambda r, w: Text(_when(r.get("created_at")), style="dim")),
    "updated": (N_("Updated (UTC)"), lambda r, w: Text(_when(r.get("updated_at")), style="dim")),
}


def queue_table(queue: Queue, rows: Sequence[Row], count: int, *, title: str,
                now: datetime | None = None, words: Words = ENGLISH) -> Table:
    shown = words._("%(title)s (%(count)s)", title=title, count=count) if count <= len(rows) \
        else words._("%(title)s (%(shown)s of %(count)s)", title=title, shown=len(rows),
                   count=count)
    caption = words._("as of %(time)s UTC", time=now.strftime("%H:%M:%S")) \
        if now is not None else None
    table = Table(title=shown, title_justify="left", caption=caption, caption_justify="left")
    for column in queue.columns:
        header, _ = _CELLS[column]
        table.add_column(words._(header), overflow="fold",
                         justify="right" if column == "id" else "left")
    for row in rows:
        table.add_row(*(_CELLS[column][1](row, words) for column in queue.columns))
    return table


def queues_table(entries: Sequence[tuple[Queue, str, int]], words: Words = ENGLISH) -> Table:
    """`postdesk queue`: each queue with its title and how many tickets it holds."""
    table = Table(title=words._("Queues (%(count)s)", count=len(entries)), title_justify="left")
    table.add_column(words._("Queue"), style="bold")
    table.add_column(words._("Title"))
    table.add_column(words._("Tickets in queue"), justify="right")
    for queue, title, count in entries:
        table.add_row(queue.name, Text(title), str(count))
    return table
