"""`#reply NAME` in an agent's mail: the canned reply's text and commands join the reply.

`#kb ID` likewise inserts a knowledge-base article's text in the customer's language
(`expand_articles`); an internal article is refused, as it would reach the customer.

`agent_mail` parses the agent's commands, then hands the result here: each
`#reply NAME` becomes the reply's text in the customer's language (placeholders
filled) followed by whatever the agent wrote, and the reply's own commands
(`status waiting_for_customer`, `tag printer`) join the agent's, parsed by the
same parser; the agent's own command for the same thing wins. A reply that
does not exist, or whose file is broken, is a problem on the `#reply` line:
nothing applies and the agent is told, as for any wrong command.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from postdesk.config.runtime import Runtime
from postdesk.errors import RuleError
from postdesk.knowledge.articles import plain_text
from postdesk.notify.i18n import locale_chain
from postdesk.store.models import Customer, Ticket
from postdesk.tickets.canned import CannedReply, fill, load_reply, reply_files, reply_folders
from postdesk.tickets.command_values import Command
from postdesk.tickets.commands import ParsedReply, Problem, slot_of
from postdesk.tickets.teams import Agent

Parse = Callable[[str], ParsedReply]


def expand_replies(parsed: ParsedReply, ticket: Ticket, agent: Agent, runtime: Runtime,
                   parse: Parse) -> ParsedReply:
    """`parsed` with each `#reply NAME` replaced by the reply's text and commands, and each
    `#kb ID` by the article's text."""
    parsed = expand_articles(parsed, ticket, runtime)
    asked = [c for c in parsed.commands if c.name == "reply"]
    if not asked:
        return parsed
    settings = runtime.settings
    requester: Customer = ticket.requester
    files = reply_files(reply_folders(settings))
    languages = locale_chain(requester.language, settings.desk.default_language)
    values = {"customer_name": requester.name or requester.email,
              "customer_email": requester.email, "ticket_id": str(ticket.id),
              "ticket_subject": ticket.subject, "agent_name": agent.name or agent.email,
              "desk_name": settings.desk.name}
    commands = [c for c in parsed.commands if c.name != "reply"]
    problems: list[Problem] = list(parsed.problems)
    texts: list[str] = []
    for command in asked:
        try:
            found = load_reply(files, command.value, languages)
        except RuleError as exc:
            problems.append(Problem(command.line, command.text, "broken_reply",
                                    {"value": command.value, "error": str(exc)}))
            continue
        if found is None:
            names = sorted({name for name, _ in files})
            problems.append(Problem(command.line, command.text, "unknown_reply",
                                    {"value": command.value, "known": ", ".join(names) or "-"}))
            continue
        texts.append(fill(found, values))
        commands.extend(_its_commands(found, command.line, command.text, commands, problems,
                                      parse))
    text = "\n\n".join([*texts, parsed.text] if parsed.text else texts)
    return replace(parsed, commands=tuple(commands), text=text,
                   problems=tuple(sorted(problems, key=lambda p: p.line)))


def expand_articles(parsed: ParsedReply, ticket: Ticket, runtime: Runtime) -> ParsedReply:
    """`parsed` with each `#kb ID` replaced by the article's text in the customer's language
    (its title, then the text), before what the agent wrote. An internal article is refused:
    the reply goes to the customer."""
    asked = [c for c in parsed.commands if c.name == "kb"]
    if not asked:
        return parsed
    requester: Customer = ticket.requester
    languages = locale_chain(requester.language, runtime.settings.desk.default_language)
    kb = runtime.knowledge
    problems: list[Problem] = list(parsed.problems)
    texts: list[str] = []
    for command in asked:
        article = kb.article(command.value, languages)
        if article is None:
            problems.append(Problem(command.line, command.text, "unknown_article",
                                    {"value": command.value}))
        elif not article.public:
            problems.append(Problem(command.line, command.text, "internal_article",
                                    {"value": command.value}))
        else:
            texts.append(f"{article.title}\n\n{plain_text(article.body)}")
    text = "\n\n".join([*texts, parsed.text] if parsed.text else texts)
    return replace(parsed, commands=tuple(c for c in parsed.commands if c.name != "kb"),
                   text=text, problems=tuple(sorted(problems, key=lambda p: p.line)))


def _its_commands(found: CannedReply, line: int, source: str, taken: list[Command],
                  problems: list[Problem], parse: Parse) -> list[Command]:
    """The reply's commands, on the `#reply` line, minus those the agent set themselves."""
    own = parse("\n".join(f"#{c}" for c in found.commands))
    if own.problems:
        first = own.problems[0]
        problems.append(Problem(line, source, "broken_reply",
                                {"value": found.name, "error": f"{found.display}: {first.text}"}))
        return []
    slots = {slot_of(c) for c in taken}
    return [replace(c, line=line, text=source) for c in own.commands
            if slot_of(c) is None or slot_of(c) not in slots]
