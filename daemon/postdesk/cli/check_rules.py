"""`postdesk check` for the rules files: automations, teams, routing, queues and SLA policies.

Each is loaded exactly as the daemon loads it, so an error here is the error
the daemon would log (`rules/automation.yaml:14: unknown action 'set_stauts'
(did you mean 'set_status'?)`), and a file that passes here is one the daemon
takes. Every file gets one line, ok or its errors, and each error is printed
once: a check that needs another file (queues need the automations to check
their queue names) says what it could not check when that file is broken,
instead of repeating its error. When the desk's database is there, `live`
adds what the running desk has in force: since when it runs on a broken
file's last good version.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from postdesk.automation import RuleSet, Vocabulary, automation_files, load_rules
from postdesk.config.live_specs import SLA_FILE
from postdesk.config.settings import Settings
from postdesk.errors import PostdeskError
from postdesk.notify.checks import CheckResult, register_check
from postdesk.sla.loader import load_sla
from postdesk.tickets.command_problems import COMMAND_PROBLEMS
from postdesk.tickets.routing import Routing, load_routing
from postdesk.tickets.statuses import StatusBook, load_statuses
from postdesk.tickets.teams import TeamBook, load_teams

if TYPE_CHECKING:
    from postdesk.knowledge.library import KnowledgeBase

T = TypeVar("T")
STATUSES_BROKEN = "rules/statuses.yaml has errors (above)"


def _loaded(load: Callable[[], T]) -> T | None:
    """What a loader returns, or None when its file is broken: that file's own check
    reports the error, once."""
    try:
        return load()
    except PostdeskError:
        return None


def _statuses(settings: Settings) -> StatusBook | None:
    return _loaded(lambda: load_statuses(settings.path(settings.paths.rules)))


def _vocabulary(book: StatusBook) -> Vocabulary:
    return Vocabulary(statuses=frozenset(book.names))


def _teams(settings: Settings) -> TeamBook | None:
    return _loaded(lambda: load_teams(settings.path(settings.paths.rules)))


def _routing(settings: Settings, teams: TeamBook) -> Routing:
    """routing.yaml checked against its teams and the desk's addresses."""
    return load_routing(settings.path(settings.paths.rules), teams=teams.team_names,
                        support_addresses=settings.desk.addresses)


def _rules(settings: Settings, book: StatusBook) -> RuleSet:
    return load_rules(settings.path(settings.paths.rules), _vocabulary(book))


@register_check("rules")
def check_rules(settings: Settings) -> CheckResult:
    rules_dir = settings.path(settings.paths.rules)
    files = len(automation_files(rules_dir))
    book = _statuses(settings)
    if book is None:
        return CheckResult("rules", f"rules: {files} automation file(s) not checked: "
                                    f"{STATUSES_BROKEN}", skipped=True)
    rules = _rules(settings, book)
    return CheckResult("rules", f"rules: {len(rules.rules)} automations in {files} file(s)")


@register_check("teams")
def check_teams(settings: Settings) -> CheckResult:
    teams = load_teams(settings.path(settings.paths.rules))
    return CheckResult("teams", f"teams: {len(teams.team_names)} in rules/teams.yaml "
                                f"({len(teams.agent_emails)} agents)")


@register_check("routing")
def check_routing(settings: Settings) -> CheckResult:
    teams = _teams(settings)
    if teams is None:
        return CheckResult("routing", "routing: rules/routing.yaml not checked: "
                                      "rules/teams.yaml has errors (above)", skipped=True)
    routing = _routing(settings, teams)
    return CheckResult("routing", f"routing: {len(routing.request_types)} request types, "
                                  f"{len(routing.routes)} routes")


@register_check("queues")
def check_queues(settings: Settings) -> CheckResult:
    from postdesk.ticket_queues.live import queue_vocabulary, unknown_names
    from postdesk.ticket_queues.loader import load_queues

    rules_dir = settings.path(settings.paths.rules)
    statuses = _statuses(settings)
    if statuses is None:
        return CheckResult("queues", f"queues: rules/queues.yaml not checked: "
                                     f"{STATUSES_BROKEN}", skipped=True)
    book = load_queues(rules_dir, queue_vocabulary(statuses))
    summary = f"queues: {len(book.queues)} in rules/queues.yaml"
    unchecked: list[str] = []
    rules = _loaded(lambda: _rules(settings, statuses))
    errors: list[str] = []
    if rules is None:
        unchecked.append("the queue names of the automations")
    else:
        errors = [f"{call.where}: rule '{rule.name}': no queue '{call.params['queue']}' in "
                  f"rules/queues.yaml (it has {', '.join(book.names) or 'none'})"
                  for rule in rules.desk_rules for call in rule.actions
                  if "queue" in call.params and book.get(call.params["queue"]) is None]
    teams = _teams(settings)
    routing = _loaded(lambda: _routing(settings, teams)) if teams is not None else None
    warnings: list[str] = []
    if teams is None or routing is None:
        unchecked.append("team and request type names")
    else:
        warnings = list(unknown_names(book, teams, routing))
    if unchecked:
        summary += f" ({' and '.join(unchecked)} not checked: their files have errors)"
    return CheckResult("queues", summary, errors=tuple(errors), warnings=tuple(warnings))


