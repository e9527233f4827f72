"""Every Postfix recipe of the README's "Mail routing" section, against a real Postfix.

Each test builds the recipe's main.cf, master.cf and tables as the README shows them
(addresses and ports aside), sends mail into Postfix with smtplib, and checks what an
operator would: the mail reaches the desk, unknown recipients are refused at RCPT
(no backscatter), Postfix's log shows the delivery.
"""

from __future__ import annotations

import json
import os
import shutil
import smtplib
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import free_port
from mailbuild import customer_mail, wait_for
from ops.postfix import RealPostfix, require_postfix
from ops.served import POSTDESK, ServedDesk
from postdesk.config.desk_init import init_desk
from postdesk.config.load import load_settings
from postdesk.mail.verp import bounce_address

DESK_DOMAIN = "support.example.com"
#: The README's first recipe: a relay domain for the desk, unknown recipients refused
#: at RCPT by the table `postdesk postfix-maps` makes.
RELAY_DOMAIN_MAIN = ("recipient_delimiter = +\n"
                     f"relay_domains = {DESK_DOMAIN}\n"
                     "transport_maps = hash:{etc}/transport\n"
                     "relay_recipient_maps = regexp:{etc}/postdesk_recipients\n")


@pytest.fixture(autouse=True)
def _postfix_installed() -> None:
    require_postfix()


def recipient_table(config: Path, env: dict[str, str] | None = None) -> str:
    made = subprocess.run([POSTDESK, "--config", str(config), "postfix-maps"],
                          capture_output=True, text=True, check=True, env=env)
    return made.stdout


def inbound(config: Path, command: str = POSTDESK,
            env: dict[str, str] | None = None) -> list[dict]:
    """`postdesk inbound --json`; with another `command`, as the pipe's user (nobody), so
    that the SQLite files it makes stay writable for the pipe."""
    user = None if command == POSTDESK else 65534
    listed = subprocess.run([command, "--config", str(config), "inbound", "--json"],
                            capture_output=True, text=True, check=True, user=user, group=user,
                            env=env)
    return json.loads(listed.stdout)


def send(postfix: RealPostfix, to: list[str], sender: str = "zoe@customer.example") -> None:
    mail = customer_mail(to=", ".join(to))
    with smtplib.SMTP("127.0.0.1", postfix.port, timeout=30) as client:
        client.sendmail(sender, to, mail.as_bytes())


def refused_at_rcpt(postfix: RealPostfix, address: str) -> tuple[int, bytes]:
    with smtplib.SMTP("127.0.0.1", postfix.port, timeout=30) as client:
        client.ehlo()
        client.mail("zoe@customer.example")
        return client.rcpt(address)


def relay_domain_postfix(next_hop: str, config: Path, master: str = "") -> RealPostfix:
    """The README's first recipe, the desk's domain routed to `next_hop`, started."""
    return RealPostfix(main=RELAY_DOMAIN_MAIN, master=master,
                       tables={"transport": f"{DESK_DOMAIN}    {next_hop}\n",
                               "postdesk_recipients": recipient_table(config)},
                       hashed=("transport",)).start()


def refuses_unknown_then_sends_to_two(postfix: RealPostfix) -> None:
    """An unknown address gets 550 at RCPT (no backscatter); then one mail to two of ours."""
    code, _ = refused_at_rcpt(postfix, f"nobody@{DESK_DOMAIN}")
    assert code == 550
    send(postfix, [f"support@{DESK_DOMAIN}", f"support+billing@{DESK_DOMAIN}"])


