"""Fixtures of the Matrix tests: one real Synapse per test process, a fresh room per test.

Skipped when `.venv-synapse` is missing (`make synapse` builds it); under CI=true that
is a failure, and `.ci/run` builds it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from chat.synapse import MatrixUser, SynapseServer, synapse_available
from conftest import free_port, require_service
from postdesk.channels.matrix import MatrixPlatform
from postdesk.chat.model import ChatEvent


@dataclass
class Homeserver:
    server: SynapseServer
    bot: MatrixUser  # the desk's account, a server admin
    agent: MatrixUser  # validated email agent@example.org
    customer: MatrixUser  # validated email customer@example.org
    stranger: MatrixUser  # no email at all


@pytest.fixture(scope="session")
def homeserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Homeserver]:
    if not synapse_available():
        require_service("Synapse", "no .venv-synapse (run `make synapse`)")
    server = SynapseServer(tmp_path_factory.mktemp("synapse"), free_port())
    server.start()
    try:
        bot = server.register("helpdesk", admin=True)
        agent = server.register("agent")
        customer = server.register("customer")
        stranger = server.register("stranger")
        agent.set_verified_email(bot, "agent@example.org")
        customer.set_verified_email(bot, "Customer@Example.org")
        yield Homeserver(server, bot, agent, customer, stranger)
    finally:
        server.stop()


@pytest.fixture
def help_room(homeserver: Homeserver) -> str:
    """A new public help room: made by the agent, the desk invited (and in it, as after
    its first start), the others joined."""
    room = homeserver.agent.create_room("Help", [homeserver.bot.user_id])
    homeserver.bot.join(room)
    homeserver.customer.join(room)
    homeserver.stranger.join(room)
    return room


def edge_for(homeserver: Homeserver, rooms: list[str], state_dir: Path,
             user: MatrixUser | None = None, **options: object) -> MatrixPlatform:
    account = user or homeserver.bot
    return MatrixPlatform(homeserver.server.url, account.user_id, account.access_token,
                          rooms, state_dir, sync_timeout_ms=1000,
                          backoff=(0.05, 0.2), **options)  # type: ignore[arg-type]


class Received:
    """The seam's other side: a plain intake that keeps what it was given."""

    def __init__(self) -> None:
        self.events: list[ChatEvent] = []

    async def __call__(self, event: ChatEvent) -> bool:
        self.events.append(event)
        return True

    async def wait_for(self, test: Callable[[ChatEvent], bool], timeout: float = 20.0,
                       ) -> ChatEvent:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.events:
                if test(event):
                    return event
            await asyncio.sleep(0.05)
        raise AssertionError(f"no such event within {timeout} s; got {self.events!r}")


@asynccontextmanager
async def running(edge: MatrixPlatform,
                  intake: Callable[[ChatEvent], Awaitable[bool]]) -> AsyncIterator[None]:
    """The edge's loop in a task, connected (first sync done) before the body runs."""
    task = asyncio.create_task(edge.start(intake))
    try:
        deadline = time.monotonic() + 20
        while not edge.health().startswith("connected"):
            if task.done():
                task.result()
            if time.monotonic() > deadline:
                raise AssertionError(f"edge did not connect: {edge.health()}")
            await asyncio.sleep(0.05)
        yield
    finally:
        await edge.stop()
        await asyncio.wait_for(task, timeout=10)


def event_for(edge: MatrixPlatform, act: Callable[[], str]) -> ChatEvent:
    """Run the edge, let a person `act` (returning the event id of what they did) and
    return the ChatEvent the edge handed in for it."""
    async def scenario() -> ChatEvent:
        received = Received()
        async with running(edge, received):
            event_id = await asyncio.to_thread(act)
            return await received.wait_for(lambda event: event.event_id == event_id)
    return asyncio.run(scenario())
