"""Turn one stored inbound mail into ticket data, in one transaction.

parse -> classify -> identify the sender -> correlate -> tickets.service ->
outbox rows. The row is claimed with one conditional UPDATE inside the same
transaction, so two workers given the same id do the work once; a crash
rolls everything back and the sweeper hands the id out again. A mail that
cannot be processed keeps its raw bytes and gets `failed` with a reason.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from email.message import EmailMessage

import peewee

from postdesk import logs
from postdesk.automation import EventFacts
from postdesk.config.runtime import Runtime
from postdesk.config.settings import Settings
from postdesk.mail.address import (
    ReplyToken,
    find_subject_tag,
    is_support_address,
    read_reply_address,
)
from postdesk.mail.classify import Classification, classify
from postdesk.mail.dkim_check import dkim_pass_domains
from postdesk.mail.parse import ParsedMail, load_message, parse_loaded
from postdesk.mail.reply import extract_reply
from postdesk.sla.tracking import catch_up as sla_catch_up
from postdesk.store import fastsql
from postdesk.store.db import database, is_postgres, utcnow
from postdesk.store.models import Customer, Inbound, Message, Ticket
from postdesk.tickets import service
from postdesk.tickets.agent_mail import handle_agent_mail, handle_desk_request
from postdesk.tickets.agents import AgentIdentity, check_agent
from postdesk.tickets.automation import Trigger, opened_facts, run_automations
from postdesk.tickets.correlate import ThreadFacts, ThreadMatch, find_ticket
from postdesk.tickets.locale_guess import guess_language, guess_timezone

log = logging.getLogger(__name__)

#: How many times a mail is tried before it is marked failed.
MAX_ATTEMPTS = 5

#: The author recorded for a bounce whose From holds no usable address.
BOUNCE_AUTHOR = "mailer-daemon"

#: Where a closed ticket goes when its customer writes again within the reopen window.
REOPENED_STATUS = "in_progress"


@dataclass(frozen=True)
class Outcome:
    state: str  # done | ignored | duplicate | failed | skipped
    ticket_id: int | None = None
    reason: str = ""
    outbox_ids: tuple[int, ...] = field(default=())
    changed_ticket: bool = False  # its SLA clocks are to be recomputed


def process_inbound(inbound_id: int, runtime: Runtime) -> Outcome:
    """Process one inbound row; idempotent (a done or missing row is skipped)."""
    (result,) = process_many([inbound_id], runtime)
    if isinstance(result, Exception):
        raise result
    return result


def process_many(inbound_ids: Sequence[int], runtime: Runtime) -> list[Outcome | Exception]:
    """Process several inbound rows, in order; per row its outcome, or the error that
    stopped it (the queue retries that row: the database was locked or away).

    What needs no database (parsing, classifying, a new sender's language, a DKIM
    check) is done for every mail first, outside the write transaction. On SQLite,
    which has one writer at a time, the mails are then stored in one transaction,
    each in its own savepoint: one commit instead of one per mail, and a mail that
    fails takes none of the others with it. On PostgreSQL, whose writers work side
    by side, each mail has its own short transaction."""
    results: dict[int, Outcome | Exception] = {}
    arrived: list[Arrived] = []
    rows = {row.id: row for row in fastsql.rows_by(Inbound, Inbound.id, list(inbound_ids))}
    for inbound_id in dict.fromkeys(inbound_ids):  # a mail handed out twice counts once
        row = rows.get(inbound_id)
        if row is None or row.state != "pending":
            results[inbound_id] = Outcome("skipped")
            continue
        with logs.log_context(inbound=inbound_id, ticket=None):
            try:
                arrived.append(_read(row, runtime))
            except Exception as exc:
                results[inbound_id] = exc
    _look_up_senders(arrived, runtime)
    if len(arrived) > 1 and not is_postgres():
        try:
            with database.atomic():
                results.update(_settle_each(arrived, runtime, together=True))
        except (peewee.OperationalError, peewee.InterfaceError) as exc:
            results.update((mail.row.id, exc) for mail in arrived)  # all rolled back
    else:
        results.update(_settle_each(arrived, runtime, together=False))
    if any(isinstance(outcome, Outcome) and outcome.changed_ticket
           for outcome in results.values()):
        _catch_up_sla(runtime)
    return [results[inbound_id] for inbound_id in inbound_ids]


@dataclass
class Arrived:
    """A stored mail read and classified, with what could be worked out before the write
    transaction."""

    row: Inbound
    parsed: ParsedMail
    verdict: Classification
    auth_results: tuple[str, ...]
    token: ReplyToken | None = None
    #: a sender we did not know yet: the language of the text (guessed once, outside
    #: the write transaction)
    new_sender_language: str | None = None
    #: an agent's mail without a reply token of ours: the domains whose DKIM signatures
    #: verify (DNS lookups, outside the write transaction)
    dkim_domains: frozenset[str] | None = None


def _read(row: Inbound, runtime: Runtime) -> Arrived:
    msg = load_message(row.raw)
    parsed = parse_loaded(msg, max_depth=runtime.settings.limits.max_mime_depth,
                          max_html_depth=runtime.settings.limits.max_html_depth)
    verdict = classify(msg, envelope_from=row.mail_from, desk=runtime.identity)
    return Arrived(row, parsed, verdict, _header_values(msg, "Authentication-Results"))


#: The kinds of mail that open a ticket for a sender we do not know (an auto-reply from
#: a stranger is ignored unless it answers a ticket: its language, if ever needed, is
#: guessed in the transaction).
_MAY_OPEN = frozenset({"normal", "bulk"})


def _look_up_senders(arrived: list[Arrived], runtime: Runtime) -> None:
    """For the mails that will need them: a new sender's language, an agent's DKIM."""
    senders = {mail.parsed.sender.normalized for mail in arrived
               if mail.parsed.sender is not None and mail.verdict.kind in _MAY_OPEN}
    known = {customer.email for customer in
             fastsql.rows_by(Customer, Customer.email, sorted(senders))} if senders else set()
    settings = runtime.settings
    for mail in arrived:
        sender = mail.parsed.sender.normalized if mail.parsed.sender else None
        if sender is None or mail.verdict.kind not in _MAY_OPEN:
            continue
        with logs.log_context(inbound=mail.row.id, ticket=None):
            if sender not in known:
                mail.new_sender_language = _language_of(mail.parsed, runtime)
            if (mail.verdict.kind == "normal" and runtime.teams.agent(sender) is not None
                    and settings.agents.verify_dkim):
                mail.token = _reply_token(mail.row, mail.parsed, runtime)
                if mail.token is None:
                    mail.dkim_domains = dkim_pass_domains(mail.row.raw,
                                                          dnsfunc=runtime.dkim_dns)


def _language_of(parsed: ParsedMail, runtime: Runtime) -> str:
    """What a new customer writing this mail is taken to speak."""
    return guess_language(parsed.languages, runtime.settings.desk.default_language,
                          text=parsed.text, shipped=runtime.languages)


def _settle_each(arrived: list[Arrived], runtime: Runtime, *, together: bool
                 ) -> dict[int, Outcome | Exception]:
    """Each mail's outcome, or the error for the queue to retry it; `together`: all in
    the caller's transaction, which a database error must end."""
    results: dict[int, Outcome | Exception] = {}
    for mail in arrived:
        with logs.log_context(inbound=mail.row.id, ticket=None):
            try:
                results[mail.row.id] = _settle(mail, runtime)
            except (peewee.OperationalError, peewee.InterfaceError) as exc:
                if together:
                    raise  # locked or away: nothing of the batch is kept
                results[mail.row.id] = exc
            except peewee.IntegrityError as exc:
                results[mail.row.id] = exc  # a second race in a row: the queue retries
    return results


