"""The desk's queues, reloaded live like the other rules files.

rules/queues.yaml is checked for changes every `[rules] reload_interval`
seconds (SIGHUP: at once). A broken edit is logged with file and line and the
last good queues stay in force; `postdesk check` shows the same error. Names
are checked against the desk's statuses, and against its teams
(rules/teams.yaml) and request types (rules/routing.yaml) when those files
define any; otherwise any team or request type name is accepted.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from postdesk.automation.model import Vocabulary
from postdesk.live_file import LiveFile
from postdesk.ticket_queues.loader import QUEUES_FILE, load_queues
from postdesk.ticket_queues.model import NO_QUEUES, QueueBook
from postdesk.tickets.routing import Routing
from postdesk.tickets.statuses import StatusBook
from postdesk.tickets.teams import TeamBook


def queue_vocabulary(statuses: StatusBook, teams: TeamBook, routing: Routing) -> Vocabulary:
    return Vocabulary(statuses=frozenset(statuses.names),
                      teams=frozenset(teams.team_names) or None,
                      request_types=frozenset(routing.request_type_names) or None)


def live_queues(rules_dir: Path, vocabulary: Callable[[], Vocabulary], *, interval: float
                ) -> LiveFile[QueueBook]:
    """`vocabulary` is asked at each load, so a team added since is known."""
    return LiveFile(rules_dir / QUEUES_FILE, lambda: load_queues(rules_dir, vocabulary()),
                    NO_QUEUES, interval=interval)