@register_check("sla")
def check_sla(settings: Settings) -> CheckResult:
    path = settings.path(settings.paths.rules) / SLA_FILE
    if not path.exists():
        return CheckResult("sla", "sla: no rules/sla.yaml (no SLA clocks)")
    book = _statuses(settings)
    if book is None:
        return CheckResult("sla", f"sla: rules/{SLA_FILE} not checked: {STATUSES_BROKEN}",
                           skipped=True)
    config = load_sla(path, _vocabulary(book), display=f"rules/{SLA_FILE}")
    return CheckResult("sla", f"sla: {len(config.policies)} policies, "
                              f"{len(config.calendars)} calendars, {len(config.olas)} OLAs")


@register_check("channels")
def check_channels(settings: Settings) -> CheckResult:
    """rules/channels.yaml, and whether the desk is connected to any chat platform: a
    channel of a platform without its section in postdesk.toml is a warning."""
    from postdesk.chat.channels import CHANNELS_FILE, EMPTY_CHANNELS, parse_channels
    from postdesk.config.rulesfile import read_rules_text

    path = settings.path(settings.paths.rules) / CHANNELS_FILE
    display = f"rules/{CHANNELS_FILE}"
    from postdesk.ticket_queues.loader import triage_conditions

    statuses = _statuses(settings)
    if statuses is None:
        return CheckResult("channels", f"{display} not checked: {STATUSES_BROKEN}",
                           skipped=True)
    book = (parse_channels(read_rules_text(path, display), display,
                           triage_conditions(_vocabulary(statuses))) if path.exists()
            else EMPTY_CHANNELS)
    platforms = settings.chat_platforms
    connected = (f"chat: {', '.join(platforms)}" if platforms else
                 f"chat: off (postdesk.toml has "
                 f"{', '.join(_missing_keys(settings, p) for p in CHAT_PLATFORMS)})")
    warnings = [f"{channel.where}: {channel.platform} channel {channel.channel}, but "
                f"postdesk.toml has {_missing_keys(settings, channel.platform)}: the desk "
                f"does not connect to {channel.platform}"
                for channel in book.channels if channel.platform not in platforms]
    teams = _teams(settings)
    warnings += [f"{channel.where}: no team '{channel.team}' in rules/teams.yaml"
                 for channel in book.channels
                 if teams is not None and channel.team and teams.team_names
                 and channel.team not in teams.team_names]
    routing = _loaded(lambda: _routing(settings, teams)) if teams is not None else None
    if routing is not None:  # a type routing does not have: `#requesttype` would refuse it
        known = routing.request_type_names
        warnings += [f"{channel.where}: no request type '{channel.request_type}' in "
                     f"rules/routing.yaml (it has {', '.join(sorted(known)) or 'none'})"
                     for channel in book.channels
                     if channel.request_type and channel.request_type not in known]
    return CheckResult("channels", f"{connected}; {display}: {len(book.channels)} channel(s), "
                                   f"{len(book.reactions)} reaction(s)",
                       warnings=tuple(warnings))


CHAT_PLATFORMS = ("slack", "teams", "matrix")


def _missing_keys(settings: Settings, platform: str) -> str:
    """What keeps a platform off, as the keys to fill: "no [matrix] homeserver" (the
    shipped postdesk.toml has every section, with its keys empty)."""
    section = getattr(settings, platform)
    empty = [key for key in section.REQUIRED if not getattr(section, key)]
    return "no " + " and ".join(f"[{platform}] {key}" for key in empty)


