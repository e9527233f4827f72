"""`[desk] aliases`: an internal routing name is taken as the public address it stands for."""

from __future__ import annotations

from pathlib import Path

import pytest

from postdesk.channels.email.smtp import check_recipient
from postdesk.config.desk_init import init_desk
from postdesk.config.load import load_settings
from postdesk.errors import ConfigError, RejectMessage
from postdesk.mail.address import alias_map, public_recipient

ALIASES = alias_map(("Support@Support.Example.com = support@example.com",))


def test_the_internal_name_reads_as_the_public_address_with_its_detail() -> None:
    assert public_recipient("support@support.example.com", ALIASES) == "support@example.com"
    assert (public_recipient("support+12-c-abc@support.example.com", ALIASES)
            == "support+12-c-abc@example.com")
    assert public_recipient("zoe@customer.example", ALIASES) == "zoe@customer.example"


def test_a_malformed_alias_is_named() -> None:
    with pytest.raises(ValueError, match=r"support@support\.example\.com"):
        alias_map(("support@support.example.com",))


def desk(tmp_path: Path, aliases: str) -> Path:
    config = init_desk(tmp_path / "desk")
    text = config.read_text()
    config.write_text(text.replace("aliases = []", f"aliases = {aliases}"))
    return config


def test_the_internal_name_is_accepted_at_rcpt(tmp_path: Path) -> None:
    settings = load_settings(desk(tmp_path, '["support@support.example.com=support@example.com"]'),
                             environ={})
    check_recipient("support@support.example.com", settings)
    check_recipient("support+1-c-x@support.example.com", settings)
    with pytest.raises(RejectMessage):
        check_recipient("sales@support.example.com", settings)


def test_an_alias_must_stand_for_a_desk_address(tmp_path: Path) -> None:
    config = desk(tmp_path, '["support@support.example.com=sales@example.com"]')
    with pytest.raises(ConfigError, match=r"aliases: .*sales@example.com.*not one of"):
        load_settings(config, environ={})