def _settle(mail: Arrived, runtime: Runtime) -> Outcome:
    try:
        return _process_once(mail, runtime)
    except peewee.IntegrityError:
        # a worker stored the same mail a moment ago: look again, now it is a duplicate
        return _process_once(mail, runtime)


def _header_values(msg: EmailMessage, name: str) -> tuple[str, ...]:
    try:
        return tuple(str(value) for value in msg.get_all(name, ()))
    except Exception:  # a broken header is no evidence of anything
        return ()


@dataclass(frozen=True)
class Plan:
    """What the database says about a mail, read at the start of its transaction.

    A race (two workers, same mail) is caught by the unique index on inbound
    messages and the mail is planned again.
    """

    outcome: Outcome | None = None  # decided without writing ticket data
    match: ThreadMatch | None = None
    customer: Customer | None = None
    agent: AgentIdentity | None = None  # an authenticated agent writing to the ticket
    agent_refused: str = ""  # a known agent's address without an agent's powers, and why


class _AlreadyDone(Exception):
    """Another worker finished this row first: roll back and skip."""


def _process_once(mail: Arrived, runtime: Runtime) -> Outcome:
    now = utcnow()
    try:
        with database.atomic():
            plan = _plan(mail, runtime)
            logs.bind(ticket=plan.match.ticket_id if plan.match else None)
            with service.events_together():  # the mail's events: one INSERT
                outcome = plan.outcome or _apply(mail, plan, runtime, now)
            if plan.outcome is None and outcome.ticket_id is not None:
                sla_catch_up.mark(outcome.ticket_id, now)  # recomputed after the commit
                outcome = replace(outcome, changed_ticket=True)
            if not _finish(mail.row.id, outcome, now):
                raise _AlreadyDone
    except _AlreadyDone:
        return Outcome("skipped")
    except (peewee.OperationalError, peewee.InterfaceError, peewee.IntegrityError):
        raise  # locked or unavailable: the queue retries, the row stays pending
    except Exception as exc:  # one place maps failures to a stored reason
        log.exception("inbound %s could not be processed", mail.row.id)
        return _record_failure(mail.row.id, exc)
    return outcome


