"""The conversation in context (issue 26): agents' notifications carry the earlier thread,
customers a short public history, and replies are read above the desk's marker."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest

from mailbuild import customer_mail, processed, read_outgoing, reply_to, send_mail, wait_for
from postdesk.store.models import Message

TEAMS = """teams:
  - name: support
    agents:
      - {email: agent.en@example.com, name: "Support EN"}
      - {email: agent.pl@example.com, name: "Support PL", language: pl}
"""
CUSTOMER = "zoe@customer.example"


def desk_with(make_settings, sqlite_url, start_daemon, **overrides):
    settings = make_settings(sqlite_url, **overrides)
    (Path(settings.path(settings.paths.rules)) / "teams.yaml").write_text(TEAMS)
    daemon = start_daemon(settings)
    send_mail(daemon, customer_mail())
    wait_for(lambda: len(read_outgoing(daemon.outgoing)) == 3)  # ack + two agents
    return daemon


@pytest.fixture
def desk(make_settings, sqlite_url, start_daemon):
    return desk_with(make_settings, sqlite_url, start_daemon)


def mails_to(daemon, address: str) -> list[EmailMessage]:
    return [m for m in read_outgoing(daemon.outgoing)
            if m["To"].addresses[0].addr_spec == address]


def text_of(mail: EmailMessage) -> str:
    return mail.get_body(("plain",)).get_content().replace("\r\n", "\n")


def html_of(mail: EmailMessage) -> str:
    return mail.get_body(("html",)).get_content()


def from_agent(daemon, body: str, number: int) -> None:
    notification = mails_to(daemon, "agent.en@example.com")[0]
    send_mail(daemon, reply_to(notification, body, sender="agent.en@example.com",
                               message_id=f"<agent-{number}@example.com>"))


def answer(daemon) -> EmailMessage:
    return wait_for(lambda: [m for m in mails_to(daemon, CUSTOMER)
                             if "serial number" in text_of(m)])[0]


def gmail_reply(to: EmailMessage, text: str) -> EmailMessage:
    """The customer answers `to` as Gmail does: new text, attribution, the mail quoted."""
    quoted = "\n".join(f"> {line}".rstrip() for line in text_of(to).splitlines())
    return customer_mail(
        to=to["Reply-To"].addresses[0].addr_spec, subject=f"Re: {to['Subject']}",
        body=f"{text}\n\nOn Mon, 7 Dec 2026 at 10:00, Example Support "
             f"<support@example.com> wrote:\n\n{quoted}\n",
        message_id="<zoe-2@customer.example>", headers={"In-Reply-To": to["Message-ID"]})


def test_agents_see_the_thread_newest_first_with_notes_marked(desk):
    from_agent(desk, "Please send the serial number from the back of the printer.\n", 1)
    wait_for(processed(2))
    from_agent(desk, "#note\nThe customer has a support contract.\n", 2)
    wait_for(processed(3))
    send_mail(desk, gmail_reply(answer(desk), "The serial number is SN-4711."))
    wait_for(processed(4))
    told = wait_for(lambda: [m for m in mails_to(desk, "agent.pl@example.com")
                             if "SN-4711" in text_of(m)])[0]
    text = text_of(told)
    history = text[text.index("Wcześniejsze wiadomości (od najnowszej):"):]
    note = history.index("The customer has a support contract.")
    reply = history.index("Please send the serial number")
    request = history.index("my printer is on fire")
    assert note < reply < request  # newest first
    assert "· Notatka wewnętrzna" in history[:note]
    assert "Notatka wewnętrzna" in html_of(told)
    # the new message is not repeated in the history, and the stored reply is only new text
    assert "SN-4711" not in history
    newest = Message.select().where(Message.direction == "in").order_by(Message.id.desc())
    assert newest.first().text == "The serial number is SN-4711."


def test_customers_get_a_short_public_history_never_a_note(desk):
    from_agent(desk, "#note\nThe customer has a support contract.\n", 1)
    wait_for(processed(2))
    from_agent(desk, "Please send the serial number from the back of the printer.\n", 2)
    mail = answer(desk)
    text = text_of(mail)
    assert "Earlier in this conversation (newest first):" in text
    assert "my printer is on fire" in text.split("Earlier in this conversation")[1]
    for part in (text, html_of(mail)):
        assert "support contract" not in part


def test_the_reply_marker_is_in_the_recipient_s_language(desk):
    [polish] = mails_to(desk, "agent.pl@example.com")
    assert text_of(polish).startswith("##- Prosimy wpisać odpowiedź powyżej tej linii -##")
    assert "##- Prosimy wpisać odpowiedź powyżej tej linii -##" in html_of(polish)
    from_agent(desk, "Please send the serial number from the back of the printer.\n", 1)
    assert "##- Please type your reply above this line -##" in text_of(answer(desk))


def test_a_desk_can_leave_the_history_out_of_customer_mail(make_settings, sqlite_url,
                                                           start_daemon):
    desk = desk_with(make_settings, sqlite_url, start_daemon, tickets_thread_for_customers=0)
    from_agent(desk, "Please send the serial number from the back of the printer.\n", 1)
    assert "Earlier in this conversation" not in text_of(answer(desk))


def test_agents_help_names_a_team_of_this_desk_and_replies_show_a_badge(desk):
    [english] = mails_to(desk, "agent.en@example.com")
    assert "#assign team:support" in text_of(english)
    # each hint on its own line (the first two ran together: "...example.com.Lines at")
    assert "goes out from support@example.com.\nLines at the top" in text_of(english)
    assert "hardware" not in text_of(english)
    from_agent(desk, "Please send the serial number from the back of the printer.\n", 1)
    html = html_of(answer(desk))
    assert ">SE</span>" in html and "Support EN" in html  # the agent's initials badge
