"""Terminal views of tickets and inbound mail (rich), for the commands of `cli/tickets.py`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, tzinfo
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from postdesk.cli.render_sla import STATE_STYLES, clock_label, clock_text, sla_cell
from postdesk.cli.render_time import zoned
from postdesk.tickets.kb_offered import SUGGESTED, offered


def _who(person: dict[str, Any]) -> str:
    return f"{person['name']} <{person['email']}>" if person.get("name") else person["email"]


def tickets_table(rows: Sequence[dict[str, Any]], *, with_sla: bool) -> Table:
    """`postdesk tickets`: one line per ticket; `with_sla` adds the live clocks."""
    table = Table(title=f"Tickets ({len(rows)})", title_justify="left")
    columns = [("#", "bold"), ("Subject", ""), ("Status", "cyan"), ("Requester", ""),
               ("Msgs", ""), ("Updated", "dim")]
    if with_sla:
        columns.insert(3, ("SLA (business time)", ""))
    for column, style in columns:
        table.add_column(column, style=style or None, overflow="fold",
                         justify="right" if column in ("#", "Msgs") else "left")
    for row in rows:
        requester = row["requester"]
        who = Text(_who(requester))
        if requester["bouncing"]:
            who.append(" (bouncing)", style="red")
        cells: list[Any] = [str(row["id"]), Text(row["subject"] or "(no subject)"),
                            row["status"], who, str(row["message_count"]),
                            (row["updated_at"] or "")[:16].replace("T", " ")]
        if with_sla:
            cells.insert(3, sla_cell(row["sla"]))
        table.add_row(*cells)
    return table


def inbound_table(rows: Sequence[dict[str, Any]]) -> Table:
    """`postdesk inbound`: arriving mail and what became of it."""
    table = Table(title=f"Inbound mail ({len(rows)})", title_justify="left")
    for column in ("#", "Received", "From", "To", "Message-ID", "State", "Ticket", "Reason"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(str(row["id"]), (row["received_at"] or "")[:19].replace("T", " "),
                      Text(_sender(row)),
                      Text(", ".join(row["rcpt_to"] or ())), Text(row["message_id"] or "-"),
                      row["state"] + (" (dismissed)" if row.get("dismissed") else ""),
                      str(row["ticket"] or ""), Text(row["reason"]))
    return table


def _sender(row: dict[str, Any]) -> str:
    """The envelope sender; a chat event has none: its platform ("matrix event")."""
    if row["mail_from"] is None and str(row.get("source", "")).startswith("chat:"):
        return f"({row['source'].removeprefix('chat:')} event)"
    return {None: "(unknown)", "": "<>"}.get(row["mail_from"], row["mail_from"])


def print_ticket(console: Console, detail: dict[str, Any], zone: tzinfo = UTC) -> None:
    """The ticket, its clocks, thread and activity; every time in `zone`, labelled."""
    requester = _who(detail["requester"])
    if detail["requester"].get("bouncing"):
        requester += "  (address bouncing)"
    header = Text()
    header.append(f"#{detail['id']} ", style="bold")
    header.append(detail["subject"] or "(no subject)", style="bold")
    header.append(f"\nstatus {detail['status']} (customer sees: {detail['public_status']})"
                  f" · priority {detail['priority']}")
    header.append(f"\nrequester {requester}")
    if detail["participants"]:
        header.append("\nparticipants " + ", ".join(_who(p) for p in detail["participants"]))
    if detail.get("merged_into"):
        header.append(f"\nmerged into #{detail['merged_into']}: its thread and later mail "
                      "are there", style="yellow")
    if detail["assignee"] or detail["team"]:
        header.append(f"\nassignee {detail['assignee'] or '-'} · team {detail['team'] or '-'}")
    console.print(header)
    print_clocks(console, detail.get("sla") or {}, zone)
    print_ratings(console, detail.get("csat") or [], zone)
    for message in detail["messages"]:
        arrow = "→ customer" if message["direction"] == "out" else "← from"
        internal = message["visibility"] == "internal"
        title = (f"{zoned(message['created_at'], zone)}  {arrow} "
                 f"{message['author_name'] or message['author_email']}"
                 + ("  [internal]" if internal else ""))
        whole = message.get("whole_text")
        body = Text((message["text"] if whole is None else whole).strip() or "(no text)")
        if message.get("text_is_whole"):
            body.append("\n(nothing new found in this reply: its whole text is shown)",
                        style="yellow")
        elif message.get("hidden_text") and whole is None:
            body.append("\n… quoted text, signature or forward not shown (--full shows it)",
                        style="dim")
        for item in message["attachments"]:
            body.append(f"\n📎 {item['filename']} ({item['content_type']}, {item['size']} bytes)",
                        style="dim")
        console.print(Panel(body, title=Text(title), title_align="left",
                            border_style="yellow" if internal else "blue"))
    changes = [line for line in (describe_event(event, zone)
                                 for event in detail.get("events", ())) if line]
    if changes:
        console.print(Text("Activity", style="bold"))
        for line in changes:
            console.print(Text(line), soft_wrap=True)


#: the best rating of each satisfaction scale, for "4 of 5"
_BEST = {"1-5": 5, "faces": 3}
_FACES = ("😞", "😐", "🙂")


def print_ratings(console: Console, ratings: Sequence[dict[str, Any]],
                  zone: tzinfo = UTC) -> None:
    """One line per satisfaction rating: the rating, its channel and time, the comment."""
    for rating in ratings:
        value, scale = rating["rating"], rating.get("scale")
        shown = (f"{_FACES[value - 1]} ({value} of 3)" if scale == "faces"
                 and isinstance(value, int) and 1 <= value <= 3
                 else f"{value} of {_BEST.get(scale or '', '?')}")
        line = Text("Satisfaction ", style="bold")
        line.append(shown, style="red" if isinstance(value, int) and value < 3 else "green")
        line.append(f"  by {rating.get('channel') or '?'}, {zoned(rating['at'], zone)}",
                    style="dim")
        if rating.get("comment"):
            line.append(f"\n  “{rating['comment']}”")
        console.print(line)


def print_clocks(console: Console, clocks: dict[str, dict[str, Any]],
                 zone: tzinfo = UTC) -> None:
    """One line per SLA clock: state, business time left or over, due time."""
    for name, clock in clocks.items():
        line = Text(f"SLA {clock_label(name):<12} ", style="bold")
        line.append(f"{clock['state']:<9}", style=STATE_STYLES.get(clock["state"], ""))
        line.append(clock_text(clock["state"], clock["remaining_s"]))
        if clock["due"]:
            line.append(f"  due {zoned(clock['due'], zone)}", style="dim")
        console.print(line)


def _suggestion(data: Mapping[str, Any]) -> str:
    score = f", {data['score']:.0%}" if isinstance(data.get("score"), int | float) else ""
    return (f"kb: {'answered with' if data.get('answered') else 'suggested'} "
            f"{data.get('article')} ({data.get('language')}{score})")


def describe_event(event: dict[str, Any], zone: tzinfo = UTC) -> str | None:
    """One line for a change worth showing; None for routine bookkeeping."""
    data, kind = event["data"], event["kind"]
    when = zoned(event["created_at"], zone)
    by = f" (rule: {event['rule']})" if event["rule"] else f" (by {event['actor']})"
    if kind == "status.changed":
        what = f"status {data.get('old')} -> {data.get('new')}"
    elif kind in ("priority.changed", "assignee.changed", "tags.changed",
                  "request_type.changed"):
        new = ", ".join(f"{k} {v}" for k, v in data.get("new", {}).items())
        what = f"{kind.split('.')[0]}: {new}"
    elif kind == "ticket.linked":
        what = f"linked: {data.get('kind', 'related')} #{data.get('other')}"
    elif kind == SUGGESTED:  # a line per suggestion, however many one event carries
        return "\n".join(f"{when}  {_suggestion(one)}{by}" for one in offered(data)) or None
    elif kind == "kb.self_served":
        how = {"reply": f"replied \"{data.get('phrase', '')}\"", "page": "pressed This is solved",
               "link": "confirmed the solved link",
               "chat": "pressed This solved it in chat"}.get(str(data.get("how")),
                                                             data.get("how"))
        what = (f"kb: self-served with {', '.join(map(str, data.get('articles', [])))} "
                f"(the customer {how})")
    elif kind in ("sla.paused", "sla.resumed", "mail.bounced", "mail.failed",
                  "autoreply.held_back", "autoreply.suppressed",
                  "rules.chain_stopped", "notify.no_recipients", "satisfaction.not_asked",
                  "satisfaction.cancelled"):
        detail = data.get("reason") or data.get("error") or ""
        what = kind + (f": {detail}" if detail else "")
    elif kind == "satisfaction.asked":
        what = f"satisfaction survey for resolution {data.get('resolution')} (goes " \
               f"{zoned(data['at'], zone) if data.get('at') else 'at once'})"
    elif kind == "satisfaction.rated":
        what = f"satisfaction rated {data.get('rating')} ({data.get('scale')}, " \
               f"{data.get('channel')})" + (" - changed" if data.get("changed") else "")
    else:
        return None
    return f"{when}  {what}{by}"


def print_customer(console: Console, detail: dict[str, Any]) -> None:
    """`postdesk customer show`: the person, then their tickets as in `postdesk tickets`."""
    line = Text(_who(detail), style="bold")
    facts = [f"language {detail['language'] or '-'}", f"since {(detail['created_at'] or '')[:10]}"]
    if detail["bouncing"]:
        facts.append("address bouncing")
    line.append("  " + ", ".join(facts), style="dim")
    console.print(line)
    table = Table(title=f"Tickets ({len(detail['tickets'])})", title_justify="left")
    for column in ("#", "Subject", "Status", "Role", "Assignee", "Created"):
        table.add_column(column, overflow="fold", justify="right" if column == "#" else "left")
    for row in detail["tickets"]:
        table.add_row(str(row["id"]), Text(row["subject"] or "(no subject)"), row["status"],
                      "opened" if row["role"] == "requester" else "copied",
                      row["assignee"] or "", (row["created_at"] or "")[:16].replace("T", " "))
    console.print(table)
