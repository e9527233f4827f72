"""The registry of the desk's live files, owned by the Runtime: looked at, reported, recorded.

Worker threads and processes look at a live file when they use it, at most every
`[rules] reload_interval` seconds (`postdesk.config.live`). The process that runs
the desk's loop (`postdesk serve`, `postdesk worker`) also calls `check()` at
start, every `reload_interval` seconds and at once on SIGHUP. It logs one line
per file whose state changed, whoever noticed the change first (at start and on
SIGHUP, one line for every file):

    rules/teams.yaml: 2 teams, 5 agents in force
    rules/automation.yaml:14: unknown action 'add_tagg' (did you mean 'add_tag'?); the last
      good version stays in force (4 automations, validated 2026-05-01 10:00:03 UTC)

and records it in the database (`postdesk.store.live_files`): the text of a
version that validated becomes the last good one, which processes that start
while the file is broken run on; the error and since when are what
`postdesk status` and `postdesk check` show.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from postdesk.automation import RuleSet, Vocabulary
from postdesk.chat.channels import ChannelBook
from postdesk.config import live_specs
from postdesk.config.live import (
    InForce,
    LiveFile,
    LiveSpec,
    LiveState,
    Snapshot,
    SourceFile,
    Version,
    utcnow,
)
from postdesk.config.settings import Settings
from postdesk.config.shipped import shipped
from postdesk.knowledge.library import KnowledgeBase
from postdesk.notify.template_overrides import TemplateSet
from postdesk.sla import SlaConfig
from postdesk.store import kb_index
from postdesk.store import live_files as store
from postdesk.ticket_queues.model import QueueBook
from postdesk.tickets.routing import Routing
from postdesk.tickets.teams import TeamBook

log = logging.getLogger(__name__)


def snapshot_from_database(name: str) -> Snapshot | None:
    """The desk's last good version of a live file, as the poller recorded it."""
    found = store.last_good(name)
    if found is None:
        return None
    files, validated_at = found
    return Snapshot(Version(tuple(SourceFile(d, t) for d, t in files)), validated_at)


def record_in_database(state: LiveState) -> None:
    """Record what is in force; a version read from the files on disk is the last good one."""
    good = ([(f.display, f.text) for f in state.version.files]
            if state.in_force is InForce.FILE else None)
    store.record(state.name, in_force=state.in_force.value, summary=state.summary,
                 error=state.error, broken_since=state.broken_since, good=good,
                 validated_at=state.validated_at, now=utcnow())


@dataclass
class LiveFiles:
    """Every live file of one process's desk, by what it holds."""

    automation: LiveFile[RuleSet]
    teams: LiveFile[TeamBook]
    routing: LiveFile[Routing]
    queues: LiveFile[QueueBook]
    sla: LiveFile[SlaConfig | None]
    templates: LiveFile[TemplateSet]
    knowledge: LiveFile[KnowledgeBase]
    channels: LiveFile[ChannelBook]
    record: Callable[[LiveState], None] = record_in_database
    #: called with the knowledge base in force after each change of `kb/` is recorded
    #: (`[kb] index = "database"`: the database's index rebuilt)
    index_knowledge: Callable[[KnowledgeBase], None] | None = None
    _logged: dict[str, int] = field(default_factory=dict)
    _recorded: dict[str, int] = field(default_factory=dict)

    def __iter__(self) -> Iterator[LiveFile[Any]]:
        return iter((self.automation, self.teams, self.routing, self.queues, self.sla,
                     self.templates, self.knowledge, self.channels))

    def request_reload(self) -> None:
        """Look at every file at its next use."""
        for live in self:
            live.request_reload()

    def warm(self) -> None:
        """Load every file now (a worker process at start), without reporting."""
        for live in self:
            live.current()

    def check(self, *, everything: bool = False) -> list[LiveState]:
        """Look at every file now; log and record those whose state changed since the last
        check (`everything`: all of them, at start and on SIGHUP). Returns what it logged."""
        logged = []
        for live in self:
            live.refresh()
            generation = live.generation  # before the state: a change in between is seen again
            state = live.state
            changed = self._logged.get(live.name) != generation
            if changed or everything:
                self._logged[live.name] = generation
                log.log(logging.INFO if state.error is None else logging.ERROR,
                        describe(state, unchanged=not changed),
                        extra={"file": state.name, "in_force": state.in_force.value})
                logged.append(state)
                if live is self.knowledge:
                    self._name_refused_articles(state)
            if everything or self._recorded.get(live.name) != generation:
                try:
                    self.record(state)
                except Exception as exc:  # the database is away: try again at the next check
                    log.warning("%s: not recorded in the database (%s); trying again in the "
                                "next check", live.name, exc)
                else:
                    self._recorded[live.name] = generation
                    if live is self.knowledge and self.index_knowledge is not None:
                        self._index(self.knowledge.current())
        return logged

    def _name_refused_articles(self, state: LiveState) -> None:
        """One warning per article `kb/` refuses, with its file and line (the line in force
        only counts them): the others stay served."""
        for problem in getattr(self.knowledge.current(), "problems", ()):
            log.warning("%s; this article is left out, the others are served", problem,
                        extra={"file": state.name, "in_force": state.in_force.value})

    def _index(self, kb: KnowledgeBase) -> None:
        assert self.index_knowledge is not None
        try:
            self.index_knowledge(kb)
        except Exception as exc:  # searches find the last index; the next change retries
            log.warning("kb/: the database's index was not rebuilt (%s)", exc)


