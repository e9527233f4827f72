"""A node that cannot reach the database does not report itself scheduler leader."""

from __future__ import annotations

from pathlib import Path

from postdesk.serve.metrics import DeskCollector
from postdesk.store import db


def test_no_database_no_leader(tmp_path: Path, make_settings) -> None:
    settings = make_settings()
    db.connect(f"sqlite:///{tmp_path}/no/such/folder/postdesk.db")
    try:
        values = {family.name: family.samples[0].value
                  for family in DeskCollector(settings, lambda: True).collect()
                  if family.samples}
    finally:
        db.database.close()
    assert values["postdesk_database_up"] == 0
    assert values["postdesk_scheduler_leader"] == 0
