"""Files from an agent's mail reach a Teams thread (issue 20): a bot cannot upload into a
Teams channel, so the post links each file to a signed, expiring download link on the
desk's web server; small images stay inline.

Real parts: a migrated SQLite desk, the receive chain for the Teams message and the
agent's mail, the chat sender through the Teams edge (the Microsoft 365 Agents SDK)
against the loopback Bot Connector, and the desk's web server over HTTP on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from chat.teams_server import require_agents_sdk

require_agents_sdk()

from aiohttp import ClientSession  # noqa: E402

from chat.chat_desk import chat_runtime  # noqa: E402
from chat.intake_list import list_intake  # noqa: E402
from chat.teams_server import (  # noqa: E402
    APP_ID,
    CHANNEL,
    TENANT_ID,
    LoopbackTokens,
    TeamsLoopback,
)
from conftest import free_port  # noqa: E402
from mailbuild import customer_mail  # noqa: E402
from postdesk.channels.chat_sender import ChatSender  # noqa: E402
from postdesk.channels.teams.edge import TeamsPlatform  # noqa: E402
from postdesk.channels.web.app import WebDesk, start_server  # noqa: E402
from postdesk.config.runtime import Runtime  # noqa: E402
from postdesk.config.settings import Settings  # noqa: E402
from postdesk.mail.file_token import FileToken, file_url  # noqa: E402
from postdesk.mail.parse import Attachment as ParsedAttachment  # noqa: E402
from postdesk.store.chat_inbound import store_chat_event  # noqa: E402
from postdesk.store.chat_store import (  # noqa: E402
    help_thread_of,
    queue_post,
)
from postdesk.store.db import database  # noqa: E402
from postdesk.store.inbound import Arrival, store_inbound  # noqa: E402
from postdesk.store.models import Attachment, Message, Outbox, Ticket  # noqa: E402
from postdesk.store.read_pool import ReadPool  # noqa: E402
from postdesk.tickets import service  # noqa: E402
from postdesk.tickets.file_links import file_links  # noqa: E402
from postdesk.worker.process import process_many  # noqa: E402

ANNA = "6f1c0a52-0000-4000-8000-00000000a11a"
CHANNELS = f'channels:\n  - {{platform: teams, channel: "{CHANNEL}", mode: help}}\n'
TEAMS = """teams:
  - name: support
    agents:
      - {email: agent@example.com, name: "Alex Agent"}
"""
MANUAL = b"%PDF-1.4 printer manual " * 2000  # 48 KB: never inline
SCREENSHOT = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40  # a small image: inline
LINK = re.compile(r"\[([^\]]+)\]\((http://[^)]+)\)")


@pytest.fixture
def runtime(migrated: str, make_settings: Callable[..., Settings]) -> Iterator[Runtime]:
    yield from chat_runtime(migrated, make_settings, CHANNELS, TEAMS)


@pytest.fixture
def runtime_without_web(migrated: str, make_settings: Callable[..., Settings]
                        ) -> Iterator[Runtime]:
    yield from chat_runtime(migrated, make_settings, CHANNELS, TEAMS, web_listen="")


def agent_mail(runtime: Runtime, ticket_id: int, body: str, files: list[tuple[str, str, bytes]],
               number: int) -> None:
    """The agent answers the desk's notification by mail, with files; processed."""
    notification = Outbox.get((Outbox.ticket == ticket_id)
                              & (Outbox.recipient == "agent@example.com"))
    reply = customer_mail(sender="Alex Agent <agent@example.com>",
                          to=notification.headers["reply_to"], subject="Re: help",
                          body=body, message_id=f"<agent-{number}@example.com>",
                          headers={"In-Reply-To": notification.message_id})
    for name, content_type, data in files:
        maintype, subtype = content_type.split("/")
        reply.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    process(runtime, reply)


