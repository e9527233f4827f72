"""The receive chain on plain data: which mails each step takes, what it decides, and the
order in which the steps look at a mail. No database: what the store would know is
handed to the steps as plain answers."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest

from mailbuild import customer_mail
from postdesk.config.runtime import Runtime
from postdesk.mail.address import ReplyToken
from postdesk.mail.bounce_report import BouncedRecipient
from postdesk.mail.classify import Classification, classify
from postdesk.mail.parse import parse_loaded
from postdesk.store.models import Customer, Ticket
from postdesk.store.ticket_lookups import EarlierCopy
from postdesk.tickets.agents import AgentIdentity, AuthDecision
from postdesk.tickets.correlate import ThreadMatch
from postdesk.tickets.receive import chain
from postdesk.tickets.receive.agent_reply import AGENT_REPLY, AnswerAsAgent
from postdesk.tickets.receive.arrived import Arrived, Outcome
from postdesk.tickets.receive.auto_reply import AUTO_REPLY, KeepAutoReply
from postdesk.tickets.receive.bounce import BOUNCE, NoteBounce
from postdesk.tickets.receive.desk_request import DESK_REQUEST, AnswerDeskRequest
from postdesk.tickets.receive.duplicate import DUPLICATE
from postdesk.tickets.receive.follow_up import FOLLOW_UP, JoinTicket
from postdesk.tickets.receive.loop import LOOP
from postdesk.tickets.receive.new_ticket import NEW_TICKET, OpenTicket
from postdesk.tickets.receive.no_sender import NO_SENDER
from postdesk.tickets.receive.reopen import REOPEN
from postdesk.tickets.receive.step import Settled
from postdesk.tickets.teams import Agent

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
AGENT = AgentIdentity(Agent("agent.en@example.com", "Support EN"), "reply_address")


@dataclass(frozen=True)
class Answers:
    """What the store knows about the mail, as plain values (the `Known` of a test)."""

    runtime: Runtime
    now: datetime = NOW
    earlier_copy: EarlierCopy | None = None
    repeat_of: int | None = None
    bounced_ticket: int | None = None
    verp_bounce: Any = None
    thread: ThreadMatch | None = None
    ticket: Any = None
    agent: AuthDecision | None = None
    customer: Customer | None = None


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Runtime:
    from postdesk.config.desk_init import init_desk
    from postdesk.config.load import load_settings

    desk = tmp_path_factory.mktemp("chain") / "desk"
    init_desk(desk)
    return Runtime(load_settings(desk / "postdesk.toml", environ={}))


def arrived(runtime: Runtime, msg: EmailMessage | None = None, *,
            verdict: Classification | None = None, envelope_from: str | None = None,
            **changes: Any) -> Arrived:
    msg = msg if msg is not None else customer_mail()
    parsed = parse_loaded(msg)
    mail = Arrived(inbound_id=5, rcpt_to=("support@example.com",), sha256="ab" * 32,
                   parsed=parsed,
                   verdict=verdict or classify(msg, envelope_from=envelope_from,
                                               desk=runtime.identity),
                   desk_address="support@example.com")
    return replace(mail, **changes)


def ticket(status: str, *, days_since_change: int = 1) -> Ticket:
    return Ticket(id=7, status=status, requester=3, subject="Printer on fire",
                  created_at=NOW - timedelta(days=30),
                  updated_at=NOW - timedelta(days=days_since_change))


def to_ticket(runtime: Runtime, status: str = "in_progress", *, how: str = "message-id",
              days_since_change: int = 1, **answers: Any) -> Answers:
    return Answers(runtime, thread=ThreadMatch(7, how),
                   ticket=ticket(status, days_since_change=days_since_change), **answers)


# --- loop ---------------------------------------------------------------------------------

def test_loop_takes_mail_with_our_loop_header_and_ignores_it(runtime: Runtime) -> None:
    identity = runtime.identity
    looped = arrived(runtime, customer_mail(
        headers={identity.loop_header: identity.loop_value}))

    decision = LOOP.take(looped, Answers(runtime))

    assert decision == Settled(Outcome("ignored",
                                       reason=f"our own loop header {identity.loop_header}"))
    assert LOOP.take(arrived(runtime), Answers(runtime)) is None


# --- duplicate delivery -------------------------------------------------------------------

def test_duplicate_takes_a_mail_stored_before_and_names_the_first(runtime: Runtime) -> None:
    mail = arrived(runtime)

    by_id = DUPLICATE.take(mail, Answers(runtime, earlier_copy=EarlierCopy(7)))
    by_bytes = DUPLICATE.take(mail, Answers(runtime, earlier_copy=EarlierCopy(7, 3)))

    assert by_id == Settled(Outcome(
        "duplicate", ticket_id=7,
        reason="already stored: Message-ID <first@customer.example> from zoe@customer.example"))
    assert by_bytes == Settled(Outcome("duplicate", ticket_id=7,
                                       reason="already stored: identical to inbound 3"))
    assert DUPLICATE.take(mail, Answers(runtime)) is None


# --- bounce -------------------------------------------------------------------------------

def bounce_of(runtime: Runtime) -> Arrived:
    verdict = Classification("bounce", "delivery status notification", False,
                             bounce=(BouncedRecipient("zoe@customer.example", "5.1.1", True,
                                                      "no such user"),),
                             original_message_id="ours@example.com")
    return arrived(runtime, customer_mail(sender="MAILER-DAEMON@mx.example"), verdict=verdict)


def test_bounce_takes_delivery_failures_with_the_ticket_of_the_mail_that_bounced(
        runtime: Runtime) -> None:
    bounce = bounce_of(runtime)

    assert BOUNCE.take(bounce, Answers(runtime, bounced_ticket=7)) == NoteBounce(7)
    assert BOUNCE.take(bounce, Answers(runtime)) == NoteBounce(None)
    assert BOUNCE.take(arrived(runtime), Answers(runtime, bounced_ticket=7)) is None


# --- no sender ----------------------------------------------------------------------------

def test_no_sender_fails_a_mail_without_a_usable_from(runtime: Runtime) -> None:
    nameless = customer_mail()
    del nameless["From"]
    anonymous = arrived(runtime, nameless)

    decision = NO_SENDER.take(anonymous, Answers(runtime))

    assert anonymous.sender is None
    assert decision == Settled(Outcome(
        "failed", reason="no usable From address: cannot tell who wrote this mail"))
    assert NO_SENDER.take(arrived(runtime), Answers(runtime)) is None


def test_a_mail_the_classifier_failed_on_is_set_aside_not_ticketed(runtime: Runtime) -> None:
    verdict = Classification("suspicious", "the classifier failed on this mail (ValueError)",
                             False)
    robot = arrived(runtime, verdict=verdict)

    step, decision = chain.decide(robot, Answers(runtime))

    assert step.name == "suspicious"
    assert decision == Settled(Outcome(
        "failed", reason="set aside unanswered: the classifier failed on this mail (ValueError)"))


# --- auto-reply ---------------------------------------------------------------------------

def test_auto_reply_is_kept_on_its_ticket_or_ignored(runtime: Runtime) -> None:
    away = arrived(runtime, customer_mail(subject="Out of office",
                                          headers={"Auto-Submitted": "auto-replied"}))
    assert away.verdict.kind == "auto_reply"

    assert AUTO_REPLY.take(away, to_ticket(runtime)) == KeepAutoReply(7)
    ignored = AUTO_REPLY.take(away, Answers(runtime))
    assert isinstance(ignored, Settled) and ignored.outcome.state == "ignored"
    assert ignored.outcome.reason.endswith("; matches no ticket")
    assert AUTO_REPLY.take(arrived(runtime), to_ticket(runtime)) is None


# --- desk request -------------------------------------------------------------------------

def test_desk_request_takes_an_agents_queue_lines_to_the_plain_address(
        runtime: Runtime) -> None:
    asking = arrived(runtime, customer_mail(sender="agent.en@example.com",
                                            body="#queue unassigned\n#queues\n"))
    agent = AuthDecision(AGENT, "DKIM")

    decision = DESK_REQUEST.take(asking, Answers(runtime, agent=agent))

    assert isinstance(decision, AnswerDeskRequest) and decision.identity == AGENT
    assert [(c.name, c.value) for c in decision.reply.commands] == [
        ("queue", "unassigned"), ("queue", "")]
    # not from an authenticated agent, to a ticket, or with other commands: not taken
    refused = AuthDecision(None, "no DKIM pass")
    assert DESK_REQUEST.take(asking, Answers(runtime, agent=refused)) is None
    assert DESK_REQUEST.take(asking, to_ticket(runtime, agent=agent)) is None
    steering = arrived(runtime, customer_mail(sender="agent.en@example.com",
                                              body="#queues\n#status resolved\n"))
    assert DESK_REQUEST.take(steering, Answers(runtime, agent=agent)) is None
    plain = arrived(runtime, customer_mail(sender="agent.en@example.com", body="Hello\n"))
    assert DESK_REQUEST.take(plain, Answers(runtime, agent=agent)) is None


# --- agent reply --------------------------------------------------------------------------

def test_agent_reply_takes_an_authenticated_agents_mail_to_a_ticket(runtime: Runtime) -> None:
    reply = arrived(runtime, customer_mail(sender="agent.en@example.com",
                                           body="#status resolved\nFixed.\n"))

    decision = AGENT_REPLY.take(reply, to_ticket(runtime, agent=AuthDecision(AGENT, "token")))

    assert decision == AnswerAsAgent(7, AGENT)
    forged = to_ticket(runtime, agent=AuthDecision(None, "From without a signature"))
    assert AGENT_REPLY.take(reply, forged) is None
    assert AGENT_REPLY.take(reply, Answers(runtime, agent=AuthDecision(AGENT, "dkim"))) is None


# --- follow-up and reopen -----------------------------------------------------------------

def test_follow_up_takes_a_reply_to_an_open_ticket(runtime: Runtime) -> None:
    reply = arrived(runtime, customer_mail(subject="Re: [#7] Printer on fire"))

    assert FOLLOW_UP.take(reply, to_ticket(runtime, how="subject-tag")) == JoinTicket(
        7, "subject-tag")
    assert FOLLOW_UP.take(reply, to_ticket(runtime, "resolved")) is None
    assert FOLLOW_UP.take(reply, Answers(runtime)) is None


def test_reopen_takes_a_reply_to_a_ticket_closed_within_the_window(runtime: Runtime) -> None:
    reply = arrived(runtime, customer_mail(subject="Re: [#7] Printer on fire"))
    window = runtime.settings.tickets.reopen_days

    recent = to_ticket(runtime, "resolved", days_since_change=window - 1)
    assert REOPEN.take(reply, recent) == JoinTicket(7, "message-id", reopen=True)
    assert REOPEN.take(reply, to_ticket(runtime, "closed", days_since_change=window + 1)) is None
    assert REOPEN.take(reply, to_ticket(runtime, "in_progress")) is None


# --- new ticket ---------------------------------------------------------------------------

def test_new_ticket_takes_every_mail_and_links_a_late_answer_to_its_closed_ticket(
        runtime: Runtime) -> None:
    mail = arrived(runtime)

    assert NEW_TICKET.take(mail, Answers(runtime)) == OpenTicket()
    assert NEW_TICKET.take(mail, to_ticket(runtime, "closed", days_since_change=400)
                           ) == OpenTicket(follow_up_of=7)


# --- the chain ----------------------------------------------------------------------------

def test_the_chain_lists_the_steps_in_the_order_a_mail_meets_them() -> None:
    assert [step.name for step in chain.STEPS] == [
        "loop", "duplicate delivery", "suspicious", "bounce", "no sender", "auto-reply",
        "desk request", "agent reply", "agent help", "rating reply", "follow-up", "reopen",
        "repeat", "new ticket"]


@pytest.mark.parametrize(("case", "step"), [
    ("looped and delivered twice", "loop"),
    ("delivered twice", "duplicate delivery"),
    ("bounce", "bounce"),
    ("agent to an open ticket", "agent reply"),
    ("forged agent to an open ticket", "follow-up"),
    ("customer to a ticket closed long ago", "new ticket"),
    ("customer to a ticket closed yesterday", "reopen"),
    ("stranger", "new ticket"),
])
def test_the_first_step_that_takes_a_mail_decides(runtime: Runtime, case: str,
                                                   step: str) -> None:
    identity = runtime.identity
    mail, known = arrived(runtime), Answers(runtime)
    if case == "looped and delivered twice":
        mail = arrived(runtime, customer_mail(headers={identity.loop_header:
                                                       identity.loop_value}))
        known = Answers(runtime, earlier_copy=EarlierCopy(7))
    elif case == "delivered twice":
        known = Answers(runtime, earlier_copy=EarlierCopy(7))
    elif case == "bounce":
        mail = bounce_of(runtime)
    elif case == "agent to an open ticket":
        known = to_ticket(runtime, agent=AuthDecision(AGENT, "token"))
    elif case == "forged agent to an open ticket":
        known = to_ticket(runtime, agent=AuthDecision(None, "no proof"))
    elif case == "customer to a ticket closed long ago":
        known = to_ticket(runtime, "closed", days_since_change=400)
    elif case == "customer to a ticket closed yesterday":
        known = to_ticket(runtime, "closed", days_since_change=1)

    taken_by, _ = chain.decide(mail, known)

    assert taken_by.name == step


def test_a_reply_token_of_ours_is_part_of_the_mail_as_the_chain_gets_it(
        runtime: Runtime) -> None:
    mail = arrived(runtime, token=ReplyToken(7, "c"), dkim_domains=frozenset({"example.com"}))

    with pytest.raises(AttributeError):
        mail.token = None  # type: ignore[misc]  # filled once, before the transaction
    assert mail.token == ReplyToken(7, "c") and mail.sender == "zoe@customer.example"
