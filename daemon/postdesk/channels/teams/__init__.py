"""The Microsoft Teams edge (issue 20): Teams activities in as `ChatEvent`s, thread messages out.

`platform(settings, data_dir)` is what `postdesk serve` calls when `[teams]` is
configured; the work is in `edge.TeamsPlatform` (the Microsoft 365 Agents SDK's
aiohttp hosting and Bot Connector client), which takes plain arguments. Needs the
`chat` extra (`pip install 'postdesk[chat]'`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from postdesk.chat.platform import ChatPlatform


def platform(settings: Any, data_dir: Path) -> ChatPlatform:
    """The Teams edge from the desk's settings (`settings.teams`: app_id, app_password,
    tenant_id, listen, and api_url / openid_metadata for a sovereign cloud or tests)."""
    from postdesk.channels.teams.auth import BOT_FRAMEWORK_METADATA
    from postdesk.channels.teams.edge import DEFAULT_LISTEN, TeamsPlatform

    section = settings.teams
    return TeamsPlatform(
        app_id=section.app_id, app_password=getattr(section, "app_password", "") or "",
        tenant_id=getattr(section, "tenant_id", "") or "",
        listen=getattr(section, "listen", "") or DEFAULT_LISTEN,
        api_url=getattr(section, "api_url", "") or "",
        openid_metadata=getattr(section, "openid_metadata", "") or BOT_FRAMEWORK_METADATA,
        data_dir=data_dir)
