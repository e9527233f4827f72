"""The knowledge base where the customer is (issue 21), over real SMTP: the acknowledgment
suggests the right article in the customer's language, "solved" resolves the ticket as
self-served with its clocks met, and an internal article never reaches a customer."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from mailbuild import customer_mail, mails_to, processed, send_mail, text_of, wait_for
from postdesk.config.settings import Settings
from postdesk.knowledge.solved_link import read_solved_token
from postdesk.store import kb_index
from postdesk.store.models import Event, Outbox, Ticket
from postdesk.store.sla_store import TicketSla
from postdesk.tickets import kb_offered

CUSTOMER = "zoe@customer.example"
INTERNAL = """---
id: vpn-reset-internal
title: Reset a VPN token in the console (agents)
language: en
aliases: [vpn token reset, reset vpn]
visibility: internal
---
Open the token console, find the user and choose Reset. Secret admin steps.
"""


def acknowledgment(daemon) -> str:
    [ack] = wait_for(lambda: mails_to(daemon, CUSTOMER))
    return text_of(ack)


def kinds(kind: str) -> list[Event]:
    return list(Event.select().where(Event.kind == kind).order_by(Event.id))


def suggested() -> list[Mapping[str, Any]]:
    """Every suggestion the `kb.suggested` events record, in the order offered."""
    return [one for event in kinds("kb.suggested") for one in kb_offered.offered(event.data)]


def test_password_mail_gets_the_article_and_solved_resolves_it_self_served(
        database_url: str, make_settings: Callable[..., Settings], start_daemon) -> None:
    daemon = start_daemon(make_settings(database_url))
    send_mail(daemon, customer_mail(subject="Forgot my password",
                                    body="Hello,\nI forgot my password and cannot log in.\n"))
    wait_for(processed(1))
    text = acknowledgment(daemon)
    assert "These articles may already answer your question:" in text
    assert "1. Reset your password" in text
    assert "https://password.example.com" in text  # the best article's own text
    assert 'Reply with "solved"' in text
    # the one-click way: the page the acknowledgment links to, and its button (issue 21)
    assert 'or press "This is solved" on your request\'s page (the link below)' in text
    offers = suggested()
    assert len(kinds("kb.suggested")) == 1  # one event carries every suggestion, in order
    assert [one["rank"] for one in offers] == list(range(1, len(offers) + 1))
    assert offers[0]["article"] == "password-reset"
    assert offers[0]["language"] == "en"
    assert all(one["article"] != "unlock-account-internal" for one in offers)
    # the agents see what the customer was offered
    [ack] = mails_to(daemon, CUSTOMER)
    ticket = Ticket.get()
    assert ticket.status == "new"

    send_mail(daemon, customer_mail(
        subject=f"Re: {ack['Subject']}", to=ack["Reply-To"].addresses[0].addr_spec,
        body="Thanks, that solved it!\n\n> These articles may already answer your question\n",
        message_id="<solved@customer.example>"))
    wait_for(processed(2))
    ticket = Ticket.get_by_id(ticket.id)
    assert ticket.status == "resolved"
    [served] = kinds("kb.self_served")
    assert served.data["how"] == "reply" and served.data["articles"][0] == "password-reset"
    assert served.actor == CUSTOMER

    def clocks_met() -> TicketSla | None:
        row = TicketSla.get_or_none(TicketSla.ticket == ticket.id)
        return row if row is not None and row.clocks["resolution"]["state"] == "met" else None

    row = wait_for(clocks_met, timeout=10)
    assert row.clocks["first_response"]["state"] == "met"


@pytest.mark.parametrize(("subject", "body", "title", "phrase"), [
    ("Hasło wygasło", "Dzień dobry,\nzapomniałem hasła i nie mogę się zalogować.\n",
     "Resetowanie hasła", "Czy to rozwiązuje problem?"),
    ("Kennwort vergessen", "Guten Tag,\nich habe mein Kennwort vergessen und komme nicht "
     "mehr rein.\n", "Passwort zurücksetzen", "Hat das Ihr Problem gelöst?"),
    ("Hasło wygasło", "Dzień dobry,\nzapomniałem hasła i nie mogę się zalogować.\n",
     "Resetowanie hasła", "kliknąć „Sprawa rozwiązana” na stronie zgłoszenia"),
    ("Kennwort vergessen", "Guten Tag,\nich habe mein Kennwort vergessen und komme nicht "
     "mehr rein.\n", "Passwort zurücksetzen", "(Link unten) auf „Das ist gelöst“"),
])
def test_polish_and_german_mails_get_articles_in_their_language(
        make_settings, sqlite_url, start_daemon, subject, body, title, phrase) -> None:
    daemon = start_daemon(make_settings(sqlite_url))
    send_mail(daemon, customer_mail(subject=subject, body=body))
    wait_for(processed(1))
    text = acknowledgment(daemon)
    assert f"1. {title}" in text
    assert phrase in text
    assert "Reset your password" not in text


def test_with_the_database_index_polish_and_german_mails_get_their_articles(
        database_url: str, make_settings, start_daemon) -> None:
    """`[kb] index = "database"`: the index the daemon fills at start (FTS5 on SQLite,
    tsvector on PostgreSQL) answers the acknowledgment."""
    daemon = start_daemon(make_settings(database_url, kb_index="database"))
    send_mail(daemon, customer_mail(subject="Hasło wygasło", body="Dzień dobry,\nzapomniałem "
                                    "hasła i nie mogę się zalogować.\n"))
    send_mail(daemon, customer_mail(sender="jonas@kunde.example", subject="Fernverbindung",
                                    body="Die Fernverbindung ins Firmennetz klappt nicht.\n",
                                    message_id="<vpn@kunde.example>"))
    wait_for(processed(2))
    assert "1. Resetowanie hasła" in acknowledgment(daemon)
    [german] = wait_for(lambda: mails_to(daemon, "jonas@kunde.example"))
    assert "1. VPN-Verbindung von zu Hause" in text_of(german)
    assert sorted((one["article"], one["language"]) for one in suggested()
                  if one["rank"] == 1) == [("password-reset", "pl"), ("vpn-access", "de")]


def test_internal_article_never_reaches_the_customer(make_settings, sqlite_url,
                                                     start_daemon) -> None:
    settings = make_settings(sqlite_url)
    (Path(settings.path(settings.paths.kb)) / "en" / "vpn-internal.md").write_text(INTERNAL)
    daemon = start_daemon(settings)
    send_mail(daemon, customer_mail(subject="Reset VPN token",
                                    body="Please reset my VPN token, VPN reset needed.\n"))
    wait_for(processed(1))
    text = acknowledgment(daemon)
    assert "console" not in text and "Secret admin steps" not in text
    assert all(one["article"] != "vpn-reset-internal" for one in suggested())


def test_nothing_good_enough_means_no_suggestion(make_settings, sqlite_url,
                                                start_daemon) -> None:
    daemon = start_daemon(make_settings(sqlite_url))
    send_mail(daemon, customer_mail(subject="Lunch menu",
                                    body="What is on the canteen menu tomorrow?\n"))
    wait_for(processed(1))
    text = acknowledgment(daemon)
    assert "These articles may already answer" not in text
    assert kinds("kb.suggested") == []


PASSWORD_POLICY = """---
id: password-policy
title: Password rules when you forgot your password
language: en
aliases: [forgot password, cannot log in, new password rules]
---
A new password needs twelve characters; change it every year.
"""


@pytest.mark.parametrize(("routed_to", "offered"), [
    ("access", ["password-reset", "password-policy"]),  # the article's own request type
    ("hardware", ["password-policy"]),  # password-reset applies to access tickets only
])
def test_request_types_of_an_article_decide_which_tickets_are_offered_it(
        make_settings, sqlite_url, start_daemon, routed_to, offered) -> None:
    settings = make_settings(sqlite_url)
    (Path(settings.path(settings.paths.kb)) / "en" / "password-policy.md").write_text(
        PASSWORD_POLICY)
    routing = Path(settings.path(settings.paths.rules)) / "routing.yaml"
    routing.write_text(routing.read_text(encoding="utf-8").replace(
        "routes: []", f"routes:\n  - {{request_type: {routed_to}}}"), encoding="utf-8")
    daemon = start_daemon(settings)
    send_mail(daemon, customer_mail(subject="Forgot my password",
                                    body="Hello,\nI forgot my password and cannot log in.\n"))
    wait_for(processed(1))
    text = acknowledgment(daemon)
    assert Ticket.get().request_type == routed_to
    assert sorted(one["article"] for one in suggested()) == sorted(offered)
    assert ("Reset your password" in text) == ("password-reset" in offered)
    assert "Password rules" in text


def test_solved_link_in_the_acknowledgment_is_signed_for_the_ticket(
        make_settings, sqlite_url, start_daemon) -> None:
    settings = make_settings(sqlite_url, kb_solved_url="https://help.example.com/solved/{token}")
    daemon = start_daemon(settings)
    send_mail(daemon, customer_mail(subject="VPN from home",
                                    body="How do I connect to the VPN from home?\n"))
    wait_for(processed(1))
    text = acknowledgment(daemon)
    [link] = [w for w in text.split() if w.startswith("https://help.example.com/solved/")]
    token = link.rsplit("/", 1)[1]
    assert read_solved_token(token, settings.desk.secret) == Ticket.get().id


TEAMS = """teams:
  - name: support
    agents:
      - {email: agent.en@example.com, name: "Ann Agent"}
