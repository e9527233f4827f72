"""Where each tenant's and conversation's Bot Connector lives, remembered across restarts.

Teams names the Bot Connector to answer at in every activity (`serviceUrl`, e.g.
`https://smba.trafficmanager.net/emea/`), and only a verified activity's is recorded
(`auth.ActivityAuth` checked it against the token). A post for a conversation the
desk has not heard from since the start (a triage channel's new ticket) uses the
conversation's, else its tenant's last known URL, else Microsoft's global one. Kept in
`<data_dir>/teams-service-urls.json`, rewritten (atomically) only when a URL changes.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

#: Microsoft's documented service URL for proactive messages in the public cloud
GLOBAL_SERVICE_URL = "https://smba.trafficmanager.net/teams/"
FILE_NAME = "teams-service-urls.json"


class ServiceUrls:
    """The last verified service URL per conversation and per tenant."""

    def __init__(self, data_dir: Path | None) -> None:
        self.path = data_dir / FILE_NAME if data_dir is not None else None
        self._urls: dict[str, str] = {}
        if self.path is not None and self.path.exists():
            try:
                loaded = json.loads(self.path.read_text(encoding="utf-8"))
                self._urls = {str(k): str(v) for k, v in loaded.items()}
            except (OSError, ValueError, AttributeError) as error:
                log.warning("%s unreadable (%s): service URLs are learnt again", self.path,
                            error)

    def remember(self, tenant: str, conversation: str, service_url: str) -> None:
        keys = [f"conversation:{conversation}", f"tenant:{tenant}"]
        if all(self._urls.get(key) == service_url for key in keys):
            return
        self._urls.update(dict.fromkeys(keys, service_url))
        if self.path is None:
            return
        try:
            temporary = self.path.with_suffix(".tmp")
            temporary.write_text(json.dumps(self._urls, indent=1, sort_keys=True),
                                 encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError as error:  # kept in memory: no reason to refuse the activity
            log.warning("%s not written (%s): the service URLs last until a restart",
                        self.path, error)

    def lookup(self, tenant: str, conversation: str) -> str:
        return (self._urls.get(f"conversation:{conversation}")
                or self._urls.get(f"tenant:{tenant}") or GLOBAL_SERVICE_URL)
