"""`/reports` for agents on a real `postdesk serve` (SQLite, maildir out).

Refused without a session; the sign-in form answers alike for an agent and a
stranger, and only the agent gets a link; the link sets an HttpOnly,
SameSite=Lax cookie for /reports, after which the KPI report is served with
the period and grouping of the query. A customer's session, a tampered link
and a bad query get nothing.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from mailbuild import mails_to, read_outgoing, wait_for
from web.page_client import first_acknowledgment, page_link
from web.test_ticket_page import CSRF, browse

AGENT = "agent.en@example.com"
TEAMS = f"""teams:
  - name: support
    agents:
      - {{email: {AGENT}, name: "Support EN"}}
"""
SIGN_IN_LINK = re.compile(r"https?://\S+/reports/session/[A-Za-z0-9._-]+")


@pytest.fixture
def desk(make_settings, sqlite_url, start_daemon):
    settings = make_settings(sqlite_url)
    (Path(settings.path(settings.paths.rules)) / "teams.yaml").write_text(TEAMS)
    return start_daemon(settings)


def sign_in_link(desk) -> str:
    """Ask for a link for the agent and for a stranger; the agent's link from the mail."""
    base = f"http://{desk.settings.web.listen}"

    async def ask(client: aiohttp.ClientSession) -> list[str]:
        async with client.get(f"{base}/reports/sign-in") as page:
            token = CSRF.search(await page.text()).group(1)
        answers = []
        for address in (AGENT, "stranger@elsewhere.example"):
            async with client.post(f"{base}/reports/sign-in",
                                   data={"csrf": token, "email": address}) as answer:
                answers.append(await answer.text())
        return answers

    agent_answer, stranger_answer = browse(ask)
    assert agent_answer == stranger_answer
    assert "If this is an agent address of the desk" in agent_answer
    mail = wait_for(lambda: [m for m in mails_to(desk, AGENT) if "sign-in" in m["Subject"]])[0]
    assert mails_to(desk, "stranger@elsewhere.example") == []
    return SIGN_IN_LINK.search(mail.get_body(("plain",)).get_content()).group(0)


def test_an_agent_signs_in_by_mailed_link_and_sees_the_kpi_report(desk):
    first_acknowledgment(desk)  # one ticket to count
    base = f"http://{desk.settings.web.listen}"

    async def before(client: aiohttp.ClientSession) -> tuple[int, str]:
        async with client.get(f"{base}/reports") as answer:
            return answer.status, await answer.text()

    status, html = browse(before)
    assert status == 403 and "Please sign in" in html and "KPIs" not in html

    link = sign_in_link(desk)

    async def signed_in(client: aiohttp.ClientSession) -> dict[str, Any]:
        async with client.get(link, allow_redirects=False) as arrival:
            seen: dict[str, Any] = {"arrival": arrival.status,
                                    "cookie": arrival.headers["Set-Cookie"],
                                    "location": arrival.headers["Location"]}
        async with client.get(f"{base}/reports") as page:
            seen["page"] = (page.status, await page.text(), dict(page.headers))
        async with client.get(f"{base}/reports?by=agent&since=2020-01-01&until=2099-12-31"
                              ) as page:
            seen["by_agent"] = (page.status, await page.text())
        async with client.get(f"{base}/reports?by=colour") as page:
            seen["bad"] = page.status
        return seen

    seen = browse(signed_in)
    assert seen["arrival"] == 303 and seen["location"] == "/reports"
    cookie = seen["cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/reports" in cookie
    assert "max-age=" in cookie and "secure" not in cookie  # plain http on loopback
    status, html, headers = seen["page"]
    assert status == 200 and "<h1>KPIs by team</h1>" in html
    assert "script" not in headers["Content-Security-Policy"]
    assert "style-src 'self' 'sha256-" in headers["Content-Security-Policy"]
    assert headers["Cache-Control"] == "no-store"
    status, html = seen["by_agent"]
    assert status == 200 and "<h1>KPIs by agent</h1>" in html
    assert '<option value="agent" selected>' in html  # the options bar shows the choice
    assert 'name="since" value="2020-01-01"' in html
    assert seen["bad"] == 400


def test_a_customer_session_and_a_tampered_link_open_no_report(desk):
    customer_link = page_link(first_acknowledgment(desk))
    link = sign_in_link(desk)
    base = f"http://{desk.settings.web.listen}"
    tampered = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")

    async def attempts(client: aiohttp.ClientSession) -> dict[str, int]:
        async with client.get(customer_link, allow_redirects=False) as arrival:
            session = arrival.cookies["postdesk_ticket"].value
        seen = {}
        async with client.get(f"{base}/reports",
                              headers={"Cookie": f"postdesk_agent={session}"}) as answer:
            seen["customer"] = answer.status
        async with client.get(tampered, allow_redirects=False) as answer:
            seen["tampered"] = answer.status
            seen["tampered_cookie"] = len(answer.headers.getall("Set-Cookie", []))
        return seen

    assert browse(attempts) == {"customer": 403, "tampered": 403, "tampered_cookie": 0}
    assert len([m for m in read_outgoing(desk.outgoing) if "sign-in" in m["Subject"]]) == 1


@pytest.mark.parametrize(("language", "expected"), [
    ("pl", ("<h1>Wskaźniki według zespołów</h1>", "Wszystkie dane", "utworzone zgłoszenia",
            "<th>Zespół</th>", "Grupowanie", ">Rodzaj zgłoszenia</option>")),
    ("de", ("<h1>Kennzahlen nach Team</h1>", "Alle Zahlen", "erstellte Tickets",
            "<th>Team</th>", "Gruppiert nach", ">Anfrageart</option>",
            "Gelöste Tickets pro Woche")),
])
def test_the_report_is_in_the_signed_in_agent_s_language(make_settings, sqlite_url,
                                                         start_daemon, language, expected):
    settings = make_settings(sqlite_url)
    (Path(settings.path(settings.paths.rules)) / "teams.yaml").write_text(
        TEAMS.replace('name: "Support EN"}', f'name: "Support", language: {language}}}'))
    desk = start_daemon(settings)
    first_acknowledgment(desk)  # one ticket to count
    base = f"http://{desk.settings.web.listen}"

    async def sign_in(client: aiohttp.ClientSession) -> None:
        async with client.get(f"{base}/reports/sign-in") as page:
            token = CSRF.search(await page.text()).group(1)
        async with client.post(f"{base}/reports/sign-in",
                               data={"csrf": token, "email": AGENT}):
            pass

    browse(sign_in)
    mail = wait_for(lambda: [m for m in mails_to(desk, AGENT)
                             if SIGN_IN_LINK.search(m.get_body(("plain",)).get_content())])[0]
    link = SIGN_IN_LINK.search(mail.get_body(("plain",)).get_content()).group(0)

    async def report(client: aiohttp.ClientSession) -> tuple[int, str, dict[str, str]]:
        async with client.get(link) as page:  # -> /reports
            return page.status, await page.text(), dict(page.headers)

    status, html, headers = browse(report)
    assert status == 200 and headers["Content-Language"] == language
    assert f'<html lang="{language}">' in html
    for text in expected:
        assert text in html
    assert "KPIs by team" not in html and "All figures" not in html