"""


def ticket_with_an_agent(make_settings, sqlite_url, start_daemon, mail):
    """A desk with one agent, a ticket opened by `mail`: (daemon, the agent's notification,
    how many mails the customer had then)."""
    settings = make_settings(sqlite_url)
    (Path(settings.path(settings.paths.rules)) / "teams.yaml").write_text(TEAMS)
    daemon = start_daemon(settings)
    send_mail(daemon, mail)
    wait_for(processed(1))
    [notification] = wait_for(lambda: mails_to(daemon, "agent.en@example.com"))
    return daemon, notification, len(wait_for(lambda: mails_to(daemon, CUSTOMER)))


def agent_answers(daemon, notification, body: str) -> None:
    send_mail(daemon, customer_mail(
        sender="agent.en@example.com", to=notification["Reply-To"].addresses[0].addr_spec,
        subject=f"Re: {notification['Subject']}", body=body, message_id="<kb@example.com>"))
    wait_for(processed(2))


def test_agents_see_the_suggestions_and_kb_inserts_the_article_in_the_customers_language(
        make_settings, sqlite_url, start_daemon) -> None:
    daemon, notification, before = ticket_with_an_agent(
        make_settings, sqlite_url, start_daemon,
        customer_mail(subject="Drukarka", body="Drukarka nie działa, nie mogę niczego "
                                               "wydrukować.\n"))
    assert "printer-setup (pl" in text_of(notification)
    assert "#kb ID" in text_of(notification)
    earlier = {m["Message-ID"] for m in mails_to(daemon, CUSTOMER)}
    assert len(earlier) == before
    agent_answers(daemon, notification, "#kb mail-on-phone\n\nPozdrawiam, Ann\n")
    # the outgoing folder is read in file-name order, not in the order mails were written
    [answer] = wait_for(lambda: [m for m in mails_to(daemon, CUSTOMER)
                                 if m["Message-ID"] not in earlier])
    text = text_of(answer)
    assert "Poczta służbowa w telefonie" in text and "Outlook" in text
    assert "Pozdrawiam, Ann" in text and "#kb" not in text


def test_kb_of_an_internal_article_sends_nothing_and_tells_the_agent(
        make_settings, sqlite_url, start_daemon) -> None:
    daemon, notification, before = ticket_with_an_agent(make_settings, sqlite_url,
                                                        start_daemon, customer_mail())
    agent_answers(daemon, notification, "#kb unlock-account-internal\n")
    [error] = wait_for(lambda: [m for m in mails_to(daemon, "agent.en@example.com")
                                if "is internal" in text_of(m)])
    assert "unlock-account-internal" in text_of(error)
    assert len(mails_to(daemon, CUSTOMER)) == before


def test_an_article_added_while_the_desk_runs_is_suggested(make_settings, sqlite_url,
                                                          start_daemon) -> None:
    settings = make_settings(sqlite_url, rules_reload_interval=0)
    daemon = start_daemon(settings)
    (Path(settings.path(settings.paths.kb)) / "en" / "canteen.md").write_text(
        "---\nid: canteen\ntitle: Canteen menu\nlanguage: en\n---\n"
        "The menu of the week is on the intranet.\n")
    (Path(settings.path(settings.paths.kb)) / "en" / "broken.md").write_text("---\nid: x\n")
    send_mail(daemon, customer_mail(subject="Lunch menu",
                                    body="What is on the canteen menu tomorrow?\n"))
    wait_for(processed(1))
    assert "1. Canteen menu" in acknowledgment(daemon)


def test_the_database_index_is_rebuilt_when_kb_changes(database_url: str, make_settings,
                                                      start_daemon) -> None:
    settings = make_settings(database_url, rules_reload_interval=0, kb_index="database")
    daemon = start_daemon(settings)
    assert kb_index.search("en", {"canteen": 1.0}, 3) == []
    (Path(settings.path(settings.paths.kb)) / "en" / "canteen.md").write_text(
        "---\nid: canteen\ntitle: Canteen menu\nlanguage: en\n---\n"
        "The menu of the week is on the intranet.\n")
    [found] = wait_for(lambda: kb_index.search("en", {"canteen": 1.0}, 3), timeout=15)
    assert found.article == "canteen"
    send_mail(daemon, customer_mail(subject="Lunch menu",
                                    body="What is on the canteen menu tomorrow?\n"))
    wait_for(processed(1))
    assert "1. Canteen menu" in acknowledgment(daemon)


AUTO_ANSWER = """rules:
  - name: answer-vpn-questions
    on: ticket.created
    if:
      kb_match: {min_score: 40, article: vpn-access}
    then:
      - answer_with_article: {status: waiting_for_customer}
