"""What the desk's queues are checked against: its statuses, teams and request types.

rules/queues.yaml is a live file like the other rules files
(`postdesk.config.live_files`): reloaded when it changes, a broken edit logged
with file and line while the last good queues stay in force, across restarts
too. Statuses must be the desk's; a team or request type that rules/teams.yaml
or rules/routing.yaml does not define only makes `postdesk check` warn (the
queue stays empty), so that adding teams never breaks the queues.
"""

from __future__ import annotations

from postdesk.automation.model import Vocabulary
from postdesk.ticket_queues.model import Group, QueueBook, Term
from postdesk.tickets.routing import Routing
from postdesk.tickets.statuses import StatusBook
from postdesk.tickets.teams import TeamBook


def queue_vocabulary(statuses: StatusBook) -> Vocabulary:
    return Vocabulary(statuses=frozenset(statuses.names))


def unknown_names(book: QueueBook, teams: TeamBook, routing: Routing) -> list[str]:
    """Warnings for teams and request types the desk does not define (when it defines any)."""
    known = {"team": set(teams.team_names), "request_type": set(routing.request_type_names)}
    found = []
    for queue in book.queues:
        for term in terms(queue.condition):
            names = known.get(term.name, set())
            values = sorted(v for v in term.params["values"] if v is not None) if names else []
            for value in values:
                if value not in names:
                    found.append(f"{term.where}: queue '{queue.name}': no {term.name} "
                                 f"'{value}' in the desk's rules, so it matches no ticket")
    return found


def terms(node: Term | Group) -> list[Term]:
    if isinstance(node, Term):
        return [node]
    return [found for part in node.parts for found in terms(part)]
