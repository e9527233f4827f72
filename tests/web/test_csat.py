"""The satisfaction survey (issue 22, CSAT), with a real `postdesk serve` (SQLite, SMTP in).

An agent resolves the ticket -> the survey is in the outgoing folder (an
automatic mail, one link per rating) -> opening a link changes nothing (link
scanners open them) -> the page's form records the rating with a comment, a
`satisfaction.rated` event -> a second answer changes it, and the low one
tells the team lead -> a reply that is only "5" counts and does not reopen
the ticket -> an agent's address replying "1" records nothing -> a tampered
link and a POST without the CSRF token are refused. A survey held for its
delay is not sent when the ticket reopens meanwhile. A rating posted from the
browser of an agent signed in to /reports is refused; the marker cookie that
tells it opens no report.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiohttp  # the dev extra has it
import pytest

from mailbuild import (
    customer_mail,
    processed,
    read_outgoing,
    reply_to,
    send_mail,
    text_of,
    wait_for,
)
from postdesk.store.db import database
from postdesk.store.models import Event, Outbox, Ticket
from web.page_client import postdesk
from web.test_reports_page import sign_in_link

CUSTOMER = "zoe@customer.example"
TEAMS = """teams:
  - name: support
    lead: lead@example.com
    agents:
      - {email: agent.en@example.com, name: "Support EN"}
      - {email: lead@example.com, name: "Lead"}
