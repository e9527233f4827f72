"""The SQL of `ticket_figures`: recomputing tickets' rows, the indexes, the triggers.

One set of statements recomputes the rows of the tickets a condition selects
(`refresh_statements`): the triggers run it for one ticket, `rebuild` for an id
range. Both engines get the same statements but for the JSON functions, the
arithmetic on times and the trigger syntax. No `%` anywhere: psycopg would read it
as a placeholder.
"""

from __future__ import annotations

from collections.abc import Callable

GROUPS = ("team", "agent", "request_type", "channel", "priority")
#: The groups a satisfaction survey copies from its ticket's figures and keeps in step
#: (its agent is the resolution's, `store.csat_store`), and the survey's column of each.
SURVEY_COPIED_GROUPS = tuple(group for group in GROUPS if group != "agent")
SURVEY_GROUP_COLUMNS = {"agent": "agent", **{g: f"ticket_{g}" for g in SURVEY_COPIED_GROUPS}}
#: The clocks with columns of their own; any other (the OLA clocks) is a clock row.
CLOCK_COLUMNS = ("first_response", "resolution", "next_response")
#: Events that are not a person touching the ticket (the requester's own or the system's).
NOT_A_TOUCH = ("ticket.created", "message.received", "rules.snapshot",
               "customer.language_changed")
#: The figures' columns besides ticket_id and outcome, in the order the refresh selects them.
FIGURE_COLUMNS = ("created_at", *GROUPS, "acknowledged_s", "sla", "first_response_state",
                  "first_response_s", "resolution_state", "resolution_s",
                  "next_response_state", "self_served")
#: The groupings that have indexes of their own (priority is the SLA report's only).
INDEXED_GROUPS = ("team", "agent", "request_type", "channel")
#: The measured business times, each with its ranking indexes.
MEASURES = ("acknowledged_s", "first_response_s", "resolution_s")

# `outcome`: everything the reports count of a ticket, as one small number, so that the
# counts of a period are one walk of a (group, outcome, created_at) index, grouped without
# a sort: bit 0 has clocks (sla), 1 self-served, 2-4 has an acknowledgment / first
# response time / resolution time; then the state of first_response, resolution and
# next_response, each in base 5 (0: none or another state, 1 + OUTCOME_STATES' index).
OUTCOME_FLAGS = ("sla", "self_served", *MEASURES)
OUTCOME_STATES = ("met", "breached", "running", "paused")
STATE_BASE = 2 ** len(OUTCOME_FLAGS)

Condition = Callable[[str], str]  # a column holding a ticket id -> which tickets


def _quoted(names: tuple[str, ...]) -> str:
    return ", ".join(f"'{name}'" for name in names)


def seconds_between(start: str, end: str, postgres: bool) -> str:
    if postgres:
        return f"CAST(EXTRACT(EPOCH FROM ({end} - {start})) AS BIGINT)"
    return f"CAST(ROUND((julianday({end}) - julianday({start})) * 86400) AS INTEGER)"


def _has_at(column: str, postgres: bool) -> str:
    """A person's address (not `system`)."""
    return f"{'strpos' if postgres else 'instr'}({column}, '@') > 0"


def _clock_field(clock: str, field: str, postgres: bool) -> str:
    if postgres:
        return f"(s.clocks::jsonb #>> '{{{clock},{field}}}')"
    return f"json_extract(s.clocks, '$.{clock}.{field}')"


def _measured(clock: str, postgres: bool) -> str:
    """Business seconds to the clock being met, in time or late; NULL while it is not."""
    return (f"CASE WHEN {_clock_field(clock, 'state', postgres)} = 'met' OR "
            f"{_clock_field(clock, 'met_at', postgres)} IS NOT NULL THEN "
            f"CAST({_clock_field(clock, 'elapsed_s', postgres)} AS BIGINT) END")


def _acknowledged(postgres: bool) -> str:
    touched = "MIN(e.created_at)"
    seconds = seconds_between("t.created_at", touched, postgres)
    at_least_zero = f"GREATEST(0, {seconds})" if postgres else f"MAX(0, {seconds})"
    return (f"(SELECT CASE WHEN {touched} IS NULL THEN NULL ELSE {at_least_zero} END "
            'FROM "event" e WHERE e.ticket_id = t.id AND e.rule IS NULL AND '
            f"{_has_at('e.actor', postgres)} AND e.actor <> c.email "
            f"AND e.kind NOT IN ({_quoted(NOT_A_TOUCH)}))")


