"""Terminal views of tickets (rich), shared by the commands that show them."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.text import Text


def _who(person: dict[str, Any]) -> str:
    return f"{person['name']} <{person['email']}>" if person.get("name") else person["email"]


def print_ticket(console: Console, detail: dict[str, Any]) -> None:
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
    if detail["assignee"] or detail["team"]:
        header.append(f"\nassignee {detail['assignee'] or '-'} · team {detail['team'] or '-'}")
    console.print(header)
    for message in detail["messages"]:
        arrow = "→ customer" if message["direction"] == "out" else "← from"
        internal = message["visibility"] == "internal"
        title = (f"{message['created_at'][:16].replace('T', ' ')}  {arrow} "
                 f"{message['author_name'] or message['author_email']}"
                 + ("  [internal]" if internal else ""))
        body = Text(message["text"].strip() or "(no text)")
        for item in message["attachments"]:
            body.append(f"\n📎 {item['filename']} ({item['content_type']}, {item['size']} bytes)",
                        style="dim")
        console.print(Panel(body, title=Text(title), title_align="left",
                            border_style="yellow" if internal else "blue"))