def _catch_up_sla(runtime: Runtime) -> None:
    """The clocks of the tickets marked so far: the mail is committed whatever happens here
    (a failure leaves the marks for the sweeper)."""
    try:
        sla_catch_up.after_commit(runtime)
    except Exception:
        log.exception("SLA clocks not caught up after a commit; the sweeper will")


def _finish(inbound_id: int, outcome: Outcome, now: datetime) -> bool:
    """Mark the row done (or what it became) if it is still pending: the claim."""
    return fastsql.update_by_id(Inbound, inbound_id, only_if={"state": "pending"},
                                increment="attempts", state=outcome.state,
                                reason=outcome.reason, ticket=outcome.ticket_id,
                                processed_at=now) == 1


def _record_failure(inbound_id: int, exc: Exception) -> Outcome:
    reason = f"{type(exc).__name__}: {exc}"[:2000]
    with database.atomic():
        row = Inbound.get_by_id(inbound_id)
        attempts = row.attempts + 1
        state = "failed" if attempts >= MAX_ATTEMPTS or not _is_transient(exc) else "pending"
        (Inbound.update(state=state, reason=reason, attempts=attempts)
         .where(Inbound.id == inbound_id).execute())
    return Outcome(state, reason=reason)


def _is_transient(exc: Exception) -> bool:
    return isinstance(exc, peewee.OperationalError | ConnectionError | TimeoutError)


def _plan(mail: Arrived, runtime: Runtime) -> Plan:
    row, parsed, verdict = mail.row, mail.parsed, mail.verdict
    if verdict.kind == "loop":
        return Plan(Outcome("ignored", reason=verdict.reason))
    # MTAs often write "From: MAILER-DAEMON" with no domain: a bounce needs no sender
    duplicate = _find_duplicate(row, parsed, parsed.sender.normalized if parsed.sender
                                else BOUNCE_AUTHOR)
    if duplicate is not None:
        return duplicate
    if verdict.kind == "bounce":
        bounced = _tickets_of_message_ids(
            [verdict.original_message_id or "", *reversed(parsed.references),
             *parsed.in_reply_to])
        match = ThreadMatch(bounced[0], "bounced message") if bounced else None
        return Plan(match=match)
    if parsed.sender is None:
        return Plan(Outcome("failed",
                            reason="no usable From address: cannot tell who wrote this mail"))
    sender = parsed.sender.normalized
    token = mail.token or _reply_token(row, parsed, runtime)
    match = find_ticket(_thread_facts(row, parsed, sender, runtime, token))
    if verdict.kind == "auto_reply" and match is None:
        return Plan(Outcome("ignored", reason=f"{verdict.reason}; matches no ticket"))
    agent, refused = None, ""
    if runtime.teams.agent(sender) is not None and verdict.kind == "normal":
        own_token = token if token and token.ticket_id == (match and match.ticket_id) else None
        verified: frozenset[str] = frozenset()
        if own_token is None and runtime.settings.agents.verify_dkim:
            verified = (mail.dkim_domains if mail.dkim_domains is not None
                        else dkim_pass_domains(row.raw, dnsfunc=runtime.dkim_dns))
        decision = check_agent(
            sender, own_token, runtime.teams, authentication_results=mail.auth_results,
            trusted_authserv_ids=frozenset(runtime.settings.agents.trusted_authserv_ids),
            dkim_verified_domains=verified)
        agent, refused = decision.identity, ("" if decision.identity else decision.reason)
    return Plan(match=match, customer=fastsql.get_by(Customer, Customer.email, sender),
                agent=agent, agent_refused=refused)