@register_check("kb")
def check_kb(settings: Settings) -> CheckResult:
    """Every article's front matter (`kb/en/vpn.md:4: ...`); a broken one is an error here,
    while the running desk leaves it out and serves the others."""
    from postdesk.cli.kb import desk_kb

    kb = desk_kb(settings)
    return CheckResult("kb", f"kb: {kb.describe()}", errors=kb.problems,
                       warnings=(*_semantic_warnings(settings),
                                 *_request_type_warnings(settings, kb)))


def _semantic_warnings(settings: Settings) -> list[str]:
    """`[kb] semantic = true` without the extra: the desk would order by words alone."""
    from postdesk.knowledge.semantic import missing_modules

    missing = missing_modules() if settings.kb.semantic else []
    if not missing:
        return []
    return [f"[kb] semantic = true, but the extra postdesk[semantic] is not installed (no "
            f"module {', '.join(missing)}): suggestions are ordered by words alone; install "
            "it with pip install 'postdesk[semantic]', or set [kb] semantic = false"]


def _request_type_warnings(settings: Settings, kb: KnowledgeBase) -> list[str]:
    """Articles restricted to a request type routing does not have (when routing loads:
    otherwise its own check reports it)."""
    teams = _teams(settings)
    routing = _loaded(lambda: _routing(settings, teams)) if teams is not None else None
    if routing is None:
        return []
    return kb.unknown_request_types(routing.request_type_names)


@register_check("live")
def check_live(settings: Settings) -> CheckResult:
    """What the running desk recorded in its database: a warning per broken live file saying
    since when it runs on the last good version. No database (yet): nothing to say."""
    from postdesk.serve.health import check_database, runs_on
    from postdesk.store import db, live_files

    reachable = check_database(settings)
    if not reachable.ok:
        return CheckResult("live", f"live files: no running desk to ask ({reachable.summary})")
    try:
        records = live_files.records()
    except Exception as exc:  # a database older than the records: nothing to say yet
        return CheckResult("live", f"live files: not recorded ({' '.join(str(exc).split())})")
    finally:
        db.database.close()
    if not records:
        return CheckResult("live", "live files: none recorded yet (postdesk serve records "
                                   "them when it starts)")
    broken = [record for record in records if record.error is not None]
    return CheckResult("live", f"live files: {len(records)} recorded by the running desk, "
                               f"{len(broken)} broken",
                       warnings=tuple(f"{r.name}: {runs_on(r)}" for r in broken))


@register_check("replies")
def check_replies(settings: Settings) -> CheckResult:
    """Every canned reply parses, its placeholders and commands are known, and it exists in
    the desk's default language (the one a customer of any other language falls back to)."""
    from postdesk.automation.model import DEFAULT_PRIORITIES
    from postdesk.tickets.canned import load_reply, reply_files, reply_folders, unnamed_files
    from postdesk.tickets.canned_yaml import BROKEN
    from postdesk.tickets.commands import parse_commands

    statuses, teams = _statuses(settings), _teams(settings)
    if statuses is None or teams is None:
        return CheckResult("replies", "replies: canned replies not checked: rules/statuses.yaml "
                                      "or rules/teams.yaml has errors (above)", skipped=True)
    folders = reply_folders(settings)
    files = reply_files(folders)
    errors: list[str] = []
    for name, language in files:
        try:
            reply = load_reply(files, name, (language,))
        except PostdeskError as exc:
            errors.append(str(exc))
            continue
        assert reply is not None
        parsed = parse_commands("\n".join(f"#{c}" for c in reply.commands), statuses=statuses,
                                priorities=DEFAULT_PRIORITIES, teams=teams,
                                request_types=None, languages=None, queues=())
        errors.extend(f"{reply.display}: command '{p.text}': "
                      + COMMAND_PROBLEMS.get(p.problem_msgid, p.problem_msgid) % dict(p.params)
                      for p in parsed.problems)
    names = sorted({name for name, _ in files})
    default = settings.desk.default_language
    warnings = [f"canned reply '{name}' has no {default} version ({name}.{default}.md, or "
                f"{default}: in {name}.yaml): a "
                f"customer whose language it lacks gets English, or nothing"
                for name in names if (name, default) not in files
                and (name, BROKEN) not in files]
    warnings += [f"{path}: not a canned reply (name it NAME.<lang>.md, e.g. "
                 f"printer-restart.en.md, or NAME.yaml)" for path in unnamed_files(folders)]
    paths = {path for path, _ in files.values()}
    return CheckResult("replies", f"replies: {len(names)} canned replies in "
                                  f"{len(paths)} file(s)",
                       errors=tuple(dict.fromkeys(errors)),  # a YAML file's: once, not per
                       warnings=tuple(warnings))  # language it has