def process(runtime: Runtime, mail: EmailMessage) -> None:
    inbound = store_inbound(Arrival(raw=mail.as_bytes(), mail_from="agent@example.com",
                                    rcpt_to=[str(mail["To"])], source="smtp", peer=""))
    [outcome] = process_many([inbound], runtime)
    assert getattr(outcome, "state", "") == "done", outcome


async def teams_thread(runtime: Runtime, scenario: Callable[..., Any]) -> None:
    """A help-channel message in Teams opens a ticket; `scenario(server, sender, ticket_id,
    root)` then runs with the chat sender posting through the Teams edge."""
    server = TeamsLoopback()
    await server.start()
    server.add_member(ANNA, "Anna", "anna@customer.example")
    received, keep = list_intake()
    edge = TeamsPlatform(app_id=APP_ID, tenant_id=TENANT_ID, listen=f"127.0.0.1:{free_port()}",
                         openid_metadata=server.openid_metadata, api_url=server.service_url,
                         tokens=LoopbackTokens(server))
    reads = ReadPool(threads=1)
    try:
        await edge.start(keep)
        root = server.message(server.members[ANNA], "help: the printer")
        await server.deliver(f"http://{edge.address}", root)
        [event] = received
        inbound = store_chat_event(event)
        assert inbound is not None
        [outcome] = process_many([inbound], runtime)
        sender = ChatSender({"teams": edge}, runtime, reads)
        await sender.send_due()  # the acknowledgment
        await scenario(server, sender, outcome.ticket_id, root["id"])
    finally:
        await asyncio.to_thread(reads.close)
        await edge.stop()
        await server.stop()


async def web_server(runtime: Runtime) -> Any:
    async def no_store(_arrival: Arrival) -> int:
        raise AssertionError("nothing is posted to the page here")

    host, _, port = runtime.settings.web.listen.rpartition(":")
    return await start_server(WebDesk(runtime, no_store, lambda _id: None), host, int(port))


def test_an_agents_pdf_reaches_the_teams_thread_as_a_link_that_downloads_it(
        runtime: Runtime) -> None:
    async def scenario(server: TeamsLoopback, sender: ChatSender, ticket_id: int,
                       root: str) -> None:
        agent_mail(runtime, ticket_id, "Here is the manual.\n",
                   [("Instrukcja obsługi.pdf", "application/pdf", MANUAL),
                    ("screen.png", "image/png", SCREENSHOT)], 1)
        assert await sender.send_due() == 1
        answer = server.posted[-1]
        assert answer["thread"] == root
        assert "Here is the manual." in answer["text"]
        [(label, url)] = LINK.findall(answer["text"])
        assert label == "Instrukcja obsługi.pdf"
        # in the requester's language (Teams said pl-PL)
        assert answer["text"].endswith("(link do pobrania, ważny 30 dni)")
        [image] = answer["attachments"]  # the screenshot stays inline
        assert image["name"] == "screen.png" and image["contentUrl"].startswith(
            "data:image/png;base64,")

        runner = await web_server(runtime)
        try:
            async with ClientSession() as client:
                async with client.get(url) as response:
                    assert response.status == 200
                    assert await response.read() == MANUAL
                    assert response.headers["Content-Disposition"].startswith("attachment;")
                    assert "Instrukcja%20obs%C5%82ugi.pdf" in \
                        response.headers["Content-Disposition"]
                    assert response.headers["Content-Type"] == "application/octet-stream"
                    assert response.headers["Cache-Control"] == "no-store"
                    assert "default-src 'none'" in response.headers["Content-Security-Policy"]

                signature = url[-1]
                tampered = url[:-1] + ("A" if signature != "A" else "B")
                another_file = re.sub(r"/f/(\d+)\.(\d+)\.", lambda m: f"/f/{m[1]}."
                                      f"{int(m[2]) + 1}.", url)
                for refused in (tampered, another_file):
                    async with client.get(refused) as response:
                        assert response.status == 403
                        assert "text/html" in response.headers["Content-Type"]
                        assert MANUAL not in await response.read()

                attachment = int(re.findall(r"/f/\d+\.(\d+)\.", url)[0])
                version = Ticket.get_by_id(ticket_id).link_version
                expired = file_url(runtime.settings.web.public_base(),
                                   runtime.settings.desk.secret,
                                   FileToken(ticket_id, attachment, version,
                                             int(datetime.now(UTC).timestamp()) - 1))
                async with client.get(expired) as response:
                    assert response.status == 410
                    assert MANUAL not in await response.read()

                # `postdesk ticket revoke-links` revokes the file links too
                with database.atomic():
                    service.revoke_links(Ticket.get_by_id(ticket_id), actor="operator:root",
                                         now=datetime.now(UTC))
                async with client.get(url) as response:
                    assert response.status == 410
                    assert MANUAL not in await response.read()
        finally:
            await runner.cleanup()

    asyncio.run(teams_thread(runtime, scenario))