def _outcome() -> str:
    """The outcome number from the columns of a figures row (see OUTCOME_FLAGS)."""
    flags = [f"{column}" if column in ("sla", "self_served")
             else f"(CASE WHEN {column} IS NULL THEN 0 ELSE 1 END)" for column in OUTCOME_FLAGS]
    parts = [f"{2 ** bit} * {flag}" for bit, flag in enumerate(flags)]
    for place, clock in enumerate(CLOCK_COLUMNS):
        index = " ".join(f"WHEN '{state}' THEN {i + 1}" for i, state in enumerate(OUTCOME_STATES))
        parts.append(f"{STATE_BASE * 5 ** place} * (CASE {clock}_state {index} ELSE 0 END)")
    return " + ".join(parts)


def _differs(postgres: bool, row: str, other: str, columns: tuple[str, ...]) -> str:
    """Whether `row` and `other` differ in any of `columns`: a row is only rewritten (and
    its many index entries with it) when a figure changed, which most refreshes leave
    alone (a running clock's elapsed time, a second reply)."""
    test = "IS DISTINCT FROM" if postgres else "IS NOT"
    return "(" + " OR ".join(f"{row}.{c} {test} {other}.{c}" for c in columns) + ")"


def refresh_statements(postgres: bool, tickets: Condition) -> list[str]:
    """Recompute the figures and clock rows of the tickets `tickets` selects, and copy
    their groups into their status changes (new ones are added by `status_change_insert`)
    and their satisfaction surveys (`survey_groups_update`)."""
    values = (
        "t.id", "t.created_at", "COALESCE(t.team, '')", "COALESCE(t.assignee, '')",
        "COALESCE(t.request_type, '')",
        "COALESCE((SELECT i.source FROM \"inbound\" i WHERE i.ticket_id = t.id "
        "ORDER BY i.id LIMIT 1), '')",
        "COALESCE(t.priority, '')", _acknowledged(postgres),
        "CASE WHEN s.ticket_id IS NULL THEN 0 ELSE 1 END",
        _clock_field("first_response", "state", postgres), _measured("first_response", postgres),
        _clock_field("resolution", "state", postgres), _measured("resolution", postgres),
        _clock_field("next_response", "state", postgres),
        "CASE WHEN EXISTS (SELECT 1 FROM \"event\" e WHERE e.ticket_id = t.id "
        "AND e.kind = 'kb.self_served') THEN 1 ELSE 0 END")
    named = ", ".join(f"{value} AS {column}"
                      for value, column in zip(values, ("ticket_id", *FIGURE_COLUMNS), strict=True))
    updates = ", ".join(f"{column} = excluded.{column}"
                        for column in (*FIGURE_COLUMNS, "outcome"))
    each_clock = ("jsonb_each(s.clocks::jsonb) AS c" if postgres
                  else "json_each(s.clocks) AS c")
    clock_state = "(c.value ->> 'state')" if postgres else "json_extract(c.value, '$.state')"
    groups = ", ".join(GROUPS)
    regrouped = _differs(postgres, "f", '"ticket_status_change"', GROUPS)
    return [
        f'INSERT INTO "ticket_figures" (ticket_id, {", ".join(FIGURE_COLUMNS)}, outcome) '
        f"SELECT x.*, {_outcome()} FROM (SELECT {named} FROM \"ticket\" t "
        'JOIN "customer" c ON c.id = t.requester_id '
        'LEFT JOIN "ticket_sla" s ON s.ticket_id = t.id '
        f"WHERE {tickets('t.id')}) AS x WHERE 1 = 1 "
        f"ON CONFLICT (ticket_id) DO UPDATE SET {updates} WHERE "
        + _differs(postgres, '"ticket_figures"', "excluded", (*FIGURE_COLUMNS, "outcome")),
        f'DELETE FROM "ticket_figure_clock" WHERE {tickets("ticket_id")}',
        'INSERT INTO "ticket_figure_clock" (ticket_id, clock, state) '
        f"SELECT t.id, c.key, {clock_state} FROM \"ticket\" t "
        f'JOIN "ticket_sla" s ON s.ticket_id = t.id CROSS JOIN {each_clock} '
        f"WHERE {tickets('t.id')} AND c.key NOT IN ({_quoted(CLOCK_COLUMNS)})",
        f'UPDATE "ticket_status_change" SET ({groups}) = (SELECT {groups} '
        'FROM "ticket_figures" f WHERE f.ticket_id = "ticket_status_change".ticket_id) '
        f"WHERE {tickets('ticket_id')} AND EXISTS (SELECT 1 FROM \"ticket_figures\" f "
        'WHERE f.ticket_id = "ticket_status_change".ticket_id AND '
        f"{regrouped})",
        survey_groups_update(postgres, tickets),
    ]


