"""postdesk.example.toml at the top of the repository is what `postdesk init` writes, with
the example domain and secret: every key, each with its comment, and valid."""

from __future__ import annotations

import re
import tomllib
from dataclasses import fields
from pathlib import Path

from postdesk.config.desk_init import EXAMPLE_DOMAIN, EXAMPLE_SECRET, config_text
from postdesk.config.load import load_settings
from postdesk.config.settings import SECTIONS, ImapSource

EXAMPLE = Path(__file__).resolve().parents[2] / "postdesk.example.toml"


def test_the_example_is_what_init_writes() -> None:
    assert EXAMPLE.read_text(encoding="utf-8") == config_text(EXAMPLE_DOMAIN, EXAMPLE_SECRET), \
        "postdesk.example.toml is out of date: run `make example-config`"


def test_the_example_shows_every_key_and_is_a_valid_configuration() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    written = tomllib.loads(text)
    for section, settings in SECTIONS.items():
        assert set(written[section]) == {f.name for f in fields(settings)}, section
    for key in (f.name for f in fields(ImapSource)):  # the [[imap]] example, commented out
        assert re.search(rf"^#.*\b{key} = ", text, re.MULTILINE), key
    settings = load_settings(EXAMPLE, environ={})
    assert settings.desk.addresses == (f"support@{EXAMPLE_DOMAIN}",)