def test_lmtp_relay_domain_with_recipient_map(tmp_path: Path) -> None:
    port = free_port()
    desk = ServedDesk(tmp_path / "desk", env={"POSTDESK_LMTP_LISTEN": f"127.0.0.1:{port}"},
                      domain=DESK_DOMAIN).start()
    config = desk.config
    postfix = relay_domain_postfix(f"lmtp:inet:127.0.0.1:{port}", config)
    try:
        refuses_unknown_then_sends_to_two(postfix)
        rows = wait_for(lambda: [r for r in inbound(config) if r["state"] == "done"],
                        timeout=60, interval=0.5)
        assert rows[0]["source"] == "lmtp" and rows[0]["ticket"] == 1
        assert "status=sent" in postfix.logged()
        # a free-text bounce to the acknowledgment's return path (VERP) passes the
        # recipient table and names the recipient that failed (issue 27)
        verp = bounce_address(f"support@{DESK_DOMAIN}", 1, "zoe@customer.example",
                              load_settings(config, environ={}).desk.secret)
        with smtplib.SMTP("127.0.0.1", postfix.port, timeout=30) as client:
            client.sendmail("", [verp], (
                f"From: MAILER-DAEMON@mx.customer.example\r\nTo: {verp}\r\n"
                "Subject: Returned mail\r\n\r\nThe account is closed.\r\n").encode())
        bounced = wait_for(lambda: [r for r in inbound(config) if r["rcpt_to"] == [verp]
                                    and r["state"] != "pending"], timeout=60, interval=0.5)
        assert bounced[0]["state"] == "ignored" and bounced[0]["ticket"] == 1
        assert "return path of outbox 1 (zoe@customer.example)" in bounced[0]["reason"]
    finally:
        postfix.stop()
        desk.stop()