"""
RATING_LINK = re.compile(r"https?://\S+/csat/[0-9A-Za-z._-]+")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def start(make_settings, sqlite_url, start_daemon, **overrides: Any):
    settings = make_settings(sqlite_url, **overrides)
    (Path(settings.path(settings.paths.rules)) / "teams.yaml").write_text(TEAMS)
    daemon = start_daemon(settings)
    send_mail(daemon, customer_mail())
    wait_for(lambda: any(m["To"].addresses[0].addr_spec == CUSTOMER
                         for m in read_outgoing(daemon.outgoing)))
    return daemon


@pytest.fixture
def desk(make_settings, sqlite_url, start_daemon):
    return start(make_settings, sqlite_url, start_daemon, csat_delay_minutes=0)


def agent_writes(daemon, body: str, number: int) -> None:
    """The agent answers their new-ticket notification; `number`: the n-th inbound mail."""
    notification = next(m for m in read_outgoing(daemon.outgoing)
                        if m["To"].addresses[0].addr_spec == "agent.en@example.com")
    send_mail(daemon, reply_to(notification, body, sender="agent.en@example.com",
                               message_id=f"<agent-{number}@example.com>"))
    wait_for(processed(number))


def surveys(daemon) -> list[EmailMessage]:
    return [m for m in read_outgoing(daemon.outgoing)
            if m["To"].addresses[0].addr_spec == CUSTOMER and "How did we do?" in m["Subject"]]


def browse(test: Callable[[aiohttp.ClientSession], Awaitable[Any]]) -> Any:
    async def run() -> Any:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
            return await test(client)

    return asyncio.run(run())


def ratings() -> list[dict[str, Any]]:
    with database.connection_context():
        return [e.data for e in Event.select().where(Event.kind == "satisfaction.rated")
                .order_by(Event.id)]


def recorded() -> tuple[int | None, str]:
    from postdesk.store.csat_store import CsatSurvey

    with database.connection_context():
        survey = CsatSurvey.get()
        return survey.rating, survey.comment


def sent_at() -> Any:
    from postdesk.store.csat_store import CsatSurvey

    with database.connection_context():
        return CsatSurvey.get().sent_at


def status() -> str:
    with database.connection_context():
        return str(Ticket.get_by_id(1).status)


def test_survey_link_confirms_records_changes_and_a_digit_reply_counts(desk):
    agent_writes(desk, "#resolve\nThe fuser unit was replaced.\n", 2)
    survey = wait_for(lambda: surveys(desk))[0]
    wait_for(sent_at)  # counted as reaching the customer (the KPI's response rate)
    assert survey["Auto-Submitted"] == "auto-replied"  # RFC 3834: never answered by robots
    links = RATING_LINK.findall(text_of(survey))
    assert len(links) == 5  # 1 to 5
    html = survey.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert all(f'href="{link}"' in html for link in links)
    assert "only a number from 1" in text_of(survey)
    base = f"http://{desk.settings.web.listen}"

    async def rate(client: aiohttp.ClientSession) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        async with client.get(links[3]) as page:  # "4": what a link scanner does too
            seen["page"] = (page.status, await page.text())
            seen["cookie"] = page.headers.getall("Set-Cookie")[0].lower()
        seen["after_get"] = (ratings(), recorded())
        async with client.post(links[3], data={"comment": "no csrf"}) as forged:
            seen["no_csrf"] = forged.status
        csrf = CSRF.search(seen["page"][1]).group(1)  # type: ignore[union-attr]
        async with client.post(links[3], data={"csrf": csrf, "rating": "4",
                                               "comment": "Quick and kind."}) as answer:
            seen["thanks"] = (str(answer.url), await answer.text())
        async with client.get(links[1]) as page:  # later: "2" after all
            csrf = CSRF.search(await page.text()).group(1)  # type: ignore[union-attr]
        async with client.post(links[1], data={"csrf": csrf, "rating": "2",
                                               "comment": "It jams again."}) as answer:
            seen["changed"] = str(answer.url)
        tampered = links[4].replace(".5.", ".1.", 1)  # another rating, same signature
        async with client.get(tampered) as page:
            seen["tampered"] = (page.status, await page.text())
        async with client.get(f"{base}/csat/1.1.1.5.99.{'A' * 32}") as page:
            seen["forged"] = page.status
        return seen

    seen = browse(rate)
    assert seen["page"][0] == 200
    assert "How satisfied are you?" in seen["page"][1]
    assert 'value="4" checked' in seen["page"][1]
    assert "samesite=strict" in seen["cookie"] and "httponly" in seen["cookie"]
    assert seen["after_get"] == ([], (None, ""))  # the GET recorded nothing
    assert seen["no_csrf"] == 403
    assert seen["thanks"][0].endswith("?done=recorded")
    assert "Thank you for your rating!" in seen["thanks"][1]
    assert seen["changed"].endswith("?done=changed")
    assert seen["tampered"][0] == 403 and "This link does not work" in seen["tampered"][1]
    assert seen["forged"] == 403
    assert recorded() == (2, "It jams again.")
    first, second = ratings()
    assert {k: first[k] for k in ("rating", "scale", "comment", "channel")} == {
        "rating": 4, "scale": "1-5", "comment": "Quick and kind.", "channel": "web"}
    assert second["rating"] == 2 and second["changed"] is True
    # the shipped rule: a low rating tells the team lead, with the comment
    lead = wait_for(lambda: [m for m in read_outgoing(desk.outgoing)
                             if m["To"].addresses[0].addr_spec == "lead@example.com"
                             and "Low satisfaction rating" in m["Subject"]])
    assert "It jams again." in text_of(lead[0])
    assert status() == "resolved"

    # a reply that is only a digit is a rating, not a reopening
    send_mail(desk, reply_to(survey, "5\n", sender=CUSTOMER, message_id="<five@customer.example>"))
    wait_for(processed(3))
    assert recorded()[0] == 5
    assert ratings()[-1]["channel"] == "email"
    assert status() == "resolved"

    # an agent's address answering the survey with "1" records nothing
    send_mail(desk, reply_to(survey, "1\n", sender="agent.en@example.com",
                             message_id="<one@example.com>"))
    wait_for(processed(4))
    assert recorded()[0] == 5
    assert len(ratings()) == 3

    # what an operator reads: one rating per resolution, the latest
    shown = postdesk(desk.settings, "ticket", "show", "1", "--json")
    assert shown.returncode == 0, shown.stderr
    csat = json.loads(shown.stdout)["csat"]
    assert [(c["rating"], c["scale"], c["comment"], c["channel"]) for c in csat] == [
        (5, "1-5", "", "email")]
    assert csat[0]["at"]
    text = postdesk(desk.settings, "ticket", "show", "1").stdout
    assert "Satisfaction 5 of 5" in text
    assert "satisfaction rated 2 (1-5, web) - changed" in text


def test_a_survey_held_for_its_delay_is_cancelled_when_the_ticket_reopens(
        make_settings, sqlite_url, start_daemon):
    from postdesk.channels.email.sender import send_outbox
    from postdesk.config import runtime

    desk = start(make_settings, sqlite_url, start_daemon, csat_delay_minutes=60)
    agent_writes(desk, "#resolve\n", 2)
    with database.connection_context():
        held = wait_for(lambda: Outbox.get_or_none(Outbox.kind == "satisfaction_survey"))
        assert held.not_before is not None
        assert held.not_before - held.created_at == timedelta(minutes=60)
    assert surveys(desk) == []  # not before the delay
    send_mail(desk, customer_mail(subject="Re: [#1] Printer on fire",
                                  body="Sorry, it is on fire again.\n",
                                  message_id="<again@customer.example>"))
    wait_for(processed(3))
    assert status() != "resolved"
    with database.connection_context():
        state = send_outbox(held.id, runtime.current(), now=held.not_before + timedelta(1))
        assert state == "dropped"
        assert Outbox.get_by_id(held.id).state == "dropped"
        assert Event.select().where(Event.kind == "satisfaction.cancelled").count() == 1
    assert surveys(desk) == []


def test_a_rating_posted_from_an_agents_signed_in_browser_does_not_count(desk):
    agent_writes(desk, "#resolve\nThe fuser unit was replaced.\n", 2)
    links = RATING_LINK.findall(text_of(wait_for(lambda: surveys(desk))[0]))
    signed_in = sign_in_link(desk)  # agent.en@example.com asks for a /reports link
    base = f"http://{desk.settings.web.listen}"

    async def post_rating(client: aiohttp.ClientSession, link: str) -> tuple[int, str]:
        async with client.get(link) as page:
            csrf = CSRF.search(await page.text()).group(1)  # type: ignore[union-attr]
        async with client.post(link, data={"csrf": csrf, "rating": "5",
                                           "comment": "Great agent, says the agent."}
                               ) as answer:
            return answer.status, await answer.text()

    async def as_agent(client: aiohttp.ClientSession) -> dict[str, Any]:
        async with client.get(signed_in, allow_redirects=False) as arrival:
            cookies = arrival.headers.getall("Set-Cookie")
        async with client.get(f"{base}/reports") as page:
            reports = page.status
        return {"cookies": cookies, "reports": reports,
                "rating": await post_rating(client, links[4]), "after": recorded()}

    seen = browse(as_agent)
    assert seen["reports"] == 200  # signed in, as the agent wanted
    marker = next(c for c in seen["cookies"] if c.startswith("postdesk_agent_csat="))
    attributes = marker.lower()
    assert "path=/csat" in attributes and "httponly" in attributes
    assert "samesite=strict" in attributes
    status, page = seen["rating"]
    assert status == 403
    assert "This rating was not recorded" in page and "signed in as an agent" in page
    assert seen["after"] == (None, "") and ratings() == []

    async def marker_as_session(client: aiohttp.ClientSession) -> int:
        value = marker.split(";")[0].split("=", 1)[1]
        async with client.get(f"{base}/reports",
                              headers={"Cookie": f"postdesk_agent={value}"}) as page:
            return page.status

    assert browse(marker_as_session) == 403  # the marker is no session for the reports

    async def as_customer(client: aiohttp.ClientSession) -> tuple[int, str]:
        return await post_rating(client, links[4])

    status, page = browse(as_customer)  # the customer's own browser: recorded
    assert status == 200 and "Thank you for your rating!" in page
    assert recorded() == (5, "Great agent, says the agent.")