def survey_groups_update(postgres: bool, tickets: Condition) -> str:
    """Copy the groups (but the agent) of the tickets `tickets` selects from their figures
    rows into their satisfaction surveys, where they differ."""
    columns = ", ".join(SURVEY_GROUP_COLUMNS[g] for g in SURVEY_COPIED_GROUPS)
    test = "IS DISTINCT FROM" if postgres else "IS NOT"
    regrouped = " OR ".join(f'f.{g} {test} "csat_survey".{SURVEY_GROUP_COLUMNS[g]}'
                            for g in SURVEY_COPIED_GROUPS)
    return (f'UPDATE "csat_survey" SET ({columns}) = (SELECT {", ".join(SURVEY_COPIED_GROUPS)} '
            'FROM "ticket_figures" f WHERE f.ticket_id = "csat_survey".ticket_id) '
            f"WHERE {tickets('ticket_id')} AND EXISTS (SELECT 1 FROM \"ticket_figures\" f "
            f'WHERE f.ticket_id = "csat_survey".ticket_id AND ({regrouped}))')


def status_change_insert(postgres: bool, events: str) -> str:
    """Add the status changes among the events `events` selects (a condition on `e`),
    with their ticket's groups; those already there are left as they are."""
    def data(field: str) -> str:
        return f"(e.data::jsonb ->> '{field}')" if postgres \
            else f"json_extract(e.data, '$.{field}')"
    groups = ", ".join(GROUPS)
    return (f'INSERT INTO "ticket_status_change" (event_id, ticket_id, at, old, new, {groups}) '
            f"SELECT e.id, e.ticket_id, e.created_at, {data('old')}, {data('new')}, "
            f"{', '.join('f.' + g for g in GROUPS)} FROM \"event\" e "
            'JOIN "ticket_figures" f ON f.ticket_id = e.ticket_id '
            f"WHERE e.kind = 'status.changed' AND {events} "
            "ON CONFLICT (event_id) DO NOTHING")


def _event_matters(row: str, postgres: bool) -> str:
    """Whether an event can change its ticket's figures (most rule snapshots cannot)."""
    return (f"({row}.kind IN ('status.changed', 'kb.self_served') OR ({row}.rule IS NULL "
            f"AND {_has_at(row + '.actor', postgres)} "
            f"AND {row}.kind NOT IN ({_quoted(NOT_A_TOUCH)})))")


def index_statements() -> list[str]:
    """Per indexed grouping: (group, agent, outcome, created) counts a period's tickets
    per group and per agent by one walk in order, and (group, measure, created) per
    measure ranks its values (p50 / p90 by offset); the same without a group for the
    totals and the distributions; the status changes by group, agent and time, and by
    time for the weekly trend."""
    figures = [("created", "created_at"), ("outcome", "outcome, created_at"),
               *((measure, f"{measure}, created_at") for measure in MEASURES)]
    changes = [("at", "at, new, old, ticket_id"), ("ticket", "ticket_id")]
    for group in INDEXED_GROUPS:
        pair = "agent" if group == "agent" else f"{group}, agent"
        figures += [(f"{group}_outcome", f"{pair}, outcome, created_at"),
                    *((f"{group}_{measure}", f"{group}, {measure}, created_at")
                      for measure in MEASURES)]
        changes.append((group, f"{pair}, at, new, old, ticket_id"))
    return [*(f'CREATE INDEX IF NOT EXISTS "ticket_figures_{name}" ON "ticket_figures" ({on})'
              for name, on in figures),
            *(f'CREATE INDEX IF NOT EXISTS "ticket_status_change_{name}" '
              f'ON "ticket_status_change" ({on})' for name, on in changes)]


def index_names() -> list[str]:
    return [statement.split('"')[1] for statement in index_statements()]