def _apply(mail: Arrived, plan: Plan, runtime: Runtime, now: datetime) -> Outcome:
    row, parsed, verdict = mail.row, mail.parsed, mail.verdict
    if verdict.kind == "bounce":
        return _apply_bounce(row, parsed, verdict, plan, now)
    assert parsed.sender is not None
    settings = runtime.settings
    customer = plan.customer or _new_customer(mail, runtime, now)  # _plan found none
    match = plan.match
    digest = (handle_desk_request(plan.agent, parsed, runtime, now, _desk_address(row, runtime))
              if match is None and plan.agent is not None else None)  # `#queue NAME`
    if digest is not None:
        return Outcome("done", outbox_ids=tuple(digest.outbox_ids), reason=digest.summary)
    if match is not None and plan.agent is not None:
        ticket = _ticket(match.ticket_id)
        new_text = extract_reply(parsed.text, html=None if parsed.text.strip() else parsed.html
                                 ).new_text
        result = handle_agent_mail(ticket, plan.agent, parsed, new_text, row, runtime, now,
                                   _desk_address(row, runtime))
        return Outcome("done", ticket_id=ticket.id, outbox_ids=tuple(result.outbox_ids),
                       reason=f"agent {plan.agent.agent.email} ({plan.agent.method}): "
                              f"{result.summary}")
    if match is not None:
        ticket = _ticket(match.ticket_id)
        fastsql.known_related(ticket, Ticket.requester, customer)  # when they wrote it
        if plan.agent_refused:
            service.record_event(ticket, "agent.not_authenticated",
                                 {"reason": plan.agent_refused}, actor="system", now=now)
        if verdict.kind == "auto_reply":
            # an out-of-office answer: kept for the agents, changes nothing
            _store_mail(ticket, parsed, row, customer.email, "internal", now, follow_up=True)
            return Outcome("done", ticket_id=ticket.id, reason=verdict.reason)
        closed = runtime.statuses.kind(ticket.status) == "closed"
        if closed and not _may_reopen(ticket, settings, now):
            return _open(row, parsed, verdict, customer, runtime, now, follow_up_of=ticket)
        stored = _store_mail(ticket, parsed, row, customer.email, "public", now, follow_up=True)
        if closed:
            service.set_status(ticket, REOPENED_STATUS, actor=customer.email, now=now,
                               reason="the customer wrote again")
        role = "customer" if customer.id == ticket.requester_id else "participant"
        outbox_ids = run_automations(
            ticket, _trigger("message.received", role, parsed, verdict, row, runtime,
                             text=stored.text), runtime, now)
        return Outcome("done", ticket_id=ticket.id, outbox_ids=tuple(outbox_ids),
                       reason=f"follow-up by {match.how}")
    return _open(row, parsed, verdict, customer, runtime, now)


def _new_customer(mail: Arrived, runtime: Runtime, now: datetime) -> Customer:
    parsed = mail.parsed
    assert parsed.sender is not None
    language = mail.new_sender_language or _language_of(parsed, runtime)
    return service.create_customer(
        parsed.sender.normalized, parsed.sender.name, language=language,
        timezone=guess_timezone(language, parsed.date, runtime.settings.desk.timezone),
        now=now)


