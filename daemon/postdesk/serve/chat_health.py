"""`postdesk status` for chat: one line per configured platform, as its daemon last saw it.

The daemon running the edges records each connection's health line every few
seconds (`postdesk.serve.chat`); a line older than a minute means no daemon runs
that edge now. A chat platform that is down does not make the desk unhealthy (mail
goes on; its events wait on the platform's side): it needs attention. Posts waiting
for and refused by the platform are counted beside it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from postdesk.config.settings import Settings
from postdesk.serve.health import Check
from postdesk.store import chat_store

#: a health line older than this was written by a daemon that no longer runs the edge
STALE_AFTER = timedelta(seconds=60)
#: what an edge's health line says of a room it cannot read (Matrix: "cannot read
#: encrypted !room"): events there never reach the desk, someone must look
UNREADABLE = "cannot read"


def check_chat(settings: Settings, now: datetime) -> list[Check]:
    platforms = settings.chat_platforms
    if not platforms:
        return []
    lines = {row.platform: row for row in chat_store.health_lines()}
    posts = chat_store.chat_health_counts()
    waiting, failed = posts.get("pending", 0), posts.get("failed", 0)
    checks = []
    for platform in platforms:
        row = lines.get(platform)
        if row is None:
            line, fine = "no daemon has run this edge yet", False
        elif now - row.updated_at > STALE_AFTER:
            line, fine = f"not running (last seen {row.updated_at:%Y-%m-%d %H:%M:%S} UTC: " \
                         f"{row.line})", False
        else:
            # Slack and Matrix hold a connection; Teams listens for the Bot Connector. A
            # room the edge cannot read (Matrix: end-to-end encrypted) loses requests
            line = row.line
            fine = line.startswith(("connected", "listening on")) and UNREADABLE not in line
        checks.append(Check(f"chat {platform}", True, f"{line}; node {row.node}" if row and
                            row.node else line, {"line": line}, attention=not fine))
    checks.append(Check("chat posts", True, f"{waiting} waiting, {failed} failed",
                        {"waiting": waiting, "failed": failed}, attention=failed > 0))
    return checks
