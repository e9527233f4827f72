"""[[imap]] in postdesk.toml and `postdesk imap test`, as an operator meets them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from imap.conftest import imap_table
from imap.dovecot import Dovecot
from postdesk.config.desk_init import init_desk
from postdesk.config.load import load_settings
from postdesk.errors import ConfigError

POSTDESK = str(Path(sys.executable).with_name("postdesk"))


def desk_with(tmp_path: Path, table: str) -> Path:
    config = init_desk(tmp_path / "desk")
    config.write_text(config.read_text() + table)
    return config


def source(**keys: object) -> str:
    values: dict[str, object] = {"name": "support", "host": "imap.example.com", "tls": "implicit",
                                 "user": "u", "password": "p", "address": "support@example.com"}
    values.update(keys)
    body = "\n".join(f"{k} = {v}" if isinstance(v, int) else f'{k} = "{v}"'
                     for k, v in values.items())
    return f"\n[[imap]]\n{body}\n"


def line_of(config: Path, needle: str) -> int:
    """The number of the first line, not a comment, that holds `needle`."""
    return next(i for i, row in enumerate(config.read_text().splitlines(), 1)
                if needle in row and not row.lstrip().startswith("#"))


def test_a_valid_source_loads_with_defaults(tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("from-file\n")
    config = desk_with(tmp_path, source(password="", tls="starttls")
                       .replace('password = ""', 'password_file = "../secret"'))
    [imap] = load_settings(config, environ={}).imap
    assert (imap.folder, imap.after, imap.poll_interval, imap.effective_port) == (
        "INBOX", "seen", 60, 143)
    assert imap.read_password() == "from-file"


def test_tls_off_is_refused_for_a_remote_host(tmp_path: Path) -> None:
    config = desk_with(tmp_path, source(tls="off"))
    with pytest.raises(ConfigError) as error:
        load_settings(config, environ={})
    assert f"{config}:{line_of(config, '[[imap]]')}:" in str(error.value)
    assert "imap.example.com" in str(error.value) and "clear text" in str(error.value)
    config.write_text(config.read_text().replace("imap.example.com", "127.0.0.1"))
    assert load_settings(config, environ={}).imap[0].tls == "off"


@pytest.mark.parametrize(("change", "message"), [
    ({"address": "sales@example.com"}, "address must be one of the [desk] addresses"),
    ({"password": ""}, "exactly one of password or password_file"),
    ({"after": "archive"}, "after must be"),
    ({"after": "move:INBOX"}, "after must be"),
    ({"tls": "maybe"}, "tls must be one of"),
])
def test_bad_sources_are_refused_with_the_reason(tmp_path: Path, change: dict[str, object],
                                                  message: str) -> None:
    config = desk_with(tmp_path, source(**change))
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_settings(config, environ={})


def test_unknown_key_names_its_line(tmp_path: Path) -> None:
    config = desk_with(tmp_path, source() + source(name="second", foldr="Support"))
    with pytest.raises(ConfigError) as error:
        load_settings(config, environ={})
    assert f"{config}:{line_of(config, 'foldr')}: unknown key 'foldr'" in str(error.value)
    assert "did you mean 'folder'" in str(error.value)


def run(config: Path, *args: str, cert: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTDESK_")}
    if cert is not None:
        env["SSL_CERT_FILE"] = str(cert)
    return subprocess.run([POSTDESK, "--config", str(config), *args], capture_output=True,
                          text=True, timeout=60, env=env)


def test_imap_test_reports_what_it_would_do(dovecot: Dovecot, tmp_path: Path) -> None:
    client = dovecot.client()
    client.append("INBOX", None, None, b"Subject: waiting\r\n\r\nhello\r\n")
    client.logout()
    config = desk_with(tmp_path, imap_table(dovecot, tls="implicit", port=dovecot.tls_port))
    result = run(config, "imap", "test", "support", cert=dovecot.cert)
    assert result.returncode == 0, result.stderr
    assert "with TLS, logged in as desk" in result.stdout
    assert "folder INBOX: 1 mails" in result.stdout and "IDLE" in result.stdout
    assert "would take 1 mails" in result.stdout and "flag each one \\Seen" in result.stdout

    starttls = desk_with(tmp_path / "b", imap_table(dovecot, tls="starttls"))
    assert run(starttls, "imap", "test", "support", cert=dovecot.cert).returncode == 0


def test_imap_test_explains_each_failure(dovecot: Dovecot, tmp_path: Path) -> None:
    wrong = desk_with(tmp_path / "a", imap_table(dovecot, password="wrong"))
    result = run(wrong, "imap", "test", "support")
    assert result.returncode == 77
    assert "refused the login of 'desk'" in result.stderr and "check user and password" in (
        result.stderr)

    untrusted = desk_with(tmp_path / "b", imap_table(dovecot, tls="implicit",
                                                     port=dovecot.tls_port))
    result = run(untrusted, "imap", "test", "support")
    assert result.returncode == 69
    assert "TLS handshake" in result.stderr and "certificate" in result.stderr

    plain_port = desk_with(tmp_path / "c", imap_table(dovecot, tls="implicit"))
    result = run(plain_port, "imap", "test", "support", cert=dovecot.cert)
    assert result.returncode == 69 and "TLS" in result.stderr

    missing = desk_with(tmp_path / "d", imap_table(dovecot, folder="Nowhere"))
    result = run(missing, "imap", "test", "support")
    assert result.returncode == 78
    assert "'Nowhere'" in result.stderr and "INBOX" in result.stderr

    no_target = desk_with(tmp_path / "e", imap_table(dovecot, after="move:Done"))
    result = run(no_target, "imap", "test", "support")
    assert result.returncode == 78 and "'Done' does not exist" in result.stderr

    unknown = run(wrong, "imap", "test", "sales")
    assert unknown.returncode == 1 and "no [[imap]] source named 'sales'" in unknown.stderr


def test_the_commented_example_in_a_new_desk_loads_once_uncommented(tmp_path: Path) -> None:
    config = init_desk(tmp_path / "desk")
    text = config.read_text()
    assert load_settings(config, environ={}).imap == ()
    example = [line[2:] for line in text[text.index("# [[imap]]"):].splitlines()]
    (tmp_path / "desk" / "secrets").mkdir()
    (tmp_path / "desk" / "secrets" / "imap-support").write_text("pw\n")
    config.write_text(text + "\n" + "\n".join(example) + "\n")
    [imap] = load_settings(config, environ={}).imap
    assert (imap.name, imap.host, imap.tls, imap.folder, imap.after, imap.address) == (
        "support", "imap.example.com", "implicit", "INBOX", "seen", "support@example.com")
    assert (imap.poll_interval, imap.probe_interval, imap.timeout) == (60, 120, 30)
    assert imap.read_password() == "pw"
