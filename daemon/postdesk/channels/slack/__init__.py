"""The Slack edge (issue 20): Slack events in as `ChatEvent`s, thread messages out.

`platform(settings, data_dir)` is what `postdesk serve` calls when `[slack]` is
configured; the work is in `edge.SlackPlatform` (Bolt + slack_sdk, async), which
takes plain arguments. Needs the `chat` extra (`pip install 'postdesk[chat]'`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from postdesk.chat.platform import ChatPlatform


def platform(settings: Any, data_dir: Path) -> ChatPlatform:
    """The Slack edge from the desk's settings (`settings.slack`: app_token, bot_token,
    signing_secret, api_url, and http_listen when the HTTP Events API is wanted)."""
    from postdesk.channels.slack.edge import DEFAULT_API_URL, SlackPlatform

    section = settings.slack
    return SlackPlatform(
        bot_token=section.bot_token, app_token=getattr(section, "app_token", "") or "",
        signing_secret=getattr(section, "signing_secret", "") or "",
        api_url=getattr(section, "api_url", "") or DEFAULT_API_URL,
        http_listen=getattr(section, "http_listen", "") or "")
