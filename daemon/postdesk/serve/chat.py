"""The daemon's chat: one edge per configured platform, the durable intake they hand events
to, the chat outbox sender, and each connection's health line for `postdesk status`.

The intake stores an event only when its channel is in rules/channels.yaml (the edges
see every channel the bot is in; the desk works only where the admin said), commits it
(`store_chat_event`, once per platform event id) and only then returns, so the edge
acks it to the platform after the commit; the id goes to the queue like a mail's.
A database that is away raises: the edge does not ack and the platform sends again.
The Matrix edge joins the rooms channels.yaml lists, and follows the file as it
reloads: a room added there is joined and read without a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from postdesk.channels.chat_sender import ChatSender
from postdesk.chat.model import ChatEvent
from postdesk.chat.platform import ChatPlatform
from postdesk.config import runtime
from postdesk.config.settings import Settings
from postdesk.store import chat_store, db
from postdesk.store.chat_inbound import ChatInboundWriter
from postdesk.store.read_pool import ReadPool

log = logging.getLogger(__name__)

HEALTH_INTERVAL_S = 10.0


def make_edges(settings: Settings, data_dir: Path) -> dict[str, ChatPlatform]:
    """One edge per configured section; a platform whose edge cannot be built is logged
    (its events stay with the platform) and the others run."""
    edges: dict[str, ChatPlatform] = {}
    for name in settings.chat_platforms:
        try:
            edges[name] = _edge(name, settings, partial(_rooms_now, name), data_dir / name)
        except Exception as exc:
            log.error("[%s] is configured but its edge cannot start: %s (install the chat "
                      "extra: pip install 'postdesk[chat]')", name, exc)
    return edges


def _rooms_now(platform: str) -> tuple[str, ...]:
    """The platform's channels in channels.yaml as it is now (the file reloads live)."""
    return runtime.current().channels.rooms(platform)


def _edge(name: str, settings: Settings, rooms: Callable[[], tuple[str, ...]],
          data_dir: Path) -> ChatPlatform:
    data_dir.mkdir(parents=True, exist_ok=True)
    if name == "slack":
        from postdesk.channels import slack

        return slack.platform(settings, data_dir)
    if name == "matrix":
        from postdesk.channels import matrix

        return matrix.platform(SimpleNamespace(matrix=settings.matrix, matrix_rooms=rooms),
                               data_dir)
    import importlib

    teams: Any = importlib.import_module("postdesk.channels.teams")
    edge: ChatPlatform = teams.platform(settings, data_dir)
    return edge


class DeskChat:
    """The chat part of a running daemon."""

    def __init__(self, settings: Settings, dispatch: Callable[[int], None]) -> None:
        self.settings = settings
        self.dispatch = dispatch
        self.edges: dict[str, ChatPlatform] = {}
        self._tasks: list[asyncio.Task[None]] = []
        # one thread commits the events, those waiting together (group commit)
        self._writer = ChatInboundWriter(on_stored=dispatch)
        self._sender_thread = ReadPool(threads=1, name="postdesk-chat-sender")

    async def start(self) -> None:
        if self.settings.broker.url == "embedded":  # the only sender: take up a crash's
            await self._sender_thread.run(chat_store.release_first_claims, db.utcnow())
        self._writer.start()
        self.edges = make_edges(self.settings, self.settings.path("var") / "chat")
        for name, edge in self.edges.items():
            self._tasks.append(asyncio.create_task(self._run_edge(name, edge)))
        sender = ChatSender(self.edges, runtime.current(), self._sender_thread)
        self._tasks.append(asyncio.create_task(sender.run_forever()))
        self._tasks.append(asyncio.create_task(self._health_forever()))
        if self.edges:
            log.info("chat: %s", ", ".join(self.edges))

    async def _run_edge(self, name: str, edge: ChatPlatform) -> None:
        try:
            await edge.start(self.intake)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("chat edge %s stopped", name)

    async def intake(self, event: ChatEvent) -> bool:
        """Commit the event (see the module docstring); True when it is new and stored."""
        if runtime.current().channels.channel(event.platform, event.channel) is None:
            return False
        return await self._writer.store(event) is not None  # dispatched by the writer

    def health(self) -> dict[str, str]:
        return {name: edge.health() for name, edge in self.edges.items()}

    async def _health_forever(self) -> None:
        node = self.settings.metrics.node_name
        while True:
            lines = self.health()
            if lines:
                try:
                    await asyncio.to_thread(_record_health, lines, node)
                except Exception as exc:
                    log.warning("chat health not recorded: %s", exc)
            await asyncio.sleep(HEALTH_INTERVAL_S)

    async def stop(self) -> None:
        for edge in self.edges.values():
            with contextlib.suppress(Exception):
                await edge.stop()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await asyncio.to_thread(self._writer.stop)
        await asyncio.to_thread(self._sender_thread.close)
        if self.edges:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(
                    _record_health, {name: "stopped" for name in self.edges},
                    self.settings.metrics.node_name)


def _record_health(lines: dict[str, str], node: str) -> None:
    with db.database.connection_context():
        chat_store.record_health(lines, node, db.utcnow())
