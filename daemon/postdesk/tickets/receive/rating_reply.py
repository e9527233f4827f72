"""Step `rating reply`: the requester answers the satisfaction survey with a digit or a face.

A reply to a resolved or closed ticket whose new text (quoted history and
signature cut, `postdesk.mail.shown_text`) is nothing but a rating of the
desk's scale, "4" or "🙂", is a rating, not a reopening: it is kept on the
ticket as the customer's message and recorded for the ticket's latest survey
(`tickets.satisfaction`, channel "email"); the ticket stays closed. Anyone
else (a participant, an agent's address, with or without proof) and any
other text go on down the chain, as does a rating the survey no longer
takes (cancelled, or past `[csat] change_days`): the step decides at once
what the mail becomes if it is not a rating.
"""

from __future__ import annotations

from dataclasses import dataclass

from postdesk.mail.shown_text import shown_text
from postdesk.store import csat_store
from postdesk.tickets.csat_scale import rating_in_reply, scale_of
from postdesk.tickets.receive.arrived import Arrived, Outcome
from postdesk.tickets.receive.follow_up import is_closed
from postdesk.tickets.receive.known import Known
from postdesk.tickets.receive.new_ticket import NEW_TICKET
from postdesk.tickets.receive.reopen import REOPEN
from postdesk.tickets.receive.repeat import REPEAT
from postdesk.tickets.receive.step import Decision, Receiving, Step
from postdesk.tickets.receive.storing import store_mail
from postdesk.tickets.satisfaction import record_rating, refusal

#: the steps after this one that a closed ticket's mail may meet, in the chain's order
_OTHERWISE = (REOPEN, REPEAT, NEW_TICKET)


@dataclass(frozen=True)
class RateByReply:
    """Record the reply's rating; when the survey takes none, do what `otherwise` says."""

    ticket_id: int
    text: str
    otherwise: Decision

    def act(self, mail: Arrived, receiving: Receiving) -> Outcome:
        survey = csat_store.latest(self.ticket_id)
        customer = receiving.known.customer
        rating = rating_in_reply(self.text, scale_of(survey.scale)) if survey else None
        if survey is None or customer is None or rating is None:
            return self.otherwise.act(mail, receiving)
        runtime = receiving.runtime
        if refusal(survey, customer, rating, runtime, receiving.now):
            return self.otherwise.act(mail, receiving)
        ticket = receiving.known.ticket
        store_mail(ticket, mail, customer.email, "public", receiving, follow_up=True)
        rated = record_rating(survey, customer, rating, "", channel="email", runtime=runtime,
                              now=receiving.now, desk_address=mail.desk_address,
                              work=receiving.work)
        return Outcome("done", ticket_id=ticket.id, outbox_ids=tuple(rated.outbox_ids),
                       reason=f"satisfaction rating {rating} by reply ({rated.outcome})")


def take(mail: Arrived, known: Known) -> RateByReply | None:
    match = known.thread
    if match is None or not is_closed(known.ticket, known):
        return None
    customer = known.customer
    if customer is None or customer.id != known.ticket.requester_id:
        return None
    if known.runtime.teams.agent(mail.parsed.sender.normalized if mail.parsed.sender
                                 else "") is not None:
        return None
    parsed = mail.parsed
    text = shown_text(parsed.text, parsed.html, parsed.subject, follow_up=True).text
    # any face, or a digit of any scale: the survey's own scale decides when acting
    if rating_in_reply(text, scale_of("1-5")) is None:
        return None
    otherwise = next(decision for step in _OTHERWISE
                     if (decision := step.take(mail, known)) is not None)
    return RateByReply(match.ticket_id, text, otherwise)


RATING_REPLY = Step("rating reply", take)
