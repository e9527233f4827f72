"""Nothing lost, nothing twice: `postdesk serve` is killed (SIGKILL) while 300 requests
arrive in a Matrix help room, and started again. The edge reads again from the sync
position it saved after its last committed batch (the platform's redelivery), the intake
drops what it stored already, and the chat outbox posts each acknowledgment once (the
row id is the Matrix transaction id; a post the killed daemon had claimed is taken up
at the start). Afterwards every request is in exactly one ticket message and every post
is in its thread once."""

from __future__ import annotations

import signal
import threading
from collections import Counter
from pathlib import Path

import pytest

from chat.matrix.conftest import Homeserver
from mailbuild import wait_for
from ops.served import ServedDesk
from postdesk.store import db
from postdesk.store.chat_store import ChatOutbox
from postdesk.store.models import Message, Ticket

pytestmark = [pytest.mark.xdist_group("synapse"), pytest.mark.slow]

REQUESTS = 300


def test_a_killed_daemon_loses_no_request_and_posts_no_acknowledgment_twice(
        homeserver: Homeserver, help_room: str, tmp_path: Path) -> None:
    desk = ServedDesk(tmp_path / "desk", env={
        "POSTDESK_MATRIX_HOMESERVER": homeserver.server.url,
        "POSTDESK_MATRIX_USER_ID": homeserver.bot.user_id,
        "POSTDESK_MATRIX_ACCESS_TOKEN": homeserver.bot.access_token,
        # one requester opens all 300 tickets: each gets its acknowledgment
        "POSTDESK_LIMITS_AUTO_REPLIES_PER_ADDRESS": str(2 * REQUESTS)})
    (desk.folder / "rules" / "channels.yaml").write_text(
        f'channels:\n  - {{platform: matrix, channel: "{help_room}", mode: help}}\n',
        encoding="utf-8")
    desk.start()
    sent: list[str] = []

    def say_all() -> None:
        for n in range(REQUESTS):
            homeserver.customer.say(help_room, f"request {n}")
            sent.append(f"request {n}")

    writer = threading.Thread(target=say_all)
    writer.start()
    try:
        wait_for(lambda: len(sent) >= REQUESTS // 3, timeout=120)
        desk.signal(signal.SIGKILL)
        desk.wait()
        desk.output.rename(desk.folder / "serve.killed.out")
        writer.join(timeout=300)
        desk.start()
        database = db.connect(f"sqlite:///{desk.folder / 'var' / 'postdesk.db'}")
        with database.connection_context():
            wait_for(lambda: Ticket.select().count() >= REQUESTS, timeout=300, interval=1)
            texts = Counter(m.text for m in Message.select(Message.text)
                            .where(Message.direction == "in"))
        assert {text: texts[text] for text in sent if texts[text] != 1} == {}
        assert len(sent) == REQUESTS

        def acknowledged_threads() -> Counter[str]:
            events = homeserver.customer.room_events(help_room, limit=1000)
            return Counter(e["content"]["m.relates_to"]["event_id"] for e in events
                           if e.get("sender") == homeserver.bot.user_id
                           and e["content"].get("m.relates_to", {}).get("rel_type")
                           == "m.thread")

        with database.connection_context():
            wait_for(lambda: not ChatOutbox.select().where(ChatOutbox.state != "sent")
                     .exists(), timeout=120, interval=1)
            roots = Counter(row.thread_id for row in ChatOutbox.select())
        assert len(roots) == REQUESTS and set(roots.values()) == {1}
        threads = wait_for(lambda: (found := acknowledged_threads()) and
                           len(found) >= len(roots) and found, timeout=60, interval=1)
        assert threads == roots  # each post once, in its thread
    finally:
        writer.join(timeout=300)
        desk.stop()
