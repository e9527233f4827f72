"""A desk with a 24/7 SLA and a factory of tickets opened some minutes ago, for the queue
tests. Times are relative to the real clock because the commands read it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from postdesk.cli.main import main
from postdesk.config.runtime import Runtime
from postdesk.config.settings import Settings
from postdesk.sla.tracking import track as sla_track
from postdesk.store.db import database, utcnow
from postdesk.store.models import Ticket
from postdesk.tickets import service

ALWAYS_SLA = """\
calendars:
  always: {timezone: UTC, hours: "24/7"}
policies:
  - name: standard
    calendar: always
    pause_on: [waiting_for_customer]
    targets: {first_response: 4h, resolution: 16h}
    warn: ["75%"]
"""


@dataclass
class QueueDesk:
    settings: Settings
    runtime: Runtime
    url: str

    @property
    def rules(self) -> Path:
        return self.settings.path(self.settings.paths.rules)

    def ticket(self, subject: str, *, minutes_ago: float = 0, email: str = "zoe@customer.example",
               status: str | None = None, **fields: Any) -> int:
        """A ticket opened `minutes_ago`, with its clocks stored as of then."""
        when = utcnow() - timedelta(minutes=minutes_ago)
        with database.atomic():
            customer = service.find_or_create_customer(email, "", language="en",
                                                       timezone=None, now=when)
            ticket = service.open_ticket(customer, subject, now=when)
            if fields:
                Ticket.update(**fields).where(Ticket.id == ticket.id).execute()
                ticket = Ticket.get_by_id(ticket.id)
            if status:
                service.set_status(ticket, status, actor="agent@example.com", now=when)
            sla_track.refresh(ticket, self.runtime, when)
        return int(ticket.id)

    def cli(self, *args: str) -> Result:
        result = CliRunner().invoke(
            main, ["--config", str(self.settings.source), *args],
            env={"POSTDESK_DATABASE_URL": self.url, "COLUMNS": "200"}, catch_exceptions=False)
        return result


@pytest.fixture
def queue_desk(migrated: str, make_settings: Callable[..., Settings]) -> Iterator[QueueDesk]:
    settings = make_settings(migrated)
    rules = settings.path(settings.paths.rules)
    (rules / "sla.yaml").write_text(ALWAYS_SLA)
    database.connect(reuse_if_open=True)
    try:
        yield QueueDesk(settings, Runtime(settings), migrated)
    finally:
        database.close()  # the commands reconnect the global proxy: close whatever it holds