def desk_live_files(settings: Settings, vocabulary: Callable[[], Vocabulary], *,
                    snapshots: Callable[[str], Snapshot | None] = snapshot_from_database,
                    record: Callable[[LiveState], None] = record_in_database,
                    shipped_rules: Path | None = None) -> LiveFiles:
    """The desk's live files under `[paths] rules` and `templates`, each looked at no more
    often than every `[rules] reload_interval` seconds."""
    folder = settings.path(settings.paths.rules)
    shipped_folder = shipped_rules or shipped("rules")

    def live(spec: LiveSpec[Any], folder: Path = folder,
             shipped_folder: Path | None = shipped_folder) -> LiveFile[Any]:
        return LiveFile(spec, folder, shipped_folder=shipped_folder,
                        interval=settings.rules.reload_interval, snapshots=snapshots)

    teams: LiveFile[TeamBook] = live(live_specs.teams())
    return LiveFiles(
        automation=live(live_specs.automation(vocabulary)),
        teams=teams,
        routing=live(live_specs.routing(lambda: teams.current().team_names,
                                        settings.desk.addresses)),
        queues=live(live_specs.queues(vocabulary)),
        sla=live(live_specs.sla(vocabulary)),
        templates=live(live_specs.templates(settings.path(settings.paths.templates)),
                       settings.path(settings.paths.templates), None),
        knowledge=live(live_specs.knowledge(), settings.path(settings.paths.kb), None),
        channels=live(live_specs.channels(vocabulary)),
        record=record,
        index_knowledge=kb_index.rebuild_knowledge if settings.kb.index == "database" else None,
    )


def describe(state: LiveState, *, unchanged: bool = False) -> str:
    """One line for people: what is in force for a live file, and why."""
    if state.error is None:
        return f"{state.name}: {'unchanged, ' if unchanged else ''}{state.summary} in force"
    if state.in_force is InForce.LAST_GOOD:
        validated = (f", validated {moment(state.validated_at)}" if state.validated_at
                     else "")
        what = f"the last good version stays in force ({state.summary}{validated})"
    elif state.in_force is InForce.SHIPPED:
        what = (f"this desk never had a good version of {state.name}: the version Postdesk "
                f"ships is in force until it is fixed ({state.summary})")
    else:
        what = (f"neither a last good version of {state.name} nor the shipped one loads: "
                f"{state.summary} until it is fixed")
    return f"{state.error}; {what}"


def moment(when: datetime) -> str:
    """A moment as logs and status show it: 2026-05-01 10:00:03 UTC."""
    return f"{when.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
