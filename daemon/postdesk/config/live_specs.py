"""The desk's live files: which files each one reads, and how it validates them.

Each parse takes the texts (not the paths), so that the same validation runs on
the files on disk, on the last good version kept in the database and on the
version Postdesk ships. A live file whose files are absent is valid and empty:
no automations, no teams, no routes, no queues, no SLA clocks, no templates of
the desk's own (the shipped ones serve).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path

from postdesk.automation import RuleSet, Vocabulary, automation_files
from postdesk.automation.loader import MAIN_FILE, build_rules
from postdesk.chat.channels import CHANNELS_FILE, EMPTY_CHANNELS, ChannelBook, parse_channels
from postdesk.config.live import LiveSpec, Version
from postdesk.config.rulesfile import parse_yaml
from postdesk.knowledge.library import EMPTY_KB, KB_FOLDER, KnowledgeBase, kb_files, load_texts
from postdesk.notify.template_overrides import TemplateSet, override_files, parse_overrides
from postdesk.sla import SlaConfig
from postdesk.sla.loader import parse_sla
from postdesk.ticket_queues.loader import QUEUES_FILE, parse_queues, triage_conditions
from postdesk.ticket_queues.model import QueueBook
from postdesk.tickets.routing import NO_ROUTING, ROUTING_FILE, Routing, parse_routing
from postdesk.tickets.teams import EMPTY_BOOK, TEAMS_FILE, TeamBook, parse_teams

SLA_FILE = "sla.yaml"


def one_file(name: str) -> Callable[[Path], list[Path]]:
    """The files of a live file that is a single file: itself, present or not."""
    return lambda folder: [folder / name]


def _only(version: Version) -> tuple[str, str] | None:
    """(text, display) of a one-file version; None when the file is absent."""
    return (version.files[0].text, version.files[0].display) if version.files else None


def automation(vocabulary: Callable[[], Vocabulary]) -> LiveSpec[RuleSet]:
    def parse(version: Version) -> RuleSet:
        return build_rules([parse_yaml(f.text, f.display) for f in version.files], vocabulary())

    return LiveSpec(f"rules/{MAIN_FILE}", automation_files, parse, RuleSet(),
                    lambda rules: _count(len(rules.rules), "automation"))


def teams() -> LiveSpec[TeamBook]:
    def parse(version: Version) -> TeamBook:
        found = _only(version)
        return parse_teams(*found) if found else EMPTY_BOOK

    return LiveSpec(f"rules/{TEAMS_FILE}", one_file(TEAMS_FILE), parse, EMPTY_BOOK,
                    lambda book: f"{_count(len(book.team_names), 'team')}, "
                                 f"{_count(len(book.agent_emails), 'agent')}")


def routing(team_names: Callable[[], Collection[str]],
            support_addresses: Collection[str]) -> LiveSpec[Routing]:
    """`team_names` is asked at each load, so that a team added since is known."""
    def parse(version: Version) -> Routing:
        found = _only(version)
        if found is None:
            return NO_ROUTING
        text, display = found
        return parse_routing(text, teams=team_names(), support_addresses=support_addresses,
                             display=display)

    return LiveSpec(f"rules/{ROUTING_FILE}", one_file(ROUTING_FILE), parse, NO_ROUTING,
                    lambda found: f"{_count(len(found.request_types), 'request type')}, "
                                  f"{_count(len(found.routes), 'route')}")


def queues(vocabulary: Callable[[], Vocabulary]) -> LiveSpec[QueueBook]:
    def parse(version: Version) -> QueueBook:
        found = _only(version)
        if found is None:
            return QueueBook()
        text, display = found
        return parse_queues(text, vocabulary(), display=display)

    return LiveSpec(f"rules/{QUEUES_FILE}", one_file(QUEUES_FILE), parse, QueueBook(),
                    lambda book: _count(len(book.queues), "queue"))


def sla(vocabulary: Callable[[], Vocabulary]) -> LiveSpec[SlaConfig | None]:
    def parse(version: Version) -> SlaConfig | None:
        found = _only(version)
        if found is None:
            return None
        text, display = found
        return parse_sla(text, display, vocabulary())

    def describe(config: SlaConfig | None) -> str:
        if config is None:
            return "no SLA policies (no clocks)"
        return (f"{_count(len(config.policies), 'policy', 'policies')}, "
                f"{_count(len(config.calendars), 'calendar')}")

    return LiveSpec(f"rules/{SLA_FILE}", one_file(SLA_FILE), parse, None, describe)


def channels(vocabulary: Callable[[], Vocabulary]) -> LiveSpec[ChannelBook]:
    """rules/channels.yaml: the chat channels the desk works in (no file: none); a triage
    channel's `if:` is checked as a queue's."""
    def parse(version: Version) -> ChannelBook:
        found = _only(version)
        return parse_channels(*found, conditions=triage_conditions(vocabulary()))\
            if found else EMPTY_CHANNELS

    def describe(book: ChannelBook) -> str:
        notices = book.direct_notices
        return (f"{_count(len(book.channels), 'chat channel')}, "
                f"{_count(len(book.reactions), 'reaction')}"
                + (f", mail requesters also told in {notices.platform}" if notices else ""))

    return LiveSpec(f"rules/{CHANNELS_FILE}", one_file(CHANNELS_FILE), parse, EMPTY_CHANNELS,
                    describe)


def templates(folder: Path) -> LiveSpec[TemplateSet]:
    """The desk's own templates under `folder` (its `[paths] templates`)."""
    def parse(version: Version) -> TemplateSet:
        return parse_overrides(folder, ((f.display.split("/", 1)[1], f.display, f.text)
                                        for f in version.files))

    def describe(found: TemplateSet) -> str:
        count = len(found.sources)
        return f"{count} of the desk's own templates" if count else "no templates of its own"

    return LiveSpec(f"{folder.name}/", override_files, parse, TemplateSet(folder), describe)


def knowledge() -> LiveSpec[KnowledgeBase]:
    """The articles under the desk's `kb/` (`[paths] kb`). A broken article is left out and
    named in the value's `problems`; the others stay served, so this never refuses."""
    def parse(version: Version) -> KnowledgeBase:
        return load_texts((f.display, f.text) for f in version.files)

    return LiveSpec(f"{KB_FOLDER}/", kb_files, parse, EMPTY_KB, lambda kb: kb.describe())


def _count(number: int, one: str, many: str | None = None) -> str:
    return f"{number} {one if number == 1 else many or one + 's'}"
