"""A real Postfix (Debian's package) on a free port of 127.0.0.1, with a throwaway
configuration and queue, for the tests of the README's Postfix recipes.

`postfix -c DIR start` runs a complete instance beside any system one: its own
main.cf and master.cf, queue and data directories, no chroot, logging to a file.
Only root can start it; the tests skip locally (and fail under CI) otherwise.
"""

from __future__ import annotations

import os
import shutil
import smtplib
import subprocess
import tempfile
from pathlib import Path

from conftest import free_port, require_service
from mailbuild import wait_for

SERVICES = """\
{port} inet n - n - - smtpd
pickup unix n - n 60 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
smtp unix - - n - - smtp
relay unix - - n - - smtp
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
local unix - n n - - local
virtual unix - n n - - virtual
lmtp unix - - n - - lmtp
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
"""


def require_postfix() -> None:
    if shutil.which("postfix") is None or not Path("/usr/sbin/postmap").exists():
        require_service("Postfix", "Debian's postfix package is not installed")
    if os.geteuid() != 0:
        require_service("Postfix", "starting a Postfix instance needs root")


class RealPostfix:
    """A Postfix instance in a fresh folder of /tmp (its daemons, running as the
    postfix user, must reach it); `main` and `master` are added to its main.cf and
    master.cf, `tables` are written into its configuration folder (`{etc}` in
    `main` names it) and the `hashed` ones postmap'ed."""

    def __init__(self, *, main: str, master: str = "",
                 tables: dict[str, str] | None = None, hashed: tuple[str, ...] = ()) -> None:
        folder = Path(tempfile.mkdtemp(prefix="postdesk-postfix-"))
        folder.chmod(0o755)
        self.folder = folder
        self.config = folder / "etc"
        self.port = free_port()
        self.log = folder / "maillog"
        self.config.mkdir(parents=True)
        queue = folder / "spool"
        queue.mkdir()
        data = folder / "data"
        data.mkdir()
        shutil.chown(data, "postfix", "postfix")
        (self.config / "main.cf").write_text(
            f"compatibility_level = 3.6\n"
            f"queue_directory = {queue}\n"
            f"data_directory = {data}\n"
            f"maillog_file = {self.log}\nmaillog_file_prefixes = {folder}\n"
            "mail_owner = postfix\nsetgid_group = postdrop\n"
            "myhostname = mx.test.example\nmydomain = test.example\n"
            "inet_interfaces = 127.0.0.1\ninet_protocols = ipv4\n"
            "mynetworks = 127.0.0.0/8\nmydestination =\n"
            "alias_maps =\nalias_database =\n"
            "smtpd_banner = $myhostname ESMTP\nbiff = no\n"
            "smtp_dns_support_level = disabled\n"
            "maximal_backoff_time = 10s\nminimal_backoff_time = 5s\nqueue_run_delay = 5s\n"
            + main.replace("{etc}", str(self.config)))
        (self.config / "master.cf").write_text(SERVICES.format(port=self.port) + master)
        for name, text in (tables or {}).items():
            (self.config / name).write_text(text)
        for name in hashed:
            subprocess.run(["postmap", "-c", str(self.config), str(self.config / name)],
                           check=True, capture_output=True)

    def start(self) -> RealPostfix:
        checked = subprocess.run(["postfix", "-c", str(self.config), "check"],
                                 capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr + self.logged()
        started = subprocess.run(["postfix", "-c", str(self.config), "start"],
                                 capture_output=True, text=True)
        assert started.returncode == 0, started.stderr
        wait_for(self._listening, timeout=30, interval=0.2)
        return self

    def _listening(self) -> bool:
        try:
            with smtplib.SMTP("127.0.0.1", self.port, timeout=5) as client:
                client.noop()
        except OSError:
            return False
        return True

    def stop(self) -> None:
        """Stop the instance and remove its folder (its log is printed for a failed test)."""
        subprocess.run(["postfix", "-c", str(self.config), "stop"], capture_output=True)
        print(self.logged()[-4000:])
        shutil.rmtree(self.folder, ignore_errors=True)

    def release_held(self) -> None:
        """Let go of the mail put on hold (a `HOLD` action) and deliver it now."""
        subprocess.run(["postsuper", "-c", str(self.config), "-H", "ALL"],
                       check=True, capture_output=True)
        self.flush()

    def flush(self) -> None:
        """Deliver what waits in the queue now (as `postqueue -f`)."""
        subprocess.run(["postqueue", "-c", str(self.config), "-f"], capture_output=True)

    def logged(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def queue(self) -> str:
        return subprocess.run(["postqueue", "-c", str(self.config), "-p"],
                              capture_output=True, text=True).stdout
