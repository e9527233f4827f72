"""`postdesk ingest` as Postfix's pipe runs it: what the operator got wrong defers, never bounces.

Postfix's pipe(8) bounces the mail on every exit status except 75 (EX_TEMPFAIL) -- even
78 (EX_CONFIG), as "5.3.5 local configuration error" -- so these tests pin each status
an operator's mistake produces.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mailbuild import customer_mail
from postdesk.config.desk_init import init_desk

POSTDESK = str(Path(sys.executable).with_name("postdesk"))


def pipe(*args: str, cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """The command as pipe(8) starts it: no POSTDESK_* in the environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTDESK_")}
    return subprocess.run([POSTDESK, *args], input=stdin, capture_output=True, timeout=60,
                          env=env, cwd=cwd)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return init_desk(tmp_path / "desk")


def test_no_configuration_defers(tmp_path: Path) -> None:
    result = pipe("ingest", "-f", "zoe@customer.example", "-r", "support@example.com",
                  cwd=tmp_path, stdin=customer_mail().as_bytes())
    assert result.returncode == 75, result.stderr
    assert b"no configuration" in result.stderr


def test_unreadable_configuration_defers(tmp_path: Path) -> None:
    (tmp_path / "postdesk.toml").mkdir()  # unreadable even for root
    result = pipe("--config", str(tmp_path / "postdesk.toml"), "ingest", cwd=tmp_path,
                  stdin=customer_mail().as_bytes())
    assert result.returncode == 75, result.stderr
    assert b"cannot read the configuration" in result.stderr


def test_wrong_setting_defers(config: Path) -> None:
    config.write_text(config.read_text() + "\n[smtp]\nmax_mesage_size = 10\n")
    result = pipe("--config", str(config), "ingest", cwd=config.parent,
                  stdin=customer_mail().as_bytes())
    assert result.returncode == 75, result.stderr


def test_mistake_in_the_master_cf_arguments_defers(config: Path) -> None:
    result = pipe("--config", str(config), "ingest", "--sendr", "zoe@customer.example",
                  cwd=config.parent, stdin=customer_mail().as_bytes())
    assert result.returncode == 75, result.stderr
    assert b"--sendr" in result.stderr


def test_unknown_recipient_bounces(config: Path) -> None:
    result = pipe("--config", str(config), "ingest", "-r", "nobody@example.com",
                  cwd=config.parent, stdin=customer_mail().as_bytes())
    assert result.returncode == 67


def test_several_recipients_as_pipe_expands_them(config: Path) -> None:
    """`-r ${recipient}` with two recipients is `-r a b`: both are the mail's recipients."""
    result = pipe("--config", str(config), "ingest", "-f", "zoe@customer.example",
                  "-r", "support@example.com", "support+billing@example.com",
                  cwd=config.parent, stdin=customer_mail().as_bytes())
    assert result.returncode == 0, result.stderr
    listed = pipe("--config", str(config), "inbound", "--json", cwd=config.parent)
    [row] = json.loads(listed.stdout)
    assert "support+billing@example.com" in row["rcpt_to"]
    assert "support@example.com" in row["rcpt_to"]


def test_a_file_and_recipients_as_arguments(config: Path) -> None:
    mail = config.parent / "mail.eml"
    mail.write_bytes(customer_mail().as_bytes())
    result = pipe("--config", str(config), "ingest", str(mail), "support@example.com",
                  cwd=config.parent)
    assert result.returncode == 0, result.stderr
    assert b"stored as inbound 1" in result.stderr
