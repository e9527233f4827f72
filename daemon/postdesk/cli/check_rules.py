"""`postdesk check` for the rules files: automations, routing, queues and SLA policies.

Each is loaded exactly as the daemon loads it, so an error here is the error
the daemon would log (`rules/automation.yaml:14: unknown action 'set_stauts'
(did you mean 'set_status'?)`), and a file that passes here is one the daemon
takes. When the desk's database is there, `live` adds what the running desk
has in force: since when it runs on a broken file's last good version.
"""

from __future__ import annotations

from postdesk.automation import Vocabulary, automation_files, load_rules
from postdesk.config.live_specs import SLA_FILE
from postdesk.config.settings import Settings
from postdesk.errors import PostdeskError
from postdesk.notify.checks import CheckResult, register_check
from postdesk.sla.loader import load_sla
from postdesk.tickets.command_problems import COMMAND_PROBLEMS
from postdesk.tickets.routing import Routing, load_routing
from postdesk.tickets.statuses import load_statuses
from postdesk.tickets.teams import TeamBook, load_teams


def _vocabulary(settings: Settings) -> Vocabulary:
    book = load_statuses(settings.path(settings.paths.rules))
    return Vocabulary(statuses=frozenset(book.names))


@register_check("rules")
def check_rules(settings: Settings) -> CheckResult:
    rules_dir = settings.path(settings.paths.rules)
    rules = load_rules(rules_dir, _vocabulary(settings))
    files = len(automation_files(rules_dir))
    return CheckResult("rules", f"rules: {len(rules.rules)} automations in {files} file(s)")


def _teams_and_routing(settings: Settings) -> tuple[TeamBook, Routing]:
    """teams.yaml, and routing.yaml checked against its teams and the desk's addresses."""
    rules_dir = settings.path(settings.paths.rules)
    teams = load_teams(rules_dir)
    return teams, load_routing(rules_dir, teams=teams.team_names,
                               support_addresses=settings.desk.addresses)


@register_check("routing")
def check_routing(settings: Settings) -> CheckResult:
    teams, routing = _teams_and_routing(settings)
    return CheckResult("routing", f"routing: {len(routing.request_types)} request types, "
                                  f"{len(routing.routes)} routes; teams: "
                                  f"{len(teams.team_names)} ({len(teams.agent_emails)} agents)")


@register_check("queues")
def check_queues(settings: Settings) -> CheckResult:
    from postdesk.ticket_queues.live import queue_vocabulary, unknown_names
    from postdesk.ticket_queues.loader import load_queues

    rules_dir = settings.path(settings.paths.rules)
    teams, routing = _teams_and_routing(settings)
    book = load_queues(rules_dir, queue_vocabulary(load_statuses(rules_dir)))
    errors = [f"{call.where}: rule '{rule.name}': no queue '{call.params['queue']}' in "
              f"rules/queues.yaml (it has {', '.join(book.names) or 'none'})"
              for rule in load_rules(rules_dir, _vocabulary(settings)).desk_rules
              for call in rule.actions if "queue" in call.params
              and book.get(call.params["queue"]) is None]
    return CheckResult("queues", f"queues: {len(book.queues)} in rules/queues.yaml",
                       errors=tuple(errors), warnings=tuple(unknown_names(book, teams, routing)))


@register_check("sla")
def check_sla(settings: Settings) -> CheckResult:
    path = settings.path(settings.paths.rules) / SLA_FILE
    if not path.exists():
        return CheckResult("sla", "sla: no rules/sla.yaml (no SLA clocks)")
    config = load_sla(path, _vocabulary(settings), display=f"rules/{SLA_FILE}")
    return CheckResult("sla", f"sla: {len(config.policies)} policies, "
                              f"{len(config.calendars)} calendars, {len(config.olas)} OLAs")


@register_check("kb")
def check_kb(settings: Settings) -> CheckResult:
    """Every article's front matter (`kb/en/vpn.md:4: ...`); a broken one is an error here,
    while the running desk leaves it out and serves the others."""
    from postdesk.cli.kb import desk_kb

    kb = desk_kb(settings)
    return CheckResult("kb", f"kb: {kb.describe()}", errors=kb.problems)


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
    from postdesk.tickets.commands import parse_commands

    rules_dir = settings.path(settings.paths.rules)
    statuses, teams = load_statuses(rules_dir), load_teams(rules_dir)
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
    warnings = [f"canned reply '{name}' has no {default} version ({name}.{default}.md): a "
                f"customer whose language it lacks gets English, or nothing"
                for name in names if (name, default) not in files]
    warnings += [f"{path}: not a canned reply (name it NAME.<lang>.md, e.g. "
                 f"printer-restart.en.md)" for path in unnamed_files(folders)]
    return CheckResult("replies", f"replies: {len(names)} canned replies in "
                                  f"{len(files)} file(s)",
                       errors=tuple(errors), warnings=tuple(warnings))