"""


def test_a_rule_answers_one_known_question_with_its_article(make_settings, sqlite_url,
                                                           start_daemon) -> None:
    settings = make_settings(sqlite_url)
    extra = Path(settings.path(settings.paths.rules)) / "automation.d"
    extra.mkdir(exist_ok=True)
    (extra / "kb.yaml").write_text(AUTO_ANSWER)
    daemon = start_daemon(settings)
    send_mail(daemon, customer_mail(subject="VPN", body="Wie verbinde ich mich von zu Hause "
                                                        "mit dem VPN? Fernzugriff geht nicht.\n"))
    wait_for(processed(1))
    answers = wait_for(lambda: [m for m in mails_to(daemon, CUSTOMER)
                                if "GlobalConnect" in text_of(m) and "vpn.example.com"
                                in text_of(m) and "VPN-Verbindung von zu Hause" in text_of(m)])
    assert answers
    ticket = Ticket.get()
    assert ticket.status == "waiting_for_customer"
    assert [m.author_email for m in ticket.messages if m.direction == "out"] == [
        "rule:answer-vpn-questions"]
    # a printer question does not match the rule
    send_mail(daemon, customer_mail(subject="Drucker", body="Der Drucker druckt nicht.\n",
                                    message_id="<printer@customer.example>"))
    wait_for(processed(2))
    assert Ticket.get_by_id(ticket.id + 1).status == "new"


def _customer_mail_sent() -> list[Outbox]:
    """The customer's mails once every queued mail has left the desk (none still waiting)."""
    rows = list(Outbox.select().where(Outbox.recipient == CUSTOMER).order_by(Outbox.id))
    return rows if rows and all(row.state == "sent" for row in rows) else []


