"""The README says what the desk is (issue 24: its docs had fallen behind the code)."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

from postdesk.config.settings import SECTIONS
from postdesk.config.shipped import shipped

ROOT = shipped("rules").parent
README = (ROOT / "README.md").read_text(encoding="utf-8") if (ROOT / "README.md").is_file() \
    else ""
MIGRATIONS = Path(__file__).resolve().parents[2] / "daemon" / "postdesk" / "store" / "migrations"


def test_the_status_sample_shows_the_current_schema() -> None:
    latest = max(int(m.group(1)) for p in MIGRATIONS.glob("m*.py")
                 if (m := re.match(r"m(\d+)_", p.name)))
    assert f"schema version {latest}" in README


def test_every_configuration_key_is_listed() -> None:
    keys = " ".join(README.split("Sections and keys:")[1].split("\n\n")[0].split())
    for section, cls in SECTIONS.items():
        listed = re.search(rf"`\[{section}\] ([^`]*)`", keys)
        assert listed, section
        for field in fields(cls):
            assert field.name in listed.group(1).replace(",", " ").split(), (section, field.name)


def test_every_rules_file_is_in_the_rules_table() -> None:
    for path in sorted(shipped("rules").glob("*.yaml")):
        assert f"| `{path.name}` |" in README, path.name


def test_the_quick_start_says_agents_need_teams_yaml() -> None:
    quick = README.split("## Quick start")[1].split("## Commands")[0]
    assert "teams.yaml" in quick