def _open(row: Inbound, parsed: ParsedMail, verdict: Classification, customer: Customer,
          runtime: Runtime, now: datetime, follow_up_of: Ticket | None = None) -> Outcome:
    """A new ticket and its first message; the rules decide what is sent (acknowledgment,
    notifications)."""
    route = runtime.routing.route(row.rcpt_to, parsed.subject, parsed.text)
    ticket = service.open_ticket(customer, parsed.subject, now=now,
                                 request_type=route.request_type if route else None,
                                 team=route.team if route else None)
    logs.bind(ticket=ticket.id)
    if route is not None:
        service.record_event(ticket, "ticket.routed", {"request_type": route.request_type,
                                                       "team": route.team,
                                                       "route": route.where},
                             actor="system", now=now)
    service.add_participants(ticket, _cc_customers(parsed, runtime, now))
    first = _store_mail(ticket, parsed, row, customer.email, "public", now)
    links = []
    if follow_up_of is not None:
        service.link_tickets(ticket, follow_up_of, "follow_up_of", actor=customer.email, now=now)
        links.append(("follow_up_of", follow_up_of.id))
    outbox_ids = run_automations(
        ticket, _trigger("ticket.created", "customer", parsed, verdict, row, runtime),
        runtime, now, facts=opened_facts(ticket, first, links))
    return Outcome("done", ticket_id=ticket.id, outbox_ids=tuple(outbox_ids),
                   reason="" if verdict.may_auto_reply else verdict.reason)


def _trigger(kind: str, role: str, parsed: ParsedMail, verdict: Classification, row: Inbound,
             runtime: Runtime, text: str | None = None) -> Trigger:
    assert parsed.sender is not None
    body = parsed.text if text is None else text
    event = EventFacts(kind=kind, author_role=role, author_email=parsed.sender.normalized,
                       subject=parsed.subject, body=body,
                       has_attachment=bool(parsed.attachments))
    return Trigger(event=event, may_auto_reply=verdict.may_auto_reply, why_not=verdict.reason,
                   desk_address=_desk_address(row, runtime), message_text=body)


def _may_reopen(ticket: Ticket, settings: Settings, now: datetime) -> bool:
    return bool(now - ticket.updated_at <= timedelta(days=settings.tickets.reopen_days))


def _apply_bounce(row: Inbound, parsed: ParsedMail, verdict: Classification, plan: Plan,
                  now: datetime) -> Outcome:
    """A bounce never opens a ticket nor notifies: it flags the address and, when we
    know which of our mails bounced, becomes an internal note on that ticket."""
    hard = [r.email for r in verdict.bounce if r.hard]
    flagged = service.mark_bouncing(hard)
    if plan.match is None:
        reason = verdict.reason + (f"; {flagged} address(es) marked bouncing" if flagged else "")
        return Outcome("ignored", reason=reason)
    ticket = _ticket(plan.match.ticket_id)
    summary = "\n".join(
        f"{'Permanent' if r.hard else 'Temporary'} delivery failure to {r.email}"
        f"{f' ({r.status})' if r.status else ''}{f': {r.diagnostic}' if r.diagnostic else ''}"
        for r in verdict.bounce) or verdict.reason
    service.add_message(
        ticket, direction="in", visibility="internal",
        author_email=parsed.sender.normalized if parsed.sender else BOUNCE_AUTHOR,
        author_name=parsed.sender.name if parsed.sender else "", subject=parsed.subject,
        text=summary, body=parsed.text,
        html=None, message_id=parsed.message_id, inbound=row, attachments=(), now=now)
    service.record_event(ticket, "mail.bounced",
                         {"recipients": [{"email": r.email, "status": r.status, "hard": r.hard}
                                         for r in verdict.bounce]},
                         actor="system", now=now)
    return Outcome("ignored", ticket_id=ticket.id, reason=verdict.reason)


def _store_mail(ticket: Ticket, parsed: ParsedMail, row: Inbound, author: str,
                visibility: str, now: datetime, *, follow_up: bool = False) -> Message:
    """Store the mail; a follow-up's text is what is new in it, the full body is kept too."""
    assert parsed.sender is not None
    text = parsed.text
    if follow_up:
        text = extract_reply(parsed.text, html=None if parsed.text.strip() else parsed.html
                             ).new_text
    return service.add_message(
        ticket, direction="in", visibility=visibility, author_email=author,
        author_name=parsed.sender.name, subject=parsed.subject, text=text,
        body=parsed.text, html=parsed.html, message_id=parsed.message_id, inbound=row,
        attachments=parsed.attachments, now=now,
    )


