"""What the desk says in a chat thread, in the reader's language: a chat outbox row -> text
and buttons.

A chat post stands in for a customer's mail (`tickets.chat_mirror`), so it is rendered
from the same context: the acknowledgment (ticket number, customer-facing status, the
articles the knowledge base suggested, and then the requester's "This solved it" / "I still
need help": `tickets.chat_wait`), an agent's answer, a status change (a closing
asks the satisfaction question, 1–5 buttons), a reopening, the thanks for a rating, and the
promise that an agent will answer ("I still need help" pressed);
and, for agents, a new ticket in a triage channel (with "Reply to customer"; edited to the
ticket's current status, assignee, priority and team as they change: `triage_update`)
what a press of that button does, and in its thread the customer's later messages and
the SLA warnings, each with "Reply to customer" too (a press on any of them arms the
presser's next message in that thread).
Texts are gettext msgids of the desk's catalogs; public status names only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from postdesk.chat.mapping import RATING_SCALE
from postdesk.chat.model import DIRECT_TO, ChatButton
from postdesk.config.localized_text import LocalizedText
from postdesk.notify.i18n import N_, locale_chain
from postdesk.notify.render import Renderer

#: a post's context key: the closing it carries asks how satisfied the requester is
#: (`tickets.chat_mirror` sets it when the desk asks about this resolution)
ASKS_RATING = "asks_rating"
#: posts of a status change: a closing unless their change says otherwise
STATUS_POSTS = ("status_changed", "resolved_without_reply", "duplicate_resolved")

#: the buttons agents use on a ticket's first post (non-agents pressing them change nothing)
AGENT_BUTTONS = (("resolve", N_("Resolve")), ("assign_me", N_("Assign to me")))
REOPEN_BUTTON = ("reopen", N_("Reopen"))
#: the requester's buttons on an acknowledgment that suggests articles
#: (`tickets.chat_wait`); pressed by anyone else they change nothing
REQUESTER_BUTTONS = (("kb_solved", N_("This solved it")),
                     ("kb_need_help", N_("I still need help")))
#: on a triage post: the presser's next message in its thread answers the customer
REPLY_TO_CUSTOMER_BUTTON = ("reply_to_customer", N_("Reply to customer"))


@dataclass(frozen=True)
class RenderedPost:
    text: str
    buttons: tuple[ChatButton, ...] = ()


def render_post(kind: str, context: Mapping[str, Any], language: str | None,
                renderer: Renderer) -> RenderedPost:
    """The post for a chat outbox row of `kind` (a customer mail's template name)."""
    say = _Speaker(renderer, language)
    if context.get(DIRECT_TO):
        return _direct_message(kind, context, say)
    return _thread_post(kind, context, say)


def file_note(name: str, link_days: int | None, language: str | None,
              renderer: Renderer) -> str:
    """What a post says about a file the platform cannot carry: beside its download link
    (valid `link_days`), or, without a link (no `[web]`), in place of the file."""
    say = _Speaker(renderer, language)
    if link_days is not None:
        return say(N_("download link, valid for %(days)s days"), days=link_days)
    return say(N_("Attachment: %(name)s, see the mail"), name=name)


def _direct_message(kind: str, context: Mapping[str, Any], say: _Speaker) -> RenderedPost:
    """A customer mail as a direct message to a customer known in chat: which request it
    is about, the mail's words, and the link to the ticket's page. Not in a thread of the
    desk, so nothing to press or answer there: no buttons, no satisfaction question."""
    ticket = context.get("ticket", {})
    lines = [say(N_("About your request #%(id)s: %(subject)s"), id=ticket.get("id", ""),
                 subject=ticket.get("subject", "")), "",
             _thread_post(kind, context, say, in_thread=False).text]
    if context.get("ticket_page"):
        lines += ["", say(N_("Your request online: %(url)s"), url=context["ticket_page"])]
    lines += ["", say(N_("To answer, reply to our mail."))]
    return RenderedPost("\n".join(lines))


def _thread_post(kind: str, context: Mapping[str, Any], say: _Speaker, *,
                 in_thread: bool = True) -> RenderedPost:
    ticket = context.get("ticket", {})
    number = ticket.get("id", "")
    if kind == "acknowledgment":
        lines = [say(N_("Thank you. Your request is ticket #%(id)s: %(subject)s"),
                     id=number, subject=ticket.get("subject", "")),
                 say(N_("Current status: %(status)s"),
                     status=say.title(ticket.get("public_status")))]
        suggestions = [s for s in context.get("suggestions", []) if isinstance(s, Mapping)]
        if suggestions:
            lines += ["", say(N_("These articles may already answer it:"))]
            lines += [f"• {s.get('title', '')}" for s in suggestions]
            if not in_thread:  # a direct message: no thread to answer in (answers: by mail)
                return RenderedPost("\n".join(lines))
            lines += ["", say(N_("If one of them solves it, answer \"solved\" in this "
                                 "thread."))]
            return RenderedPost("\n".join(lines),
                                say.buttons((*REQUESTER_BUTTONS, *AGENT_BUTTONS)))
        return RenderedPost("\n".join(lines), say.buttons(AGENT_BUTTONS))
    if kind == "agent_reply":
        agent = context.get("agent", {}).get("name") or say(N_("The support team"))
        text = context.get("message", {}).get("text", "")
        lines = [say(N_("%(name)s answered:"), name=agent), text]
        change = context.get("change")
        if isinstance(change, Mapping):
            lines += ["", _change_line(change, number, say)]
        if context.get("kb_answer") and in_thread:  # a rule's answer: the acknowledgment's
            return _article_answer(lines, say)      # place and buttons (`tickets.kb_answer`)
        post = RenderedPost("\n".join(lines).strip())
        return _with_question(post, change, context, say) if in_thread else post
    if kind in STATUS_POSTS:
        change = context.get("change") or {"kind": "closed",
                                           "new": ticket.get("public_status", "")}
        days = context.get("desk", {}).get("reopen_days")
        lines = [_change_line(change, number, say)]
        if change.get("kind") == "closed" and days and in_thread:
            lines.append(say(N_("Not solved? Reply in this thread within %(days)s days and "
                                "the ticket opens again."), days=days))
        post = RenderedPost("\n".join(lines))
        return _with_question(post, change, context, say) if in_thread else post
    if kind in ("triage_ticket", "triage_update"):  # for agents: internal names are fine
        customer = context.get("customer", {})
        lines = [say(N_("New ticket #%(id)s: %(subject)s"), id=number,
                     subject=ticket.get("subject", "")),
                 say(N_("From %(name)s <%(email)s>, team %(team)s, priority %(priority)s"),
                     name=customer.get("name", ""), email=customer.get("email", ""),
                     team=ticket.get("team") or "-", priority=ticket.get("priority", "")),
                 say(N_("Status %(status)s, assignee %(assignee)s"),
                     status=ticket.get("status") or "-", assignee=ticket.get("assignee") or "-"),
                 "", context.get("message", {}).get("text", ""), "",
                 say(N_("Replies in this thread are internal notes; start a reply with "
                        "#public to answer the customer."))]
        return RenderedPost("\n".join(lines),
                            say.buttons((REPLY_TO_CUSTOMER_BUTTON, *AGENT_BUTTONS)))
    if kind == "reply_to_customer":  # for agents, in a triage thread
        return RenderedPost(say(N_("%(name)s: your next message in this thread (within "
                                   "%(minutes)s minutes) goes to the customer of ticket "
                                   "#%(id)s."), name=context.get("agent", {}).get("name", ""),
                                minutes=context.get("minutes", ""), id=number))
    if kind == "customer_message":  # for agents, in a triage thread
        customer = context.get("customer", {})
        lines = [say(N_("%(name)s <%(email)s> wrote on ticket #%(id)s:"),
                     name=customer.get("name", ""), email=customer.get("email", ""),
                     id=number), context.get("message", {}).get("text", "")]
        return RenderedPost("\n".join(lines), say.buttons((REPLY_TO_CUSTOMER_BUTTON,)))
    if kind == "sla_warning":  # for agents, in a triage thread
        sla = context.get("sla", {})
        due = str(sla.get("due_at", ""))[:16].replace("T", " ")
        reply = say.buttons((REPLY_TO_CUSTOMER_BUTTON,))
        if sla.get("label") == "breach":
            return RenderedPost(say(N_("Ticket #%(id)s: SLA %(clock)s breached (due %(due)s "
                                       "UTC)."), id=number, clock=sla.get("clock", ""),
                                    due=due), reply)
        return RenderedPost(say(N_("Ticket #%(id)s: SLA %(clock)s at %(label)s, due %(due)s "
                                   "UTC."), id=number, clock=sla.get("clock", ""),
                                label=sla.get("label", ""), due=due), reply)
    if kind == "agent_coming":  # the requester pressed "I still need help"
        return RenderedPost(say(N_("An agent will answer you here soon.")))
    if kind == "satisfaction_thanks":
        return RenderedPost(say(N_("Thank you for your rating (%(rating)s of %(scale)s)."),
                                rating=context.get("rating", ""),
                                scale=context.get("scale", RATING_SCALE)))
    return RenderedPost(say(N_("Ticket #%(id)s was updated."), id=number))


def _change_line(change: Mapping[str, Any], number: Any, say: _Speaker) -> str:
    status = say.title(change.get("new"))
    if change.get("kind") == "closed":
        return say(N_("Ticket #%(id)s is done: %(status)s."), id=number, status=status)
    if change.get("kind") == "reopened":
        return say(N_("Ticket #%(id)s is open again: %(status)s."), id=number, status=status)
    return say(N_("The status of ticket #%(id)s is now: %(status)s."), id=number,
               status=status)


def is_closing(kind: str, context: Mapping[str, Any]) -> bool:
    """Whether the post of `kind` tells the requester the ticket is done (a closing is
    the post that may ask how satisfied they are)."""
    change = context.get("change")
    if kind in STATUS_POSTS and not change:
        return True
    return isinstance(change, Mapping) and change.get("kind") == "closed"


def _article_answer(lines: list[str], say: _Speaker) -> RenderedPost:
    """A rule's answer with an article, posted instead of the acknowledgment: the
    requester's "This solved it" / "I still need help" (the agents wait for them,
    `tickets.chat_wait`) and the agents' buttons."""
    lines += ["", say(N_("If this solves it, answer \"solved\" in this thread."))]
    return RenderedPost("\n".join(lines).strip(),
                        say.buttons((*REQUESTER_BUTTONS, *AGENT_BUTTONS)))


def _with_question(post: RenderedPost, change: Any, context: Mapping[str, Any],
                   say: _Speaker) -> RenderedPost:
    """A closing asks how satisfied the requester is (1–5), when the desk asks about this
    resolution (`ASKS_RATING`); the buttons carry the rating
    and a way to open the ticket again."""
    if not isinstance(change, Mapping) or change.get("kind") != "closed":
        return post
    if not context.get(ASKS_RATING):
        return RenderedPost(post.text, (*post.buttons, *say.buttons((REOPEN_BUTTON,))))
    question = say(N_("How satisfied are you with the help you got? 1 = not at all, "
                      "5 = very satisfied."))
    ratings = tuple(ChatButton("csat", str(value), str(value))
                    for value in range(1, RATING_SCALE + 1))
    reopen = say.buttons((REOPEN_BUTTON,))
    return RenderedPost(f"{post.text}\n\n{question}", (*post.buttons, *ratings, *reopen))


class _Speaker:
    """Translates msgids and stored names into one reader's language."""

    def __init__(self, renderer: Renderer, language: str | None) -> None:
        self.renderer = renderer
        self.language = language
        self.chain = locale_chain(language, renderer.default_language)

    def __call__(self, message: str, **values: Any) -> str:
        return self.renderer.translate(message, self.language, **values)

    def title(self, value: Any) -> str:
        """A status name as stored in a context: texts by language, or a msgid."""
        if isinstance(value, Mapping):
            return LocalizedText(tuple((str(k), str(v)) for k, v in value.items())) \
                .in_language(self.chain)
        return self.renderer.translate(str(value or ""), self.language) if value else ""

    def buttons(self, actions: tuple[tuple[str, str], ...]) -> tuple[ChatButton, ...]:
        return tuple(ChatButton(action, self(label)) for action, label in actions)