def test_an_internal_notes_file_never_gets_a_link_nor_is_served(runtime: Runtime) -> None:
    secret_plan = b"%PDF-1.4 internal plan " * 100

    async def scenario(server: TeamsLoopback, sender: ChatSender, ticket_id: int,
                       _root: str) -> None:
        # an internal note with a file (agents' mail and chat keep notes' files out
        # today; the store takes them, so the link must refuse them whatever adds one)
        with database.atomic():
            ticket = Ticket.get_by_id(ticket_id)
            service.add_message(
                ticket, direction="out", visibility="internal",
                author_email="agent@example.com", author_name="Alex Agent", subject="",
                text="Our internal plan", body="Our internal plan", html=None,
                message_id=None, inbound=None, now=datetime.now(UTC),
                attachments=[ParsedAttachment("plan.pdf", "application/pdf", secret_plan,
                                              None, False)])
        note = Message.get((Message.ticket == ticket_id) & (Message.visibility == "internal"))
        [attachment] = Attachment.select().where(Attachment.message == note.id)
        assert file_links(runtime.settings, ticket_id, [attachment.id],
                          datetime.now(UTC)) == {}
        # a chat post naming it (as a bug could) carries neither the file nor a link
        queue_post(help_thread_of(ticket_id), kind="agent_reply",
                   context={"message": {"text": "See the plan"}}, language="en",
                   attachments=[attachment.id], now=datetime.now(UTC))
        assert await sender.send_due() == 1
        text = server.posted[-1]["text"]
        assert "See the plan" in text and "/f/" not in text

        # even a link signed with the desk's own secret serves no note's file
        forged = file_url(runtime.settings.web.public_base(), runtime.settings.desk.secret,
                          FileToken(ticket_id, attachment.id,
                                    Ticket.get_by_id(ticket_id).link_version,
                                    int(datetime.now(UTC).timestamp()) + 3600))
        runner = await web_server(runtime)
        try:
            async with ClientSession() as client, client.get(forged) as response:
                assert response.status == 404
                assert secret_plan not in await response.read()
        finally:
            await runner.cleanup()

    asyncio.run(teams_thread(runtime, scenario))


def test_without_the_web_page_the_post_names_the_file_and_points_to_the_mail(
        runtime_without_web: Runtime) -> None:
    async def scenario(server: TeamsLoopback, sender: ChatSender, ticket_id: int,
                       _root: str) -> None:
        agent_mail(runtime_without_web, ticket_id, "Here is the manual.\n",
                   [("manual.pdf", "application/pdf", MANUAL)], 3)
        assert await sender.send_due() == 1
        text = server.posted[-1]["text"]
        assert text.endswith("📎 Załącznik: manual.pdf, zobacz wiadomość e-mail")
        assert "http" not in text

    asyncio.run(teams_thread(runtime_without_web, scenario))


def test_the_link_lifetime_is_a_setting(tmp_path: Path,
                                        make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(web_file_link_days="7")
    assert settings.web.file_link_days == 7
    from postdesk.config.validate import ConfigError, validate

    with pytest.raises(ConfigError, match=r"file_link_days.*at least 1"):
        validate(make_settings(web_file_link_days="0"))
