"""Sample render contexts, one per shipped mail, for `postdesk check` and `preview`.

Each sample has exactly the keys the sender passes for that mail, so it
doubles as the reference of what a template may use. Values are fixed (no
clock reads) so a preview is reproducible. Datetimes are UTC; the renderer
shows them in the recipient's zone. Status names are the untranslated
public msgids (see `postdesk.tickets.statuses`); templates translate them.

Shape shared by all: ``desk{name, address}`` and ``ticket{id, subject,
public_status, status, priority, request_type, request_type_title, sla_due,
created_at}``
(``sla_due``, ``request_type`` and ``request_type_title`` may be None;
the title is the request type's texts by language, or its name). Optional everywhere:
``message.attachments`` / ``note.attachments`` (a list of ``{filename, size}``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from postdesk.notify.audience import CUSTOMER_TEMPLATES, for_customer
from postdesk.notify.i18n import N_
from postdesk.tickets.command_problems import COMMAND_PROBLEMS
from postdesk.tickets.commands import COMMAND_NAMES

Context = dict[str, Any]

CREATED_AT = datetime(2026, 3, 27, 9, 30, tzinfo=UTC)
SLA_DUE = datetime(2026, 3, 30, 9, 30, tzinfo=UTC)  # after the switch to summer time in the EU

def _desk() -> Context:
    return {"name": "Example Support", "address": "support@example.com", "reopen_days": 14}


def _ticket(**changes: Any) -> Context:
    ticket: Context = {
        "id": 1042,
        "subject": "Printer on the 2nd floor prints blank pages",
        "public_status": N_("In progress"),
        "status": "in_progress",
        "priority": "high",
        "request_type": "hardware",
        "request_type_title": {"en": "Hardware", "pl": "Sprzęt", "de": "Hardware"},
        "sla_due": SLA_DUE,
        "created_at": CREATED_AT,
    }
    ticket.update(changes)
    return ticket


def _customer() -> Context:
    return {"name": "Anna Kowalska", "email": "anna.kowalska@customer.example"}


def _agent() -> Context:
    return {"name": "Piotr Nowak", "email": "piotr.nowak@example.com"}


def _attachments() -> list[Context]:
    return [{"filename": "test-page.pdf", "size": 48213},
            {"filename": "printer-display.jpg", "size": 1203554}]


def _suggestions() -> list[dict[str, Any]]:
    """Knowledge-base articles offered with a new ticket (`knowledge.suggest.Suggestion`)."""
    return [
        {"id": "printer-setup", "title": "Add an office printer", "language": "en",
         "score": 0.71, "excerpt": "Every floor has a shared printer named after the floor…",
         "text": "Every floor has a shared printer named after the floor.\n\n"
                 "If printing is stuck, open the print queue and cancel all documents."},
        {"id": "toner", "title": "Order toner", "language": "en", "score": 0.42,
         "excerpt": "Ask the reception desk of your floor.", "text": "Ask the reception."},
    ]


def acknowledgment() -> Context:
    """To the customer when a ticket is opened, with the articles that may answer it."""
    return {
        "ticket": _ticket(public_status=N_("Received"), status="new"),
        "customer": _customer(),
        "desk": _desk(),
        "message": {"text": "Since this morning every page comes out blank.\nAnna"},
        "suggestions": _suggestions(),
        "solved_link": "https://help.example.com/solved/1042-abcdefghijklmnop",
    }


def agent_new_ticket() -> Context:
    """To the assignee or the team: a new ticket, with the customer's text."""
    return {
        "ticket": _ticket(public_status=N_("Received"), status="new"),
        "customer": _customer(),
        "message": {"text": "Since this morning every page comes out blank.\n"
                            "I have already replaced the toner.\nAnna",
                    "attachments": _attachments()},
        "desk": _desk(),
        "agent": _agent(),
        "note_address": "support+note-1042-5f2a9c@example.com",
        "possible_duplicates": [{"id": 1038, "percent": 64}],
        "suggestions": _suggestions(),
    }


def agent_customer_replied() -> Context:
    """To the assignee or the team: the customer wrote again."""
    context = agent_new_ticket()
    # a reply written into unquoted history: nothing looked new, so it is shown whole
    context["message"] = {"text": "On Mon, 30 Nov 2026 at 09:12, Example Support "
                                  "<support@example.com> wrote:\nDoes it happen with every "
                                  "tray?\nIt happens with every tray, also after a restart.",
                          "attachments": _attachments()[:1], "whole": True}
    context["thread"] = _thread(internal=True)
    return context


