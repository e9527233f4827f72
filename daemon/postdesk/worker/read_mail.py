"""Stored mails read for the receive chain, before their write transaction.

Parsing, classifying, a new sender's language, our reply token in the
recipients and an agent's DKIM check need no database writes (the DKIM check
asks DNS). They are done for a whole batch of mails first, so that the write
transaction holds the desk's one SQLite write lock only while rows are
written. The result for each mail is one frozen `Arrived`, or the error that
stopped its reading (the queue tries it again; `MailTooCostly` when parsing
and classifying it spent its budget, `[limits] max_mail_cpu_seconds`: it is
not tried again). What is left of each mail's budget is for its write step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from email.message import EmailMessage

from postdesk import logs
from postdesk.config.runtime import Runtime
from postdesk.mail.address import (
    ReplyToken,
    alias_map,
    is_support_address,
    public_recipient,
    read_reply_address,
)
from postdesk.mail.chosen_request_type import chosen_request_type
from postdesk.mail.classify import Classification, classify
from postdesk.mail.dkim_check import dkim_pass_domains
from postdesk.mail.parse import ParsedMail, load_message, parse_loaded
from postdesk.mail.sender_fallback import NO_SENDER_ADDRESS, is_unknown_sender, with_sender
from postdesk.mail.verp import BounceToken, read_bounce_address
from postdesk.store import ticket_lookups
from postdesk.store.models import Inbound
from postdesk.tickets.receive import customers
from postdesk.tickets.receive.arrived import Arrived
from postdesk.worker.budget import MailBudget, MailTooCostly, too_costly

#: the inbound source of the ticket page's requests, the only one that may choose a type
WEB_SOURCE = "web"
#: The kinds of mail that open a ticket for a sender we do not know (an auto-reply from
#: a stranger is ignored unless it answers a ticket: its language, if ever needed, is
#: guessed in the transaction).
_MAY_OPEN = frozenset({"normal", "bulk"})
#: The kinds of mail whose reply token the chain looks at (loops and bounces end before).
_THREADED = frozenset({"normal", "bulk", "auto_reply"})


@dataclass(frozen=True)
class _Parsed:
    row: Inbound
    msg: EmailMessage
    parsed: ParsedMail
    verdict: Classification

    @property
    def sender(self) -> str | None:
        return self.parsed.sender.normalized if self.parsed.sender is not None else None


def read_mails(rows: Sequence[Inbound], runtime: Runtime, budgets: Mapping[int, MailBudget],
               before_each: Callable[[], None] = lambda: None
               ) -> dict[int, Arrived | Exception]:
    """Each row's mail as the chain gets it, or the error that stopped its reading;
    parsing spends from the mail's budget in `budgets`; `before_each` is called before
    each mail is parsed (a long batch keeps its claims)."""
    results: dict[int, Arrived | Exception] = {}
    parsed: list[_Parsed] = []
    for row in rows:
        with logs.log_context(inbound=row.id, ticket=None):
            before_each()
            budget = budgets[row.id]
            try:
                with budget.spending():
                    parsed.append(_parse(row, runtime))
            except MailTooCostly:
                results[row.id] = too_costly(row.id, budget.seconds, "reading")
            except Exception as exc:
                results[row.id] = exc
    known = ticket_lookups.known_customers(
        mail.sender for mail in parsed
        if mail.sender is not None and mail.verdict.kind in _MAY_OPEN)
    for mail in parsed:
        with logs.log_context(inbound=mail.row.id, ticket=None):
            try:
                results[mail.row.id] = _arrived(mail, runtime, known)
            except Exception as exc:
                results[mail.row.id] = exc
    return results


def _parse(row: Inbound, runtime: Runtime) -> _Parsed:
    limits = runtime.settings.limits
    msg = load_message(row.raw, max_address_header=limits.max_address_header,
                       max_depth=limits.max_mime_depth)
    parsed = with_sender(parse_loaded(msg, max_depth=limits.max_mime_depth,
                                      max_html_depth=limits.max_html_depth), row.mail_from)
    verdict = classify(msg, envelope_from=row.mail_from, desk=runtime.identity)
    if is_unknown_sender(parsed) and verdict.kind in _MAY_OPEN:
        verdict = replace(verdict, may_auto_reply=False, reason=NO_SENDER_ADDRESS)
    return _Parsed(row, msg, parsed, verdict)


def _arrived(mail: _Parsed, runtime: Runtime, known_senders: set[str]) -> Arrived:
    """The mail with what can be worked out about its sender before the transaction: a new
    sender's language, our reply token, and for an agent without one, DKIM."""
    row, sender, kind = mail.row, mail.sender, mail.verdict.kind
    token = (_reply_token(row, mail.parsed, runtime)
             if sender is not None and kind in _THREADED else None)
    language: str | None = None
    dkim: frozenset[str] = frozenset()
    if sender is not None and kind in _MAY_OPEN:
        if sender not in known_senders:
            language = customers.new_customer_language(mail.parsed, runtime)
        if (kind == "normal" and token is None and runtime.settings.agents.verify_dkim
                and runtime.teams.agent(sender) is not None):
            dkim = dkim_pass_domains(row.raw, dnsfunc=runtime.dkim_dns)
    recipients = public_recipients(row, runtime)
    return Arrived(row.id, recipients, row.sha256, mail.parsed,
                   mail.verdict, _desk_address(row, runtime),
                   _header_values(mail.msg, "Authentication-Results"), token, language, dkim,
                   _return_path(recipients, runtime),
                   chosen_request_type(runtime.settings.desk.secret, mail.msg)
                   if row.source == WEB_SOURCE else None, from_page=row.source == WEB_SOURCE)


