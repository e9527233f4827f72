"""Structured logs: what an operator's log file holds, from a real `postdesk serve`."""

from __future__ import annotations

import json
import logging
import signal
import smtplib
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailbuild import customer_mail, wait_for
from ops.served import ServedDesk
from postdesk.config.settings import LogSettings
from postdesk.errors import ConfigError
from postdesk.logs import (
    JsonFormatter,
    KeyValueFormatter,
    bind,
    configure,
    log_context,
    redact,
    reopen,
)


def record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    rec = logging.LogRecord("postdesk.test", logging.WARNING, __file__, 1, message, args, None)
    rec.__dict__.update(extra)
    return rec


def formatted(formatter: logging.Formatter, rec: logging.LogRecord) -> str:
    from postdesk.logs import ContextFilter

    ContextFilter().filter(rec)
    return formatter.format(rec)


def test_key_value_line_carries_the_ids_of_the_context_and_stays_one_line() -> None:
    with log_context(inbound=41, ticket=7):
        line = formatted(KeyValueFormatter(), record("relay said:\n%s", "550 no", state="done"))
    assert "\n" not in line
    assert " level=warning logger=postdesk.test " in line
    assert " inbound=41 " in line and " ticket=7 " in line
    assert 'msg="relay said:\\n550 no"' in line
    assert line.endswith(" state=done")
    outside = formatted(KeyValueFormatter(), record("later"))
    assert "inbound=" not in outside and "ticket=" not in outside


def test_an_id_learnt_on_the_way_ends_with_its_context() -> None:
    with log_context(inbound=5):
        bind(ticket=9)
        assert "ticket=9" in formatted(KeyValueFormatter(), record("inside")).split()
    bind(ticket=10)  # outside any context: ignored, never sticks to later lines
    assert "ticket=" not in formatted(KeyValueFormatter(), record("after"))


def test_a_nested_context_sets_its_own_ids_and_gives_the_outer_ones_back() -> None:
    def ids(line: str) -> dict[str, str]:
        return dict(f.split("=", 1) for f in line.split() if f.split("=")[0] in
                    ("inbound", "outbox", "ticket"))

    with log_context(inbound=5, ticket=None):
        bind(ticket=9)
        with log_context(outbox=2, ticket=None):  # a notification of another ticket
            assert ids(formatted(KeyValueFormatter(), record("x"))) == {
                "inbound": "5", "outbox": "2"}
            bind(ticket=11)
            assert ids(formatted(KeyValueFormatter(), record("x")))["ticket"] == "11"
        assert ids(formatted(KeyValueFormatter(), record("x"))) == {"inbound": "5",
                                                                    "ticket": "9"}


@pytest.mark.parametrize("created", [1764650938.0, 1764650938.542, 1764650938.9994999,
                                     1764650938.9999996, 1090192236.2779999, 0.0005])
def test_line_times_are_utc_to_the_millisecond_as_datetime_rounds_them(
        created: float) -> None:
    from datetime import UTC, datetime

    rec = record("x")
    rec.created = created
    moment = datetime.fromtimestamp(created, UTC)
    expected = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    assert json.loads(formatted(JsonFormatter(), rec))["ts"] == expected


def test_json_line_and_passwords_in_urls_are_hidden() -> None:
    with log_context(outbox=3):
        line = formatted(JsonFormatter(), record("cannot reach smtp://desk:hunter2@relay:25"))
    event = json.loads(line)
    assert event["outbox"] == 3 and event["level"] == "warning"
    assert event["msg"] == "cannot reach smtp://desk:***@relay:25"
    assert "hunter2" not in line


@pytest.mark.parametrize(("text", "shown"), [
    ("db postgresql://bench:pw@127.0.0.1:5432/bench ok",
     "db postgresql://bench:***@127.0.0.1:5432/bench ok"),
    ("smtp://u:p%40ss@relay:25 and amqp://guest:guest@h:5672/",
     "smtp://u:***@relay:25 and amqp://guest:***@h:5672/"),
    ("(redis://:secret@h:6379/0)", "(redis://:***@h:6379/0)"),
    ("a://u:p@h/x://v:q@i", "a://u:***@h/x://v:***@i"),
    ("x://a:b://c@d", "x://a:***@d"),  # a password holding "://" is hidden whole
    ("http://host/path:x@y", "http://host/path:x@y"),  # no user:password before the host
    ("a://u@h:1/p:q@r", "a://u@h:1/p:q@r"),
    ("mailto://x@y and no password", "mailto://x@y and no password"),
])
def test_redact_hides_each_password_and_only_that(text: str, shown: str) -> None:
    assert redact(text) == shown


