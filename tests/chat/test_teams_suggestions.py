"""Articles suggested in a Teams help thread (issue 21): the acknowledgment's Adaptive Card
carries the requester's "This solved it" / "I still need help" as `Action.Submit` buttons
in their language, and a press of "This solved it" resolves the ticket as self-served
while the agents' held new-ticket mail is never sent.

Real parts: a migrated SQLite desk, the Teams edge (the Microsoft 365 Agents SDK) against
the loopback Bot Connector, the receive chain and the chat sender.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from chat.teams_server import require_agents_sdk

require_agents_sdk()

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
from postdesk.channels.chat_sender import ChatSender  # noqa: E402
from postdesk.channels.teams.edge import TeamsPlatform  # noqa: E402
from postdesk.config.runtime import Runtime  # noqa: E402
from postdesk.config.settings import Settings  # noqa: E402
from postdesk.store.chat_inbound import store_chat_event  # noqa: E402
from postdesk.store.models import Event, Outbox, Ticket  # noqa: E402
from postdesk.store.read_pool import ReadPool  # noqa: E402
from postdesk.worker.process import process_many  # noqa: E402

ANNA = "6f1c0a52-0000-4000-8000-00000000a11a"
CHANNELS = f'channels:\n  - {{platform: teams, channel: "{CHANNEL}", mode: help, ' \
           f'team: support}}\n'
TEAMS = """teams:
  - name: support
    agents:
      - {email: agent@example.com, name: "Alex Agent"}
"""


@pytest.fixture
def runtime(migrated: str, make_settings: Callable[..., Settings]) -> Iterator[Runtime]:
    yield from chat_runtime(migrated, make_settings, CHANNELS, TEAMS, kb_chat_wait_minutes=10)


def test_this_solved_it_on_the_teams_card_resolves_self_served_and_no_agent_hears(
        runtime: Runtime) -> None:
    async def scenario() -> None:
        server = TeamsLoopback()
        await server.start()
        anna = server.add_member(ANNA, "Anna", "anna@customer.example")
        received, keep = list_intake()
        edge = TeamsPlatform(app_id=APP_ID, tenant_id=TENANT_ID,
                             listen=f"127.0.0.1:{free_port()}",
                             openid_metadata=server.openid_metadata,
                             api_url=server.service_url, tokens=LoopbackTokens(server))
        reads = ReadPool(threads=1)
        try:
            await edge.start(keep)
            bot = f"http://{edge.address}"
            root = server.message(anna, "Jak zresetować hasło? Zapomniałam hasła do konta")
            await server.deliver(bot, root)
            [outcome] = process_many([store_chat_event(received[-1])], runtime)
            ticket_id = outcome.ticket_id
            sender = ChatSender({"teams": edge}, runtime, reads)
            await sender.send_due()  # the acknowledgment
            card = server.posted[-1]
            assert card["thread"] == root["id"]
            content = card["attachments"][0]["content"]
            assert "Resetowanie hasła" in str(content["body"])
            titles = [action["title"] for action in content["actions"]]
            assert titles[:2] == ["To rozwiązało problem", "Nadal potrzebuję pomocy"]
            mail = Outbox.get((Outbox.ticket == ticket_id)
                              & (Outbox.kind == "agent_new_ticket"))
            assert mail.state == "pending"
            assert mail.next_attempt_at > datetime.now(UTC) + timedelta(minutes=9)

            press = server.card_submit(anna, card, "To rozwiązało problem", root["id"])
            assert (await server.deliver(bot, press))[0] in (200, 202)
            [pressed] = process_many([store_chat_event(received[-1])], runtime)
            assert pressed.state == "done", pressed
        finally:
            await asyncio.to_thread(reads.close)
            await edge.stop()
            await server.stop()
        ticket = Ticket.get_by_id(ticket_id)
        assert ticket.status == "resolved"
        served = Event.get((Event.ticket == ticket_id) & (Event.kind == "kb.self_served"))
        assert served.data["how"] == "chat" and served.data["articles"] == ["password-reset"]
        assert Outbox.get_by_id(mail.id).state == "dropped"

    asyncio.run(scenario())
