"""The customer's ticket page, served by a real `postdesk serve` (SQLite, SMTP in).

Mail in -> the acknowledgment links to the page -> the link is traded for a
cookie and leaves the URL -> the page shows the public thread, never the
internal note -> a reply posted with the CSRF token joins the ticket as the
customer's message. Forged, revoked and expired links, and a POST without the
CSRF token, are refused with a page, not a stack trace.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp  # the dev extra has it
import pytest

from mailbuild import customer_mail, mails_to, processed, send_mail, wait_for
from web.page_client import CUSTOMER, first_acknowledgment, page_link, postdesk

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def desk(make_settings, sqlite_url, start_daemon):
    return start_daemon(make_settings(sqlite_url))


def browse(test: Callable[[aiohttp.ClientSession], Awaitable[Any]]) -> Any:
    async def run() -> Any:
        jar = aiohttp.CookieJar(unsafe=True)  # 127.0.0.1 is an IP address
        async with aiohttp.ClientSession(cookie_jar=jar) as client:
            return await test(client)

    return asyncio.run(run())


def ticket_messages(desk) -> list[tuple[str, str, str]]:
    from postdesk.store.db import database
    from postdesk.store.models import Message

    with database.connection_context():
        return [(m.direction, m.visibility, m.text) for m in
                Message.select().where(Message.ticket == 1).order_by(Message.id)]


def test_link_from_mail_opens_the_public_thread_and_a_reply_joins_the_ticket(desk):
    link = page_link(first_acknowledgment(desk))
    assert link.startswith(f"http://{desk.settings.web.listen}/t/")
    noted = postdesk(desk.settings, "ticket", "note", "1", "Customer is on the VIP list")
    assert noted.returncode == 0, noted.stderr

    async def visit(client: aiohttp.ClientSession) -> dict[str, Any]:
        async with client.get(link, allow_redirects=False) as arrival:
            cookie = arrival.headers.getall("Set-Cookie")[0]
            location = arrival.headers["Location"]
            status = arrival.status
        async with client.get(f"http://{desk.settings.web.listen}{location}") as page:
            html = await page.text()
            headers = page.headers
        posted = await client.post(f"http://{desk.settings.web.listen}{location}/reply",
                                   data={"csrf": CSRF.search(html).group(1),
                                         "text": "It is still smoking, please hurry."})
        return {"status": status, "location": location, "cookie": cookie, "html": html,
                "headers": headers, "after": await posted.text(), "url": str(posted.url)}

    seen = browse(visit)
    assert seen["status"] == 303
    assert seen["location"] == "/ticket/1"  # the token left the URL
    cookie = seen["cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/ticket/1" in cookie
    assert "secure" not in cookie  # plain http on loopback
    assert "Printer on fire" in seen["html"]
    assert "my printer is on fire." in seen["html"]
    assert "VIP" not in seen["html"]  # the internal note stays inside
    assert "Received" in seen["html"]  # the customer-facing status, not "new"
    assert seen["headers"]["Cache-Control"] == "no-store"
    assert seen["headers"]["Referrer-Policy"] == "no-referrer"
    assert "script-src" not in seen["headers"]["Content-Security-Policy"]
    assert "default-src 'none'" in seen["headers"]["Content-Security-Policy"]
    assert seen["url"].endswith("/ticket/1?done=sent")
    assert "Your reply was sent" in seen["after"]
    wait_for(processed(2))
    assert ("in", "public", "It is still smoking, please hurry.") in [
        (d, v, t.strip()) for d, v, t in ticket_messages(desk)]


def test_forged_expired_and_revoked_links_and_a_post_without_csrf_are_refused(desk):
    link = page_link(first_acknowledgment(desk))
    base = f"http://{desk.settings.web.listen}"
    head, _, signature = link.rpartition(".")
    ticket, _customer, _version, expires = head.rpartition("/t/")[2].split(".")
    other_ticket = link.replace(f"/t/{ticket}.", "/t/2.", 1)
    stretched = link.replace(f".{expires}.", f".{int(expires) + 1}.", 1)

    async def attempts(client: aiohttp.ClientSession) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for name, url in (("bad_signature", f"{head}.{'A' * len(signature)}"),
                          ("other_ticket", other_ticket), ("stretched", stretched),
                          ("garbage", f"{base}/t/%3Cscript%3E")):
            async with client.get(url, allow_redirects=False) as answer:
                seen[name] = (answer.status, await answer.text(),
                              answer.headers.getall("Set-Cookie", []))
        async with client.get(f"{base}/ticket/1", allow_redirects=False) as answer:
            seen["no_session"] = answer.status
        async with client.get(link, allow_redirects=False):
            pass  # a real session now
        async with client.post(f"{base}/ticket/1/reply",
                               data={"text": "cross-site post"}) as answer:
            seen["no_csrf"] = (answer.status, await answer.text())
        async with client.post(f"{base}/ticket/1/solved", data={"csrf": "x" * 32}) as answer:
            seen["wrong_csrf"] = answer.status
        async with client.get(f"{base}/ticket/1/solved", allow_redirects=False) as answer:
            seen["get_solved"] = answer.status
        return seen

    seen = browse(attempts)
    for name in ("bad_signature", "other_ticket", "stretched", "garbage"):
        status, html, cookies = seen[name]
        assert status == 403, name
        assert "This link does not work" in html and "Traceback" not in html
        assert cookies == [], name
    assert seen["no_session"] == 403
    assert seen["no_csrf"][0] == 403
    assert seen["wrong_csrf"] == 403
    assert seen["get_solved"] == 405  # no side effects on GET
    wait_for(processed(1))
    assert [d for d, _, _ in ticket_messages(desk)].count("in") == 1  # nothing was posted
    assert all("cross-site" not in t for _, _, t in ticket_messages(desk))

    revoked = postdesk(desk.settings, "ticket", "revoke-links", "1")
    assert revoked.returncode == 0, revoked.stderr

    async def replay(client: aiohttp.ClientSession) -> tuple[int, str]:
        async with client.get(link, allow_redirects=False) as answer:
            return answer.status, await answer.text()

    status, html = browse(replay)
    assert status == 410
    assert "This link is no longer valid" in html


def test_behind_https_links_use_base_url_and_the_cookie_is_secure(make_settings, sqlite_url,
                                                                  start_daemon):
    desk = start_daemon(make_settings(sqlite_url, web_base_url="https://help.example.com/"))
    link = page_link(first_acknowledgment(desk))
    assert link.startswith("https://help.example.com/t/")
    token = link.rpartition("/t/")[2]

    async def arrive(client: aiohttp.ClientSession) -> str:
        async with client.get(f"http://{desk.settings.web.listen}/t/{token}",
                              allow_redirects=False) as answer:
            return answer.headers["Set-Cookie"]

    assert "; Secure" in browse(arrive)


def test_a_file_of_the_thread_downloads_and_nothing_else_does(desk):
    mail = customer_mail(subject="Invoice wrong")
    mail.add_attachment(b"%PDF-1.4 the invoice", maintype="application", subtype="pdf",
                        filename="faktura żółta.pdf")
    send_mail(desk, mail)
    link = page_link(wait_for(lambda: mails_to(desk, CUSTOMER))[0])
    base = f"http://{desk.settings.web.listen}"

    async def fetch(client: aiohttp.ClientSession) -> dict[str, Any]:
        async with client.get(link) as page:
            html = await page.text()
        href = re.search(r'href="(/ticket/1/files/\d+)"', html).group(1)
        async with client.get(base + href) as answer:
            file = (answer.status, await answer.read(), dict(answer.headers))
        async with client.get(f"{base}/ticket/1/files/999") as answer:
            missing = answer.status
        return {"file": file, "missing": missing}

    seen = browse(fetch)
    status, body, headers = seen["file"]
    assert status == 200 and body == b"%PDF-1.4 the invoice"
    assert headers["Content-Type"] == "application/octet-stream"  # never rendered here
    assert headers["Content-Disposition"].startswith("attachment;")
    assert "UTF-8''faktura%20%C5%BC%C3%B3%C5%82ta.pdf" in headers["Content-Disposition"]
    assert seen["missing"] == 404


def test_too_many_requests_for_one_ticket_get_a_429_page(make_settings, sqlite_url,
                                                         start_daemon):
    desk = start_daemon(make_settings(sqlite_url, web_rate_per_token=3))
    link = page_link(first_acknowledgment(desk))

    async def hammer(client: aiohttp.ClientSession) -> list[int]:
        statuses = []
        async with client.get(link, allow_redirects=False) as answer:  # 1
            statuses.append(answer.status)
        for _ in range(3):  # 2, 3, then over
            async with client.get(f"http://{desk.settings.web.listen}/ticket/1") as answer:
                statuses.append(answer.status)
        return statuses

    assert browse(hammer) == [303, 200, 200, 429]
