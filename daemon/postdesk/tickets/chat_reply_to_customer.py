""""Reply to customer" in a triage thread, on the ticket (see `chat.reply_to_customer`).

`arm_reply` records the press as the ticket event `chat.reply_to_customer` and tells the
thread whose next message goes to the customer and for how long; `chat_reply_method`
tells the receive chain, for an agent's message in chat, whether it is a public answer
(`chat`), one made public by a press (`chat_reply_to_customer`) or a note
(`chat_triage`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from postdesk.chat.mapping import ChatOrigin, ReplyToCustomer
from postdesk.chat.reply_to_customer import ARMED_EVENT, ReplyArm, live_arm
from postdesk.config.runtime import Runtime
from postdesk.store import chat_lookups, chat_store
from postdesk.tickets import service
from postdesk.tickets.unit_of_work import UnitOfWork

#: the agent's message is an answer: in a help thread, or in triage after a press
PUBLIC_METHOD = "chat"
ARMED_METHOD = "chat_reply_to_customer"
#: the agent's message in a triage thread without a live press: an internal note
NOTE_METHOD = "chat_triage"


def arm_reply(decision: ReplyToCustomer, *, agent_email: str, agent_name: str,
              inbound_id: int, runtime: Runtime, now: datetime, work: UnitOfWork) -> str:
    """Record the press and say in the thread what it does; the outcome's reason."""
    origin = decision.origin
    until = now + timedelta(minutes=decision.minutes)
    arm = ReplyArm(platform=origin.platform, channel=origin.channel,
                   thread_root=origin.thread_root, user_id=origin.user_id,
                   inbound_id=inbound_id, until=until)
    service.record_event(decision.ticket_id, ARMED_EVENT, arm.as_data(), actor=agent_email,
                         now=now, work=work)
    thread = chat_store.thread_at(origin.platform, origin.workspace, origin.channel,
                                  origin.thread_root)
    if thread is not None:
        chat_store.queue_post(thread, kind="reply_to_customer",
                              context={"ticket": {"id": decision.ticket_id},
                                       "agent": {"name": agent_name or agent_email},
                                       "minutes": decision.minutes},
                              language=runtime.settings.desk.default_language,
                              attachments=[], now=now)
    return (f"{agent_email}'s next message in this thread until {until:%H:%M} UTC answers "
            f"the customer")


def chat_reply_method(origin: ChatOrigin, *, ticket_id: int | None, agent_email: str,
                      inbound_id: int, now: datetime) -> str:
    """How an agent's chat message counts (see the module docstring)."""
    if origin.mode != "triage":
        return PUBLIC_METHOD
    if ticket_id is None:
        return NOTE_METHOD
    arms = [arm for data in chat_lookups.events_of(ticket_id, ARMED_EVENT, agent_email)
            if (arm := ReplyArm.from_data(data)) is not None]
    arm = live_arm(arms, platform=origin.platform, channel=origin.channel,
                   thread_root=origin.thread_root, user_id=origin.user_id,
                   inbound_id=inbound_id, now=now)
    if arm is None or chat_lookups.wrote_between(ticket_id, agent_email, arm.inbound_id,
                                                 inbound_id):
        return NOTE_METHOD
    return ARMED_METHOD
