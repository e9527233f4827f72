"""Signals and sockets of a real `postdesk serve`: SIGTERM drains, systemd hands over port 25."""

from __future__ import annotations

import signal
import smtplib
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import free_port
from mailbuild import customer_mail, read_outgoing, wait_for
from ops.served import POSTDESK, ServedDesk
from postdesk.serve.sdlisten import listen_names


def stored_message_ids(desk: ServedDesk) -> list[bytes]:
    with sqlite3.connect(desk.folder / "var" / "postdesk.db") as conn:
        return [raw for (raw,) in conn.execute("SELECT raw FROM inbound ORDER BY id")]


def test_sigterm_lets_a_client_mid_data_finish_and_refuses_new_connections(
        tmp_path: Path) -> None:
    desk = ServedDesk(tmp_path / "desk").start()
    try:
        client = smtplib.SMTP("127.0.0.1", desk.port, timeout=30)
        client.ehlo("mta.example")
        assert client.mail("zoe@customer.example")[0] == 250
        assert client.rcpt("support@example.com")[0] == 250
        client.putcmd("data")
        assert client.getreply()[0] == 354
        body = customer_mail(message_id="<mid-data@customer.example>").as_bytes()
        half = len(body) // 2
        client.send(body[:half])
        desk.signal(signal.SIGTERM)

        def refused() -> bool:
            try:
                socket.create_connection(("127.0.0.1", desk.port), timeout=1).close()
            except ConnectionRefusedError:
                return True
            return False

        wait_for(refused, timeout=15)  # no new connections once stopping
        assert desk.proc is not None and desk.proc.poll() is None, "it waits for our mail"
        client.send(body[half:] + b"\r\n.\r\n")
        code, text = client.getreply()
        assert code == 250, text
        code, text = client.getreply()  # said unasked, before the daemon hangs up
        assert code == 421 and b"shutting down" in text, text
        client.close()
        assert desk.wait(timeout=60) == 0, desk.tail()
    finally:
        desk.stop()
    raws = stored_message_ids(desk)
    assert len(raws) == 1 and b"<mid-data@customer.example>" in raws[0]
    # whatever was not finished before the stop is done after the next start, once
    desk.start()
    try:
        acks = wait_for(lambda: read_outgoing(desk.folder / "var" / "outgoing"), timeout=60)
        assert [str(m["In-Reply-To"]) for m in acks] == ["<mid-data@customer.example>"]
    finally:
        desk.stop()


def test_listen_names_follow_the_systemd_protocol() -> None:
    assert listen_names({}, 42) is None
    assert listen_names({"LISTEN_FDS": "1", "LISTEN_PID": "41"}, 42) is None  # not ours
    assert listen_names({"LISTEN_FDS": "2", "LISTEN_PID": "42",
                         "LISTEN_FDNAMES": "smtp:lmtp"}, 42) == ["smtp", "lmtp"]
    assert listen_names({"LISTEN_FDS": "1", "LISTEN_PID": "42"}, 42) == ["unknown"]


#: fd N becomes fd 3, LISTEN_PID our pid, then exec: what systemd does after fork().
EXEC_AS_SYSTEMD = """
import os, sys
fd = int(sys.argv[1])
os.dup2(fd, 3)
os.close(fd)
os.environ["LISTEN_PID"] = str(os.getpid())
os.execv(sys.argv[2], sys.argv[2:])
"""


def test_socket_from_systemd_replaces_smtp_listen(tmp_path: Path) -> None:
    """What systemd does for postdesk.socket: bind, then exec the daemon with the socket as
    fd 3 and LISTEN_FDS/LISTEN_PID/LISTEN_FDNAMES set for its pid."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    configured = free_port()  # [smtp] listen: must stay unused
    desk = ServedDesk(tmp_path / "desk", env={"POSTDESK_SMTP_LISTEN": f"127.0.0.1:{configured}",
                                              "LISTEN_FDS": "1", "LISTEN_FDNAMES": "smtp"})
    fd = listener.fileno()
    with desk.output.open("ab") as out:
        desk.proc = subprocess.Popen(
            [sys.executable, "-c", EXEC_AS_SYSTEMD, str(fd),
             POSTDESK, "--config", str(desk.config), "serve"],
            env=desk.env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            pass_fds=(fd,))
    listener.close()  # the daemon holds the only copy now
    try:
        wait_for(lambda: b"postdesk ready" in desk.output.read_bytes(), timeout=90)
        assert f"smtp 127.0.0.1:{port} (from systemd)".encode() in desk.output.read_bytes()
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
            client.send_message(customer_mail(message_id="<activated@customer.example>"))
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", configured), timeout=2)
        acks = wait_for(lambda: read_outgoing(desk.folder / "var" / "outgoing"), timeout=60)
        assert str(acks[0]["In-Reply-To"]) == "<activated@customer.example>"
    finally:
        desk.stop()
    assert desk.proc.returncode == 0, desk.tail()
