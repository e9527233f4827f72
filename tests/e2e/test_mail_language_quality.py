"""Every mail in en, pl and de reads as a person wrote it (issue 26, points 5 and 6).

A real desk (SQLite file, daemon on 127.0.0.1, customers writing in over SMTP) with
per-language branding and titled request types. The acknowledgments it sends are
read as mail clients show them; then every other shipped mail is built for the
same real ticket through the code the sender uses (`build_mail`, the context as
the outbox stores and the sender revives it, the desk's renderer), with only
what the ticket cannot provide (a status change, an SLA clock, a digest) taken
from the sample of that mail, and read in each language
for what a reader notices: English branding or English sentences in a Polish or
German mail, seconds in dates, request types by their internal names, a
customer footer in an agent's mail, a greeting with a name in the nominative.
"""

from __future__ import annotations

import json
import re
import smtplib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from mailbuild import customer_mail, mails_to, text_of, wait_for
from postdesk.channels.email.sender import revive_datetimes
from postdesk.config.runtime import Runtime
from postdesk.config.settings import Settings
from postdesk.notify.audience import CUSTOMER_TEMPLATES
from postdesk.notify.render import RenderedEmail, default_locale_dir
from postdesk.notify.samples import SAMPLES, sample_context
from postdesk.store.models import Message, Ticket
from postdesk.tickets.mailing import MailRequest, build_mail

NOW = datetime(2026, 12, 7, 0, 45, 35, tzinfo=UTC)

TEXTS = {  # [branding] key: (en, pl, de)
    "header": ("Help for Acme customers", "Pomoc dla klientów Acme", "Hilfe für Acme-Kunden"),
    "signature": ("Your Acme Support team", "Zespół wsparcia Acme", "Ihr Acme-Support-Team"),
    "footer": ("You receive this mail because you contacted Acme Support.",
               "Otrzymują Państwo tę wiadomość w związku z kontaktem z działem wsparcia Acme.",
               "Sie erhalten diese E-Mail, weil Sie sich an den Acme-Support gewandt haben."),
    "agent_footer": ("Acme Support desk, internal", "Dział wsparcia Acme, wewnętrzne",
                     "Acme-Support, intern"),
}
BRANDING = "[branding]\n" + "".join(
    f'{key} = {{ en = "{en}", pl = "{pl}", de = "{de}" }}\n'
    for key, (en, pl, de) in TEXTS.items())
ENGLISH_BRANDING = ("Help for Acme customers", "Your Acme Support team",
                    "You receive this mail because", "Acme Support desk, internal")
CUSTOMER_FOOTER = {"en": "You receive this mail because you contacted Acme Support.",
                   "pl": "w związku z kontaktem z działem wsparcia Acme",
                   "de": "weil Sie sich an den Acme-Support gewandt haben"}
AGENT_FOOTER = {"en": "Acme Support desk, internal", "pl": "Dział wsparcia Acme, wewnętrzne",
                "de": "Acme-Support, intern"}
ACCESS = {"en": "Access and accounts", "pl": "Dostępy i konta", "de": "Zugänge und Konten"}

SECONDS = re.compile(r"\b\d{1,2}:\d{2}:\d{2}\b")
#: What the context of the real ticket holds; the rest of a mail's sample is its own.
FROM_THE_TICKET = frozenset({"ticket", "customer", "desk", "message", "note_address",
                             "thread"})


RESOLVED = {"en": "Resolved", "pl": "Rozwiązane", "de": "Gelöst"}


def greeting_of(text: str) -> str:
    """The first line below the "reply above this line" marker (the branding header and
    the marker come first), or below the branding header in a mail without the marker
    (whose answer is no reply to a ticket: `page_links`)."""
    lines = text.splitlines()
    marker = next((i for i, line in enumerate(lines) if line.startswith("##- ")),
                  lines.index(""))
    return next(line for line in lines[marker + 1:] if line.strip())