#: (trigger name, table, event, the ticket id of the row: NEW or OLD)
_TRIGGERS = (
    ("ticket_figures_ticket_insert", "ticket", "INSERT", "new.id"),
    ("ticket_figures_ticket_update", "ticket",
     "UPDATE OF created_at, team, assignee, request_type, priority, requester_id", "new.id"),
    ("ticket_figures_sla_insert", "ticket_sla", "INSERT", "new.ticket_id"),
    ("ticket_figures_sla_update", "ticket_sla", "UPDATE OF clocks", "new.ticket_id"),
    ("ticket_figures_sla_delete", "ticket_sla", "DELETE", "old.ticket_id"),
    ("ticket_figures_inbound_insert", "inbound", "INSERT", "new.ticket_id"),
    ("ticket_figures_inbound_update", "inbound", "UPDATE OF ticket_id", "new.ticket_id"),
)


#: Every trigger and the table it is on.
TRIGGERS = {**{name: table for name, table, _, _ in _TRIGGERS},
            "ticket_figures_event_insert": "event"}


def _equal_to(ticket: str) -> Condition:
    def condition(column: str) -> str:
        return f"{column} = {ticket}"
    return condition


def trigger_statements(postgres: bool) -> list[str]:
    return _postgres_triggers() if postgres else _sqlite_triggers()


def _sqlite_triggers() -> list[str]:
    statements = []
    for name, table, event, ticket in _TRIGGERS:
        body = "; ".join(refresh_statements(False, _equal_to(ticket)))
        when = f" WHEN {ticket} IS NOT NULL" if table == "inbound" else ""
        statements.append(f'CREATE TRIGGER IF NOT EXISTS "{name}" AFTER {event} ON "{table}"'
                          f"{when} BEGIN {body}; END")
    body = "; ".join([
        *refresh_statements(False, _equal_to("new.ticket_id"))[:1],
        status_change_insert(False, "e.id = new.id")])
    statements.append('CREATE TRIGGER IF NOT EXISTS "ticket_figures_event_insert" AFTER INSERT '
                      f'ON "event" WHEN {_event_matters("new", False)} BEGIN {body}; END')
    return statements


def _postgres_triggers() -> list[str]:
    refresh = "; ".join(refresh_statements(True, _equal_to("$1")))
    statements = [
        # PL/pgSQL keeps each statement's plan for the session; an SQL function would
        # plan all four again on every call
        "CREATE OR REPLACE FUNCTION postdesk_ticket_figures_refresh(bigint) RETURNS void "
        f"LANGUAGE plpgsql AS $body$ BEGIN {refresh}; END $body$",
        "CREATE OR REPLACE FUNCTION postdesk_ticket_figures_row() RETURNS trigger "
        "LANGUAGE plpgsql AS $body$ BEGIN "
        "IF TG_OP = 'DELETE' THEN PERFORM postdesk_ticket_figures_refresh(OLD.ticket_id); "
        "ELSIF TG_TABLE_NAME = 'ticket' THEN PERFORM postdesk_ticket_figures_refresh(NEW.id); "
        "ELSIF NEW.ticket_id IS NOT NULL THEN "
        "PERFORM postdesk_ticket_figures_refresh(NEW.ticket_id); END IF; "
        "RETURN NULL; END $body$",
        "CREATE OR REPLACE FUNCTION postdesk_ticket_figures_event() RETURNS trigger "
        "LANGUAGE plpgsql AS $body$ BEGIN "
        "PERFORM postdesk_ticket_figures_refresh(NEW.ticket_id); "
        f"{status_change_insert(True, 'e.id = NEW.id')}; RETURN NULL; END $body$",
    ]
    for name, table, event, _ in _TRIGGERS:
        statements += [f'DROP TRIGGER IF EXISTS "{name}" ON "{table}"',
                       f'CREATE TRIGGER "{name}" AFTER {event} ON "{table}" '
                       "FOR EACH ROW EXECUTE FUNCTION postdesk_ticket_figures_row()"]
    statements += ['DROP TRIGGER IF EXISTS "ticket_figures_event_insert" ON "event"',
                   'CREATE TRIGGER "ticket_figures_event_insert" AFTER INSERT ON "event" '
                   f"FOR EACH ROW WHEN {_event_matters('NEW', True)} "
                   "EXECUTE FUNCTION postdesk_ticket_figures_event()"]
    return statements


def refresh_range_statements(postgres: bool, low: int, high: int) -> list[str]:
    """The rebuild of the tickets with ids in (low, high]."""
    def in_range(column: str) -> str:
        return f"{column} > {int(low)} AND {column} <= {int(high)}"
    statements = refresh_statements(postgres, in_range)
    return [*statements[:3], status_change_insert(postgres, in_range("e.ticket_id")),
            *statements[3:]]