@pytest.mark.parametrize("where", ["after", "before"])  # the rule after/before the acknowledging
def test_a_rule_answer_is_the_one_mail_the_customer_gets(make_settings, sqlite_url,
                                                         start_daemon, where: str) -> None:
    """The rule's answer replaces the acknowledgment (issue 21): one mail with the article
    once, the ticket number and how to say "solved", not an acknowledgment suggesting the same
    article followed by a second mail repeating it; "solved" then counts as a deflection."""
    settings = make_settings(sqlite_url)
    rules = Path(settings.path(settings.paths.rules))
    if where == "after":  # rules/automation.d/ is read after rules/automation.yaml
        (rules / "automation.d").mkdir(exist_ok=True)
        (rules / "automation.d" / "kb.yaml").write_text(AUTO_ANSWER)
    else:
        shipped = (rules / "automation.yaml").read_text(encoding="utf-8")
        (rules / "automation.yaml").write_text(shipped.replace(
            "\nrules:\n", "\n" + AUTO_ANSWER + "\n", 1), encoding="utf-8")
    daemon = start_daemon(settings)
    row = _ask_about_the_vpn(daemon)
    assert row.kind == "agent_reply"  # the rule's answer, not the acknowledgment
    [mail] = wait_for(lambda: mails_to(daemon, CUSTOMER))
    text = text_of(mail)
    assert text.count("GlobalConnect VPN client") == 1  # the article, once
    assert "Ticket number: #1" in text
    assert 'Did this solve your problem? Reply with "solved"' in text
    assert "These articles may already answer your question" not in text
    ticket = Ticket.get()
    assert ticket.status == "waiting_for_customer"
    [folded] = kinds("reply.folded")
    assert folded.data["template"] == "acknowledgment" and folded.rule == "acknowledge-new-ticket"
    assert [one.get("answered") for one in suggested()
            if one["article"] == "vpn-access"] == [None, True]
    assert kinds("kb.self_served") == []  # an answer is not a deflection until the customer...

    send_mail(daemon, customer_mail(
        subject=f"Re: {mail['Subject']}", to=mail["Reply-To"].addresses[0].addr_spec,
        body="Thanks, that solved it!\n", message_id="<solved@customer.example>"))
    wait_for(processed(2))
    assert Ticket.get_by_id(ticket.id).status == "resolved"
    [served] = kinds("kb.self_served")  # ...says it solved it
    assert served.data["articles"][0] == "vpn-access"