def _thread(*, internal: bool) -> list[Context]:
    """The earlier messages below a mail, newest first (`internal`: with a note, for
    agents)."""
    note = {"author": "Ewa Wiśniewska", "from_desk": True, "internal": True,
            "created_at": datetime(2026, 3, 27, 11, 30, tzinfo=UTC), "trimmed": False, "files": [],
            "text": "The fuser unit is under warranty; I have asked the vendor."}
    answer = {"author": "Piotr Nowak", "from_desk": True, "internal": False,
              "created_at": datetime(2026, 3, 27, 10, 12, tzinfo=UTC), "trimmed": False,
              "files": [],
              "text": "Hello Anna,\n\ndoes it happen with every paper tray?\n\nBest,"}
    request = {"author": "Anna Kowalska", "from_desk": False, "internal": False,
               "created_at": CREATED_AT, "trimmed": True,
               "files": ["test-page.pdf"],
               "text": "Since this morning every page comes out blank. I have already "
                       "replaced the toner …"}
    return [note, answer, request] if internal else [answer, request]


def agent_assigned() -> Context:
    """To the new assignee (or the new team's agents): a ticket is theirs now."""
    context = agent_new_ticket()
    context["ticket"] = {**context["ticket"], "team": "support",
                         "assignee": "anna.nowak@example.com"}
    return context


def agent_reply() -> Context:
    """To the customer: an agent's answer, relayed from the support address."""
    return {
        "ticket": _ticket(public_status=N_("Waiting for your reply"),
                          status="waiting_for_customer"),
        "agent": {"name": "Piotr Nowak"},
        "message": {"text": "Hello Anna,\n\nplease send us the serial number on the back "
                            "of the printer.\n\nThanks!",
                    "attachments": _attachments()[:1]},
        "desk": _desk(),
        "thread": _thread(internal=False)[1:],
    }


def status_changed() -> Context:
    """To the customer: the public status changed (``kind`` is that of the new status)."""
    return {
        "ticket": _ticket(public_status=N_("Resolved"), status="resolved"),
        "customer": _customer(),
        "change": {"old": N_("In progress"), "new": N_("Resolved"), "kind": "closed"},
        "desk": _desk(),
    }


def internal_note() -> Context:
    """To the other agents on the ticket: a note the customer never sees."""
    return {
        "ticket": _ticket(),
        "agent": _agent(),
        "author": {"name": "Ewa Wiśniewska", "email": "ewa.wisniewska@example.com"},
        "note": {"text": "The fuser unit is under warranty; I have asked the vendor.",
                 "attachments": []},
        "desk": _desk(),
    }


def duplicate_resolved() -> Context:
    """To a duplicate's requester when the original ticket is resolved.

    ``original`` carries only the id: its subject belongs to another customer.
    """
    return {
        "ticket": _ticket(id=1047, public_status=N_("Resolved"), status="resolved"),
        "original": {"id": 1042},
        "customer": {"name": "", "email": "jan@customer.example"},
        "desk": _desk(),
    }


def page_links() -> Context:
    """To a customer who asked the ticket page for new links to their open requests."""
    base = "https://help.example.com/t/"
    return {
        "customer": {"name": "Anna Kowalska", "email": "anna@customer.example"},
        "desk": _desk(),
        "link_days": 90,
        "tickets": [{"id": 1047, "subject": "Printer on floor 2 prints blank pages",
                     "public_status": N_("In progress"),
                     "url": f"{base}1047.7.0.1796000000.c2FtcGxlLWxpbmstc2ln"},
                    {"id": 1052, "subject": "Laptop does not charge",
                     "public_status": N_("Received"),
                     "url": f"{base}1052.7.0.1796000000.YW5vdGhlci1saW5rLXNpZw"}],
        "reply_marker": False,
        "ticket_page": "",
    }


def reports_sign_in() -> Context:
    """To an agent who asked /reports/sign-in for a link (postdesk.tickets.reports_sign_in)."""
    return {
        "agent": {"name": "Anna Nowak", "email": "anna@example.com"},
        "desk": _desk(),
        "sign_in": {"url": "https://help.example.com/reports/session/"
                           "YW5uYUBleGFtcGxlLmNvbQ.1796000000.c2FtcGxlLXNpZ24taW4tbGluaw",
                    "minutes": 60},
        "reply_marker": False,
    }