def branded_desk(make_settings: Callable[..., Settings], database_url: str) -> Settings:
    settings = make_settings(database_url)  # `postdesk init` writes the desk on first use
    desk = Path(settings.source or "").parent
    config = desk / "postdesk.toml"
    text = config.read_text(encoding="utf-8")
    start = text.index("[branding]")
    end = text.index("\n[", start + 1)
    kept = [line for line in text[start:end].splitlines()[1:]
            if line.split("=")[0].strip() in ("logo_url", "primary_colour")]
    config.write_text(text[:start] + BRANDING + "\n".join(kept) + "\n"
                      + text[end:], encoding="utf-8")
    routing = desk / "rules" / "routing.yaml"
    routing.write_text(routing.read_text(encoding="utf-8").replace(
        "routes: []", "routes:\n  - {request_type: access}"), encoding="utf-8")
    return make_settings(database_url)


def english_pieces(language: str) -> set[str]:
    """English text of the catalog (msgids cut at their placeholders) that the language's
    own catalog never uses: any of it in a mail of that language is left untranslated."""
    with (default_locale_dir() / "messages.pot").open("rb") as handle:
        ids = [m.id for m in read_po(handle) if m.id]
    with (default_locale_dir() / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        strings = [m.string for m in read_po(f, locale=language) if m.id]
    translated = " ".join(s for item in strings for s in (item if isinstance(item, tuple)
                                                          else (item,)))
    texts = [t for i in ids for t in (i if isinstance(i, tuple) else (i,))]
    pieces = {p.strip(" ,.:()#") for t in texts for p in re.split(r"%\(\w+\)[sd]", t)}
    return {p for p in pieces if len(p) >= 4 and p not in translated}


def every_mail(runtime: Runtime, ticket: Ticket, language: str) -> dict[str, RenderedEmail]:
    """Each shipped mail about `ticket`, built as the sender builds it, in `language`."""
    mails = {}
    first_text = ticket.messages.order_by(Message.id).first().text  # as the desk stored it
    for name in SAMPLES:
        to_customer = name in CUSTOMER_TEMPLATES
        sample = sample_context(name)
        extra = {k: v for k, v in sample.items() if k not in FROM_THE_TICKET}
        recipient = ticket.requester.email if to_customer else "agent@example.com"
        decided = build_mail(MailRequest(name, recipient, to_customer=to_customer, extra=extra,
                                         language=language, timezone="Europe/Warsaw"),
                             ticket, runtime, now=NOW, message_text=first_text)
        context = revive_datetimes(json.loads(json.dumps(decided.context, default=str)))
        mails[name] = runtime.renderer.render(name, context, language=decided.language,
                                              timezone=decided.timezone)
    return mails


@pytest.fixture
def desk(make_settings: Callable[..., Settings], sqlite_url: str,
         start_daemon: Callable[[Settings], object]) -> tuple[object, Settings]:
    settings = branded_desk(make_settings, sqlite_url)
    return start_daemon(settings), settings


def write_in(daemon: object, address: str, **mail: object) -> str:
    """Send a customer's mail over SMTP; the text of the desk's answer to `address`."""
    host, port = daemon.address  # type: ignore[attr-defined]
    with smtplib.SMTP(host, port, timeout=10) as client:
        client.send_message(customer_mail(**mail))  # type: ignore[arg-type]
    [answer] = wait_for(lambda: mails_to(daemon, address))
    return text_of(answer).replace("\r\n", "\n")


def test_acknowledgments_over_smtp_speak_the_customers_language(desk) -> None:
    daemon, _settings = desk
    polish = write_in(daemon, "zofia@klient.example",
                      sender="Zofia Wiśniewska <zofia@klient.example>",
                      subject="Nie mogę się zalogować", message_id="<pl@klient.example>",
                      body="Dzień dobry,\nod rana nie mogę się zalogować do portalu.\n",
                      headers={"Content-Language": "pl",
                               "Date": "Mon, 07 Dec 2026 01:45:35 +0100"})
    assert polish.startswith("Pomoc dla klientów Acme\n\n"
                             "##- Prosimy wpisać odpowiedź powyżej tej linii -##\n\n"
                             "Dzień dobry,\n")
    assert "Zofia" not in polish.split("\n\n")[2]  # no "Dzień dobry Zofia Wiśniewska,"
    # the day written out (not "7 gru 2026"), minutes, the zone of Warsaw (from the Date)
    assert re.search(r"Data przyjęcia: \d{1,2} [a-ząćęłńóśźż]{4,} \d{4} \d{2}:\d{2} "
                     r"\(czas środkowoeuropejski", polish), polish
    assert "Zespół wsparcia Acme" in polish and CUSTOMER_FOOTER["pl"] in polish
    assert not SECONDS.search(polish)
    for english in ENGLISH_BRANDING:
        assert english not in polish
    german = write_in(daemon, "juergen@kunde.example",
                      sender="Jürgen Weiß <juergen@kunde.example>",
                      subject="Anmeldung geht nicht", message_id="<de@kunde.example>",
                      body="Guten Tag,\nich kann mich seit heute Morgen nicht anmelden.\n",
                      headers={"Content-Language": "de"})
    assert "\nGuten Tag,\n" in f"\n{german}" and "Hallo" not in german
    assert "Ihr Acme-Support-Team" in german and CUSTOMER_FOOTER["de"] in german
    assert not SECONDS.search(german)
    for english in ENGLISH_BRANDING:
        assert english not in german


@pytest.mark.parametrize("language", ["en", "pl", "de"])
def test_every_mail_about_a_real_ticket_reads_naturally(desk, language: str) -> None:
    daemon, settings = desk
    write_in(daemon, "zofia@klient.example", sender="Zofia Wiśniewska <zofia@klient.example>",
             subject="Nie mogę się zalogować", message_id="<pl@klient.example>",
             body="Dzień dobry,\nod rana nie mogę się zalogować do portalu.\n",
             headers={"Content-Language": "pl"})
    ticket = Ticket.get()
    assert ticket.request_type == "access"  # routed by the desk's rules
    runtime = Runtime(settings)
    untranslated = english_pieces(language) if language != "en" else set()
    mails = every_mail(runtime, ticket, language)
    assert set(mails) == set(SAMPLES)
    for name, mail in mails.items():
        assert mail.language == language, name
        for part in (mail.subject, mail.text, mail.html):
            assert not SECONDS.search(part), f"{name}: a time with seconds"
            for piece in untranslated:
                assert piece not in part, f"{name} ({language}): English {piece!r} left"
            if language != "en":
                for english in ENGLISH_BRANDING:
                    assert english not in part, f"{name} ({language}): {english!r}"
        if name in CUSTOMER_TEMPLATES:
            assert CUSTOMER_FOOTER[language] in mail.text, name
            assert AGENT_FOOTER[language] not in mail.text, name
        else:
            assert AGENT_FOOTER[language] in mail.text, name
            assert CUSTOMER_FOOTER[language] not in mail.text, name
        if "_ticket_facts" in name or name in ("agent_new_ticket", "agent_customer_replied",
                                               "agent_assigned"):
            assert ACCESS[language] in mail.text, f"{name}: request type by its name"
            assert ": access" not in mail.text, name
    # a resolution says so once, in plain words (not "New status: ..." and then again)
    assert mails["status_changed"].text.count(RESOLVED[language]) == 1, "status said twice"
    greeted = CUSTOMER_TEMPLATES - {"agent_reply"}  # an agent's reply opens with their own words
    if language == "pl":
        for name in greeted:
            assert greeting_of(mails[name].text) == "Dzień dobry,", name
            assert "Twoj" not in mails[name].text and "odpowiedz " not in mails[name].text
    if language == "de":
        greetings = {greeting_of(mails[n].text) for n in greeted}
        assert greetings == {"Guten Tag,"}