def _ask_about_the_vpn(daemon: Any) -> Outbox:
    """A customer's mail asking how to use the VPN from home; the one mail the customer got."""
    send_mail(daemon, customer_mail(subject="VPN from home",
                                    body="How do I connect to the VPN from home? The VPN "
                                         "connection does not work.\n"))
    wait_for(processed(1))
    [row] = wait_for(_customer_mail_sent)
    return row


def test_a_rule_with_no_article_to_send_leaves_the_acknowledgment(make_settings, sqlite_url,
                                                                  start_daemon) -> None:
    """The acknowledgment waits for the rule's answer only to be folded into it: a rule that
    finds nothing to send (an internal article) leaves the customer their acknowledgment."""
    settings = make_settings(sqlite_url)
    (Path(settings.path(settings.paths.kb)) / "en" / "vpn-internal.md").write_text(INTERNAL)
    extra = Path(settings.path(settings.paths.rules)) / "automation.d"
    extra.mkdir(exist_ok=True)
    (extra / "kb.yaml").write_text(AUTO_ANSWER.replace(
        "kb_match: {min_score: 40, article: vpn-access}", "kb_match: 40").replace(
        "answer_with_article: {status: waiting_for_customer}",
        "answer_with_article: vpn-reset-internal"))
    daemon = start_daemon(settings)
    row = _ask_about_the_vpn(daemon)
    assert row.kind == "acknowledgment"
    assert "1. Connect to the VPN from home" in acknowledgment(daemon)
    assert [e.data["reason"] for e in kinds("kb.answer_skipped")] == ["internal"]
    assert kinds("reply.folded") == []


TAG_VPN_QUESTIONS = """rules:
  - name: tag-vpn-questions
    on: ticket.created
    if:
      kb_match: {min_score: 40, article: vpn-access}
    then:
      - add_tag: vpn-answerable
"""


@pytest.mark.parametrize(("routed_to", "matched"), [
    ("access", True),  # vpn-access applies to access tickets
    ("hardware", False),  # ...and is not offered on a hardware ticket: no match either
])
def test_kb_match_sees_only_the_articles_of_the_tickets_request_type(
        make_settings, sqlite_url, start_daemon, routed_to, matched) -> None:
    settings = make_settings(sqlite_url)
    rules = Path(settings.path(settings.paths.rules))
    (rules / "automation.d").mkdir(exist_ok=True)
    (rules / "automation.d" / "kb.yaml").write_text(TAG_VPN_QUESTIONS)
    routing = rules / "routing.yaml"
    routing.write_text(routing.read_text(encoding="utf-8").replace(
        "routes: []", f"routes:\n  - {{request_type: {routed_to}}}"), encoding="utf-8")
    daemon = start_daemon(settings)
    send_mail(daemon, customer_mail(subject="VPN from home",
                                    body="How do I connect to the VPN from home? The VPN "
                                         "connection does not work.\n"))
    wait_for(processed(1))
    acknowledgment(daemon)
    ticket = Ticket.get()
    assert ticket.request_type == routed_to
    offered = [one["article"] for one in suggested()]
    assert ("vpn-access" in offered) == matched  # what the acknowledgment offers...
    assert ("vpn-answerable" in ticket.tags) == matched  # ...is what the rule sees