@pytest.fixture
def nobody_folder() -> Iterator[Path]:
    """A desk folder the pipe's unprivileged user (nobody) can write its database in."""
    folder = Path(tempfile.mkdtemp(prefix="postdesk-pipe-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def own_by_nobody(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        os.chown(path, 65534, 65534, follow_symlinks=False)


def command_for_nobody(folder: Path) -> str:
    """The `postdesk` command as the pipe's user runs it.

    An installed Postdesk (/opt/postdesk/venv) is the venv's own script; a test venv
    made from a Python under /root, which the pipe's user cannot enter, runs the same
    installed package with the system's Python of the same minor version instead.
    """
    try:
        subprocess.run([POSTDESK, "--version"], user=65534, group=65534, check=True,
                       capture_output=True)
        return POSTDESK
    except (OSError, subprocess.CalledProcessError):
        pass
    site = next(Path(sys.prefix, "lib").glob("python3*/site-packages"))
    wrapper = folder / "postdesk"
    wrapper.write_text(
        "#!/bin/sh\n"
        "exec /usr/bin/python3 -c 'import site, sys; site.addsitedir(sys.argv.pop(1)); "
        f"from postdesk.cli.main import main; main()' {site} \"$@\"\n")
    wrapper.chmod(0o755)
    return str(wrapper)


def pipe_entry(command: str, config: Path) -> str:
    """The README's master.cf entry, with this test's paths."""
    return ("postdesk  unix  -       n       n       -       -       pipe\n"
            f"  user=nobody null_sender= argv={command} --config {config}\n"
            "  ingest -f ${sender} -r ${recipient}\n")


def test_pipe_transport_several_recipients_and_null_sender(tmp_path: Path,
                                                           nobody_folder: Path) -> None:
    config = init_desk(nobody_folder / "desk", domain=DESK_DOMAIN)
    own_by_nobody(nobody_folder)
    command = command_for_nobody(nobody_folder)
    postfix = relay_domain_postfix("postdesk:", config, master=pipe_entry(command, config))
    try:
        refuses_unknown_then_sends_to_two(postfix)
        [row] = wait_for(lambda: inbound(config, command), timeout=60, interval=0.5)
        assert row["source"] == "pipe" and row["mail_from"] == "zoe@customer.example"
        assert f"support+billing@{DESK_DOMAIN}" in row["rcpt_to"]
        assert f"support@{DESK_DOMAIN}" in row["rcpt_to"]
        send(postfix, [f"support@{DESK_DOMAIN}"], sender="")
        rows = wait_for(lambda: [r for r in inbound(config, command) if r["id"] == 2],
                        timeout=60, interval=0.5)
        assert rows[0]["mail_from"] == ""
        assert "status=bounced" not in postfix.logged()
    finally:
        postfix.stop()


def test_pipe_without_configuration_defers_and_delivers_after_the_fix(
        tmp_path: Path, nobody_folder: Path) -> None:
    """The README's entry once had no --config: Postfix must keep the mail, not bounce it."""
    config = init_desk(nobody_folder / "desk", domain=DESK_DOMAIN)
    own_by_nobody(nobody_folder)
    command = command_for_nobody(nobody_folder)
    missing = nobody_folder / "elsewhere.toml"
    postfix = RealPostfix(main=(
        f"relay_domains = {DESK_DOMAIN}\n"
        f"transport_maps = hash:{{etc}}/transport\n"),
        master=pipe_entry(command, missing),
        tables={"transport": f"{DESK_DOMAIN}    postdesk:\n"},
        hashed=("transport",)).start()
    try:
        send(postfix, [f"support@{DESK_DOMAIN}"])
        wait_for(lambda: "status=deferred" in postfix.logged(), timeout=60, interval=0.5)
        assert "status=bounced" not in postfix.logged()
        shutil.copy(config, missing)
        os.chown(missing, 65534, 65534)
        postfix.flush()
        # the copy's relative paths (database, rules) are beside it now
        wait_for(lambda: inbound(missing, command), timeout=60, interval=0.5)
    finally:
        postfix.stop()


def test_single_address_of_a_local_domain(tmp_path: Path) -> None:
    """support@example.com goes to the desk; Postfix delivers the domain's other mail."""
    port = free_port()
    desk = ServedDesk(tmp_path / "desk", env={"POSTDESK_LMTP_LISTEN": f"127.0.0.1:{port}"})
    desk.start()
    postfix = RealPostfix(main=(
        "recipient_delimiter = +\n"
        "mydestination = example.com\n"
        "transport_maps = hash:{etc}/transport\n"
        "local_recipient_maps = proxy:unix:passwd.byname $alias_maps "
        "regexp:{etc}/postdesk_recipients\n"),
        tables={"transport": f"support@example.com    lmtp:inet:127.0.0.1:{port}\n",
                "postdesk_recipients": recipient_table(desk.config)},
        hashed=("transport",)).start()
    try:
        code, _ = refused_at_rcpt(postfix, "nosuchuser@example.com")
        assert code == 550
        send(postfix, ["support@example.com"])
        rows = wait_for(lambda: [r for r in inbound(desk.config) if r["state"] == "done"],
                        timeout=60, interval=0.5)
        assert rows[0]["source"] == "lmtp"
        assert not [line for line in postfix.logged().splitlines()
                    if "User unknown" in line and "<support@example.com>" in line]
    finally:
        postfix.stop()
        desk.stop()


def test_virtual_alias_of_a_local_address_is_answered_from_the_public_address(
        tmp_path: Path) -> None:
    """support@example.com (a domain Postfix delivers itself) goes by virtual_alias_maps
    to the desk's routing domain; the desk takes the internal name as the public
    address and answers from support@example.com."""
    port = free_port()
    desk = ServedDesk(tmp_path / "desk", env={
        "POSTDESK_LMTP_LISTEN": f"127.0.0.1:{port}",
        "POSTDESK_DESK_ALIASES": f"support@{DESK_DOMAIN}=support@example.com"}).start()
    postfix = RealPostfix(main=(
        RELAY_DOMAIN_MAIN + "mydestination = example.com\n"
        "virtual_alias_maps = hash:{etc}/virtual\n"),
        tables={"virtual": f"support@example.com    support@{DESK_DOMAIN}\n",
                "transport": f"{DESK_DOMAIN}    lmtp:inet:127.0.0.1:{port}\n",
                "postdesk_recipients": recipient_table(desk.config, desk.env)},
        hashed=("virtual", "transport")).start()
    try:
        send(postfix, ["support@example.com"])
        rows = wait_for(lambda: [r for r in inbound(desk.config, env=desk.env)
                                 if r["state"] == "done"], timeout=60, interval=0.5)
        assert rows[0]["rcpt_to"] == [f"support@{DESK_DOMAIN}"]  # the envelope as it came
        outgoing = wait_for(lambda: list((desk.folder / "var" / "outgoing").glob("*.eml")))
        answer = outgoing[0].read_bytes()
        assert b"From: Example Support <support@example.com>" in answer
        assert b"Reply-To: Example Support <support+1-" in answer
        assert DESK_DOMAIN.encode() not in answer
        assert "status=bounced" not in postfix.logged()
    finally:
        postfix.stop()
        desk.stop()