def _find_duplicate(row: Inbound, parsed: ParsedMail, sender: str) -> Plan | None:
    """The same mail delivered twice: same Message-ID from the same sender, or same bytes."""
    param = database.obj.param
    if parsed.message_id:
        earlier = database.execute_sql(
            f'SELECT "ticket_id" FROM "message" WHERE "message_id" = {param} '
            f'AND "direction" = {param} AND "author_email" = {param} LIMIT 1',
            [parsed.message_id[:998], "in", sender]).fetchone()
        if earlier is not None:
            return Plan(Outcome("duplicate", ticket_id=earlier[0],
                                reason=f"already stored: Message-ID <{parsed.message_id}> "
                                       f"from {sender}"))
    same_bytes = database.execute_sql(
        f'SELECT "id", "ticket_id" FROM "inbound" WHERE "sha256" = {param} AND "id" != {param} '
        f'AND "state" IN ({fastsql.placeholders(3)}) LIMIT 1',
        [row.sha256, row.id, "done", "duplicate", "ignored"]).fetchone()
    if same_bytes is not None:
        return Plan(Outcome("duplicate", ticket_id=same_bytes[1],
                            reason=f"already stored: identical to inbound {same_bytes[0]}"))
    return None


def _reply_token(row: Inbound, parsed: ParsedMail, runtime: Runtime) -> ReplyToken | None:
    """The signed reply address of ours the mail was sent to, for an existing ticket."""
    desk = runtime.settings.desk
    for address in [*row.rcpt_to, *(a.email for a in parsed.to + parsed.cc)]:
        token = read_reply_address(address, desk.secret, desk.addresses)
        if token is not None and fastsql.exists(Ticket, Ticket.id, token.ticket_id):
            return token
    return None


def _thread_facts(row: Inbound, parsed: ParsedMail, sender: str, runtime: Runtime,
                  token: ReplyToken | None) -> ThreadFacts:
    token_ticket = token.ticket_id if token is not None else None
    referenced = _tickets_of_message_ids([*reversed(parsed.references), *parsed.in_reply_to])
    tagged = find_subject_tag(parsed.subject)
    if tagged is not None and not fastsql.exists(Ticket, Ticket.id, tagged):
        tagged = None
    people = service.people_on_ticket(tagged) if tagged is not None else frozenset()
    return ThreadFacts(sender=sender, token_ticket=token_ticket, referenced_tickets=referenced,
                       tagged_ticket=tagged, tagged_ticket_people=people)


def _tickets_of_message_ids(message_ids: list[str]) -> tuple[int, ...]:
    ids = [m[:998] for m in dict.fromkeys(message_ids) if m]
    if not ids:
        return ()
    among = f"IN ({fastsql.placeholders(len(ids))})"
    found: dict[str, int] = {}
    for message_id, ticket_id in database.execute_sql(
            f'SELECT "message_id", "ticket_id" FROM "outbox" WHERE "message_id" {among} '
            'AND "ticket_id" IS NOT NULL', ids):
        found[str(message_id)] = int(ticket_id)
    for message_id, ticket_id in database.execute_sql(
            f'SELECT "message_id", "ticket_id" FROM "message" WHERE "message_id" {among}', ids):
        found.setdefault(str(message_id), int(ticket_id))
    return tuple(dict.fromkeys(found[m] for m in ids if m in found))


def _cc_customers(parsed: ParsedMail, runtime: Runtime, now: datetime) -> list:
    desk = runtime.settings.desk
    assert parsed.sender is not None
    people = []
    for address in parsed.cc + parsed.to:
        if is_support_address(address.email, desk.addresses):
            continue
        if address.normalized == parsed.sender.normalized or "@" not in address.email:
            continue
        people.append(service.find_or_create_customer(
            address.normalized, address.name, language=None, timezone=None, now=now))
    return people


def _ticket(ticket_id: int) -> Ticket:
    ticket = fastsql.get_by(Ticket, Ticket.id, ticket_id)
    if ticket is None:
        raise peewee.DoesNotExist(f"ticket {ticket_id} does not exist")
    return ticket


def _desk_address(row: Inbound, runtime: Runtime) -> str:
    """The support address the customer wrote to (so the answer comes from it)."""
    addresses = runtime.settings.desk.addresses
    for rcpt in row.rcpt_to:
        if is_support_address(rcpt, addresses):
            base = rcpt.split("+")[0].split("@")[0].lower()
            domain = rcpt.rpartition("@")[2].lower()
            return f"{base}@{domain}"
    return addresses[0]