def resolved_without_reply() -> Context:
    """To the customer: we waited `inactivity.days` for an answer and resolved the ticket."""
    return {
        "ticket": _ticket(public_status=N_("Resolved"), status="resolved"),
        "customer": _customer(),
        "inactivity": {"days": 7},
        "desk": _desk(),
    }


def satisfaction_survey() -> Context:
    """To the customer, a while after the resolution: the ratings as one-click links (each
    to a confirmation page) and the reply that counts too; see `tickets.csat_survey`."""
    base = "https://help.example.com/csat/1047.7.1.{rating}.1796000000.c2FtcGxlLWxpbmstc2ln"
    return {
        "ticket": _ticket(public_status=N_("Resolved"), status="resolved"),
        "customer": _customer(),
        "desk": _desk(),
        "survey": {"scale": "1-5", "resolution": 1, "change_days": 7,
                   "choices": [{"rating": n, "label": str(n), "url": base.format(rating=n)}
                               for n in range(1, 6)]},
    }


def agent_bad_rating() -> Context:
    """To a team's lead: a customer's low satisfaction rating, with its comment (the rule
    bad-rating-tells-the-team-lead)."""
    return {
        "ticket": _ticket(public_status=N_("Resolved"), status="resolved"),
        "agent": _agent(),
        "rating": {"rating": 2, "label": "2", "best": "5", "scale": "1-5",
                   "comment": "It took three days and the printer still jams."},
        "desk": _desk(),
    }


def sla_warning() -> Context:
    """To the assignee: an SLA clock is close to its due time (``warned_at``: now)."""
    return {
        "ticket": _ticket(),
        "agent": _agent(),
        "sla": {"clock": "first_response", "label": "75%", "due_at": SLA_DUE,
                "warned_at": datetime(2026, 3, 30, 6, 15, tzinfo=UTC)},
        "desk": _desk(),
    }


def command_error() -> Context:
    """To an agent: commands in their reply were wrong; nothing was applied or sent."""
    return {
        "ticket": _ticket(),
        "agent": _agent(),
        "problems": [
            {"line": "#stauts resolved", "problem": COMMAND_PROBLEMS["unknown_command"],
             "params": {}},
            {"line": "#priority highest", "problem": COMMAND_PROBLEMS["unknown_priority"],
             "params": {"value": "highest", "known": "low, normal, high, urgent"}},
        ],
        "commands": ", ".join(COMMAND_NAMES),
        "desk": _desk(),
    }


def queue_digest() -> Context:
    """To an agent: a queue's tickets with live SLA and the agent's reply address for each
    (``#queue NAME`` or a `send_queue_digest` rule); see `postdesk.ticket_queues.digest`."""
    line = {"requester": {"name": "Zoë Kowalska", "email": "zoe@customer.example"},
            "status": "in_progress", "public_status": N_("In progress"), "assignee": None,
            "reply_address": "support+1042-a.q2dpmd6f3kdg-3f9a1c2b@example.com"}
    return {
        "desk": _desk(),
        "agent": _agent(),
        "digest": {"name": "unassigned", "title": "Unassigned", "count": 3, "shown": 2,
                   "problem": None, "refused": False,
                   "reply_address": "support+0-a.k7mktdo2iosp-vljquehwv5nsy7sj@example.com"},
        "tickets": [
            {**line, "id": 1042, "subject": "Printer on the 2nd floor prints blank pages",
             "priority": "high", "sla_state": "breached",
             "reply_subject": "Re: [#1042] Printer on the 2nd floor prints blank pages",
             "sla": [{"clock": "first_response", "state": "breached", "remaining_s": -3900,
                      "due_at": SLA_DUE},
                     {"clock": "resolution", "state": "warning", "remaining_s": 1500,
                      "due_at": SLA_DUE}]},
            {**line, "id": 1043, "subject": "Laptop does not charge", "priority": "normal",
             "sla_state": "paused", "reply_subject": "Re: [#1043] Laptop does not charge",
             "reply_address": "support+1043-a.q2dpmd6f3kdg-77aa01bc@example.com",
             "sla": [{"clock": "resolution", "state": "paused", "remaining_s": 27000,
                      "due_at": None}]},
        ],
        "queues": [],
    }