def _return_path(recipients: tuple[str, ...], runtime: Runtime) -> BounceToken | None:
    """The return path of ours (VERP) the mail was delivered to, if any (checked later,
    against its outbox row, by `Known.verp_bounce`)."""
    addresses = runtime.settings.desk.addresses
    return next((token for token in (read_bounce_address(rcpt, addresses)
                                     for rcpt in recipients) if token is not None), None)


def _reply_token(row: Inbound, parsed: ParsedMail, runtime: Runtime) -> ReplyToken | None:
    """The signed reply address of ours the mail was sent to, for an existing ticket or
    an agent's desk address (ticket 0, `postdesk.ticket_queues.digest.desk_address_of`)."""
    desk = runtime.settings.desk
    for address in [*public_recipients(row, runtime), *(a.email for a in parsed.to + parsed.cc)]:
        token = read_reply_address(address, desk.secret, desk.addresses)
        if token is not None and (token.ticket_id == 0
                                  or ticket_lookups.ticket_exists(token.ticket_id)):
            return token
    return None


def public_recipients(row: Inbound, runtime: Runtime) -> tuple[str, ...]:
    """The envelope's recipients with internal routing names (`[desk] aliases`) read as
    the public addresses they stand for, so the answer comes from the public address.
    The stored envelope keeps what the MTA said."""
    aliases = runtime.settings.desk.aliases
    if not aliases:
        return tuple(row.rcpt_to)
    mapping = alias_map(aliases)
    return tuple(public_recipient(rcpt, mapping) for rcpt in row.rcpt_to)


def _desk_address(row: Inbound, runtime: Runtime) -> str:
    """The support address the customer wrote to (so the answer comes from it)."""
    addresses = runtime.settings.desk.addresses
    for rcpt in public_recipients(row, runtime):
        if is_support_address(rcpt, addresses):
            base = rcpt.split("+")[0].split("@")[0].lower()
            domain = rcpt.rpartition("@")[2].lower()
            return f"{base}@{domain}"
    return addresses[0]


def _header_values(msg: EmailMessage, name: str) -> tuple[str, ...]:
    try:
        return tuple(str(value) for value in msg.get_all(name, ()))
    except Exception:  # a broken header is no evidence of anything
        return ()
