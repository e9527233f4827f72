"""Configuration: validated at start, errors name the file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from postdesk.config.desk_init import init_desk
from postdesk.config.load import load_settings
from postdesk.errors import ConfigError


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return init_desk(tmp_path / "desk")


def test_init_writes_a_valid_desk_with_a_fresh_secret(tmp_path: Path) -> None:
    first = load_settings(init_desk(tmp_path / "a"), environ={})
    second = load_settings(init_desk(tmp_path / "b", domain="help.example.org"), environ={})
    assert first.desk.secret != second.desk.secret and len(first.desk.secret) >= 32
    assert second.desk.addresses == ("support@help.example.org",)
    assert first.smtp.listen == "127.0.0.1:2525"
    assert first.database_url == f"sqlite:///{(tmp_path / 'a' / 'var' / 'postdesk.db').resolve()}"
    assert first.outgoing_transport == f"maildir:{tmp_path / 'a' / 'var' / 'outgoing'}"
    assert (tmp_path / "a" / "rules").is_dir() and (tmp_path / "a" / "templates").is_dir()


def test_init_refuses_to_overwrite(config: Path) -> None:
    with pytest.raises(ConfigError, match="already exists"):
        init_desk(config.parent)


def test_mistyped_key_names_file_line_and_suggestion(config: Path) -> None:
    text = config.read_text().replace('listen = "127.0.0.1:2525"', 'lisen = "127.0.0.1:2525"')
    config.write_text(text)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if row.startswith("lisen"))
    with pytest.raises(ConfigError) as error:
        load_settings(config, environ={})
    assert str(error.value) == (
        f"{config}:{line}: unknown key 'lisen' in [smtp]; did you mean 'listen'?"
    )


def test_unknown_section(config: Path) -> None:
    config.write_text(config.read_text() + "\n[smpt]\nlisten = 'x'\n")
    with pytest.raises(ConfigError, match=r"unknown section \[smpt\]; did you mean 'smtp'"):
        load_settings(config, environ={})


def test_wrong_type_is_named(config: Path) -> None:
    config.write_text(config.read_text().replace("max_recipients = 50", 'max_recipients = "50"'))
    with pytest.raises(ConfigError, match=r"\[smtp\] max_recipients must be a whole number"):
        load_settings(config, environ={})


def test_environment_overrides_every_key(config: Path) -> None:
    settings = load_settings(config, environ={
        "POSTDESK_SMTP_LISTEN": "127.0.0.1:2600",
        "POSTDESK_DATABASE_URL": "postgresql://u:p@db/desk",
        "POSTDESK_OUTGOING_TRANSPORT": "smtp://127.0.0.1:2526",
        "POSTDESK_SMTP_MAX_RECIPIENTS": "7",
        "POSTDESK_DESK_ADDRESSES": "support@example.com, help@example.com",
    })
    assert settings.smtp.listen == "127.0.0.1:2600"
    assert settings.database_url == "postgresql://u:p@db/desk"
    assert settings.outgoing_transport == "smtp://127.0.0.1:2526"
    assert settings.smtp.max_recipients == 7
    assert settings.desk.addresses == ("support@example.com", "help@example.com")


def test_bad_environment_value_is_named(config: Path) -> None:
    with pytest.raises(ConfigError, match=r"\$POSTDESK_SMTP_MAX_RECIPIENTS must be a whole number"):
        load_settings(config, environ={"POSTDESK_SMTP_MAX_RECIPIENTS": "many"})


@pytest.mark.parametrize(("key", "value", "message"), [
    ("POSTDESK_SMTP_LISTEN", "2525", "listen) must look like 127.0.0.1:2525"),
    ("POSTDESK_OUTGOING_STARTTLS", "maybe", "starttls) must be one of required"),
    ("POSTDESK_OUTGOING_TRANSPORT", "ftp://x", "transport) must be 'maildir:PATH'"),
    ("POSTDESK_DESK_SECRET", "short", "secret) must be at least 16 characters"),
    ("POSTDESK_DESK_ADDRESSES", "support+x@example.com", "is not a plain address"),
    ("POSTDESK_BROKER_URL", "kafka://x", "[broker] url) must be 'embedded'"),
    ("POSTDESK_OUTGOING_SEND_LEASE", "45",
     "send_lease) (45 s) must be at least twice timeout (30 s)"),
    ("POSTDESK_BROKER_RECYCLE_MEGABYTES", "-1", "recycle_megabytes) must be at least 0"),
    ("POSTDESK_KB_CHAT_WAIT_MINUTES", "-5", "chat_wait_minutes) must not be negative"),
])
def test_invalid_values_are_explained(config: Path, key: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(config, environ={key: value})
    # the value came from the environment: the variable is named (issue 24), not the file
    assert message in str(error.value) and f"${key}" in str(error.value)


def test_missing_config_says_how_to_get_one(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("POSTDESK_CONFIG", raising=False)
    with pytest.raises(ConfigError, match="postdesk init"):
        load_settings(None, environ={})


def test_broken_toml_names_the_file(config: Path) -> None:
    config.write_text("[desk\nname = 1\n")
    with pytest.raises(ConfigError, match=f"{config}: not valid TOML"):
        load_settings(config, environ={})


def test_branding_is_checked_where_it_is_set(config: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[branding\] primary_colour\) must be a hex colour"):
        load_settings(config, environ={"POSTDESK_BRANDING_PRIMARY_COLOUR": "red"})
    with pytest.raises(ConfigError, match=r"\[branding\] logo_url\) must start with https://"):
        load_settings(config, environ={"POSTDESK_BRANDING_LOGO_URL": "javascript:alert(1)"})


@pytest.mark.parametrize(("variable", "suggestion"), [
    ("POSTDESK_DATABSE_URL", "POSTDESK_DATABASE_URL"),
    ("POSTDESK_SMPT_LISTEN", "POSTDESK_SMTP_LISTEN"),
])
def test_a_mistyped_environment_variable_is_an_error_naming_it(
        config: Path, variable: str, suggestion: str) -> None:
    """Issue 24: POSTDESK_DATABSE_URL was ignored and the desk ran on SQLite."""
    with pytest.raises(ConfigError) as error:
        load_settings(config, environ={variable: "postgresql://u:p@db/desk"})
    assert str(error.value).startswith(
        f"${variable} is not a Postdesk setting; did you mean '{suggestion}'?")
    # the test suite's and the benchmarks' own variables are no settings and no error
    load_settings(config, environ={"POSTDESK_TEST_PG_SERVER": "x", "POSTDESK_BENCH_DIR": "y",
                                   "POSTDESK_CONFIG": str(config)})


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("POSTDESK_SMTP_LISTEN", "notahostport",
     "$POSTDESK_SMTP_LISTEN ([smtp] listen) must look like 127.0.0.1:2525, not 'notahostport'"),
    ("POSTDESK_DATABASE_URL", "mysql://x",
     "$POSTDESK_DATABASE_URL ([database] url) must start with sqlite:/// or postgresql://"),
    ("POSTDESK_OUTGOING_STARTTLS", "maybe",
     "$POSTDESK_OUTGOING_STARTTLS ([outgoing] starttls) must be one of"),
])
def test_an_error_about_an_environment_value_names_the_variable_not_the_file(
        config: Path, variable: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(config, environ={variable: value})
    assert str(error.value).startswith(message)
    assert str(config) not in str(error.value)
    config.write_text(config.read_text().replace('listen = "127.0.0.1:2525"',
                                                 'listen = "notahostport"'))
    with pytest.raises(ConfigError, match=r"postdesk.toml: \[smtp\] listen must look like"):
        load_settings(config, environ={})  # from the file: the file is named