def kpi_report() -> Context:
    """To managers: the KPIs of the last week with table bars and the report attached (a
    `send_report` rule); see `postdesk.report.report_mail`."""
    return {
        "desk": _desk(),
        "report": {"every": "week", "by": "team", "since": "2026-03-02", "until": "2026-03-08",
                   "format": "html", "filename": "kpi-team-2026-03-02.html"},
        "kpi": {"created": 42, "resolved": 38, "reopened": 3, "reopen_rate": "8%",
                "acknowledgment_p50": "35m", "first_response_p50": "1h 10m",
                "resolution_p50": "6h 30m", "sla_met": 70, "sla_breached": 6,
                "sla_met_rate": "92%", "csat": "81%", "csat_response_rate": "40%",
                "deflections": None},
        "weeks": [{"label": "2026-02-23", "created": 35, "resolved": 30, "created_pct": 83,
                   "resolved_pct": 71},
                  {"label": "2026-03-02", "created": 42, "resolved": 38, "created_pct": 100,
                   "resolved_pct": 90}],
        "agents": [{"name": "Anna Nowak", "resolved": 20, "reopened": 1, "pct": 100},
                   {"name": "Bob Smith", "resolved": 18, "reopened": 2, "pct": 90}],
    }


SAMPLES: dict[str, Callable[[], Context]] = {
    "acknowledgment": acknowledgment,
    "agent_new_ticket": agent_new_ticket,
    "agent_customer_replied": agent_customer_replied,
    "agent_assigned": agent_assigned,
    "agent_reply": agent_reply,
    "status_changed": status_changed,
    "internal_note": internal_note,
    "duplicate_resolved": duplicate_resolved,
    "resolved_without_reply": resolved_without_reply,
    "page_links": page_links,
    "reports_sign_in": reports_sign_in,
    "sla_warning": sla_warning,
    "satisfaction_survey": satisfaction_survey,
    "agent_bad_rating": agent_bad_rating,
    "command_error": command_error,
    "queue_digest": queue_digest,
    "kpi_report": kpi_report,
}


def sample_context(name: str) -> Context:
    """A fresh copy of the sample for template `name`; KeyError when there is none. A
    customer's mail gets only what a customer's context holds (`notify.audience`)."""
    return _as_sent(name, copy.deepcopy(SAMPLES[name]()))


def _as_sent(name: str, context: Context) -> Context:
    # mail about a ticket starts with the reply marker (`tickets.mailing`); a digest is not
    context.setdefault("reply_marker", name not in ("queue_digest", "kpi_report"))
    if name not in CUSTOMER_TEMPLATES:
        return context
    # the signed link to the ticket's page, as a desk with [web] puts it in (`tickets.mailing`),
    # unless the mail is about no one ticket
    return {"ticket_page": "https://help.example.com/t/1047.7.0.1796000000.c2FtcGxlLWxpbmstc2ln",
            **for_customer(context)}


#: What a customer may send that a mail's layout must survive: no spaces to wrap
#: at, markup that must show as text, and a link longer than a phone is wide.
HOSTILE_WORD = "Drukarka" + "X" * 190
HOSTILE_URL = ("https://intranet.customer.example/printers/floor-2/queue/status?"
               "id=7f3a9c2e4b1d8a6f0e5c3b2a1d9e8f7c6b5a4d3e2f1a0b9c8d7e6f5a4b3c2d1e0")
HOSTILE_ADDRESS = ("anna.maria.kowalska-wisniewska.department-of-procurement"
                   "@customer-subsidiary.example")
HOSTILE_FILENAME = "scan_of_the_printer_display_showing_error_E-0x7F3A9C2E4B1D8A6F_2026-03-27.jpg"
HOSTILE_MARKUP = "<b>not bold</b> & <script>alert(1)</script>"


def _hostile(value: Any, key: str) -> Any:
    if isinstance(value, dict):  # the desk's own name and address come from its admin
        return {k: v if k == "desk" else _hostile(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_hostile(v, key) for v in value]
    if not isinstance(value, str):
        return value
    replacements = {
        "subject": f"{HOSTILE_WORD} {HOSTILE_MARKUP}",
        "text": f"{value}\n\nSee {HOSTILE_URL}\n{HOSTILE_MARKUP}",
        "email": HOSTILE_ADDRESS,
        "filename": HOSTILE_FILENAME,
        "name": f"{value} <i>Dr.</i> {HOSTILE_WORD[:40]}" if value else value,
    }
    return replacements.get(key, value)


def hostile_context(name: str) -> Context:
    """The sample for `name` with the worst strings a customer can send in its place."""
    hostile: Context = _hostile(SAMPLES[name](), "")
    return _as_sent(name, hostile)