def test_redact_reads_hostile_text_in_one_pass() -> None:
    """Runs that a pattern would rescan from every position ("a.a.a...", "a://a://...")
    come back unchanged, and a password after them is still hidden."""
    for run in ("a." * 50_000 + "://", "a://" * 50_000, "x://" + "a:" * 50_000):
        assert redact(run) == run
    hidden = redact("a://" * 50_000 + "u:secret@h")  # all after the first "a:" is password
    assert hidden == "a://a:***@h"


def test_a_traceback_is_one_escaped_field() -> None:
    try:
        raise ValueError("broken\nmail")
    except ValueError:
        import sys

        rec = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    line = formatted(KeyValueFormatter(), rec)
    assert "\n" not in line and "exc=" in line and "ValueError: broken\\nmail" in line


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_log_file_reopens_after_rotation(tmp_path: Path, restore_logging: None) -> None:
    path = tmp_path / "postdesk.log"
    configure(LogSettings(format="text", level="info"), file=str(path))
    logging.getLogger("postdesk").info("before")
    path.rename(tmp_path / "postdesk.log.1")
    reopen()
    logging.getLogger("postdesk").info("after")
    assert "msg=before" in (tmp_path / "postdesk.log.1").read_text()
    assert "msg=after" in path.read_text() and "before" not in path.read_text()


@pytest.mark.parametrize(("line", "expected"), [
    ('format = "xml"', ":{n}: [log] format must be one of text, json, not 'xml'"),
    ('level = "verbose"', ":{n}: [log] level must be one of debug, info, warning, error"),
    ('fromat = "json"', ":{n}: unknown key 'fromat' in [log]; did you mean 'format'?"),
])
def test_bad_log_keys_name_file_and_line(tmp_path: Path, line: str, expected: str) -> None:
    from postdesk.config.desk_init import init_desk
    from postdesk.config.load import load_settings

    config = init_desk(tmp_path / "desk")
    lines = config.read_text().splitlines()
    shipped = 'level = "info"' if line.startswith("level") else 'format = "text"'
    number = lines.index(shipped) + 1  # in the [log] table `init` writes
    lines[number - 1] = line
    config.write_text("\n".join(lines) + "\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(config, environ={})
    assert f"{config}{expected.format(n=number)}" in str(caught.value)


def events(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_served_desk_logs_json_with_ids_and_no_body_and_reopens_on_sighup(
        tmp_path: Path) -> None:
    log_file = tmp_path / "desk" / "var" / "postdesk.log"
    desk = ServedDesk(tmp_path / "desk", env={"POSTDESK_LOG_FORMAT": "json",
                                              "POSTDESK_LOG_FILE": "var/postdesk.log"})
    try:
        desk.start(ready_in=log_file)
        secret_line = "my card number is 4111 1111 1111 1111"
        with smtplib.SMTP("127.0.0.1", desk.port) as client:
            client.send_message(customer_mail(body=secret_line + "\n"))

        def processed_line(path: Path) -> dict | None:
            return next((e for e in events(path) if e["msg"] == "inbound processed"), None)

        first = wait_for(lambda: processed_line(log_file), timeout=60)
        assert first["inbound"] == 1 and first["ticket"] == 1 and first["state"] == "done"
        assert first["step"] == "new ticket"  # the step of the receive chain that took it
        sent = wait_for(lambda: [e for e in events(log_file) if e["msg"] == "outbox handled"],
                        timeout=30)
        assert {e["state"] for e in sent} == {"sent"}
        assert all(e["ticket"] == 1 for e in sent)
        assert secret_line not in log_file.read_text()

        rotated = log_file.with_name("postdesk.log.1")
        log_file.rename(rotated)
        desk.signal(signal.SIGHUP)
        wait_for(lambda: any("SIGHUP" in e["msg"] for e in events(log_file)), timeout=15)
        with smtplib.SMTP("127.0.0.1", desk.port) as client:
            client.send_message(customer_mail(subject="second", message_id="<2@c.example>"))
        # written by a spawned worker process, which got no SIGHUP itself
        second = wait_for(lambda: processed_line(log_file), timeout=60)
        assert second["inbound"] == 2 and second["ticket"] == 2
        assert not any(e.get("inbound") == 2 for e in events(rotated))
    finally:
        desk.stop()
    assert desk.proc is not None and desk.proc.returncode == 0, desk.tail()
    assert events(log_file)[-1]["msg"] == "postdesk stopped"
