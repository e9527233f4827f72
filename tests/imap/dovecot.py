"""A private Dovecot IMAP server for the tests: own config, users, maildirs and ports in a temp dir.

It never touches the system Dovecot: `dovecot -F -c CONF` runs in the
foreground as our child with its own base_dir, and is stopped at the end.
Plain IMAP (with STARTTLS) and implicit TLS listen on 127.0.0.1; the
certificate is a fresh self-signed one for 127.0.0.1, written to `cert`
(point SSL_CERT_FILE at it to trust it).
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
DOVEADM = shutil.which("doveadm") or "/usr/bin/doveadm"
USER = "desk"
PASSWORD = "s3cret-desk"


def available() -> str | None:
    """None when a private Dovecot can run here, else why not."""
    if not Path(DOVECOT).exists():
        return "dovecot is not installed (apt-get install dovecot-imapd)"
    if not shutil.which("openssl"):
        return "openssl is not installed"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children_of(parent: int) -> list[int]:
    """The ids of the processes whose parent is `parent` (from /proc)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            status = (proc / "status").read_text()
        except OSError:
            continue
        ppid = next((int(line.split()[1]) for line in status.splitlines()
                     if line.startswith("PPid:")), 0)
        if ppid == parent:
            found.append(int(proc.name))
    return found


class Dovecot:
    """Start with `start()`, stop with `stop()`; `client()` is a stdlib imaplib connection."""

    def __init__(self, *, capabilities: str | None = None, separator: str | None = None) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="postdesk-dovecot-"))
        self.root.chmod(0o755)
        self.port = _free_port()
        self.tls_port = _free_port()
        self.capabilities = capabilities  # e.g. without IDLE, to force polling
        self.separator = separator  # of the folder hierarchy; Dovecot's maildir default is "."
        self.cert = self.root / "cert.pem"
        self.process: subprocess.Popen[bytes] | None = None
        self._write_config()

    @property
    def config(self) -> Path:
        return self.root / "dovecot.conf"

    def _write_config(self) -> None:
        root = self.root
        for name in ("run", "state", "mail"):
            (root / name).mkdir()
        if os.geteuid() == 0:
            mail_user = pwd.getpwnam("nobody")
            login_user, internal_user = "dovenull", "dovecot"
        else:
            mail_user = pwd.getpwuid(os.geteuid())
            login_user = internal_user = mail_user.pw_name
        uid, gid = mail_user.pw_uid, mail_user.pw_gid
        os.chown(root / "mail", uid, gid)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", str(root / "key.pem"), "-out", str(self.cert)],
                       check=True, capture_output=True)
        (root / "passwd").write_text(
            f"{USER}:{{PLAIN}}{PASSWORD}:{uid}:{gid}::{root / 'mail' / USER}::\n")
        capability = f"imap_capability = {self.capabilities}\n" if self.capabilities else ""
        if self.separator:
            capability += f"namespace inbox {{\n  inbox = yes\n  separator = {self.separator}\n}}\n"
        self.config.write_text(f"""\
protocols = imap
listen = 127.0.0.1
base_dir = {root / 'run'}
state_dir = {root / 'state'}
instance_name = postdesk-test-{self.port}
log_path = {root / 'dovecot.log'}
default_login_user = {login_user}
default_internal_user = {internal_user}
first_valid_uid = {min(uid, 500)}
ssl = yes
ssl_cert = <{self.cert}
ssl_key = <{root / 'key.pem'}
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
mail_fsync = never
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root / 'passwd'}
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root / 'passwd'}
}}
service imap-login {{
  inet_listener imap {{
    port = {self.port}
  }}
  inet_listener imaps {{
    port = {self.tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
{capability}""")

    def start(self) -> Dovecot:
        self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(self.config)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited: {self.process.stderr.read().decode()}"
                                   f"{self.log()}")  # type: ignore[union-attr]
            with contextlib.suppress(OSError), socket.create_connection(
                    ("127.0.0.1", self.port), timeout=1) as sock:
                if sock.recv(100).startswith(b"* OK"):
                    return self
            time.sleep(0.1)
        raise RuntimeError(f"dovecot did not start: {self.log()}")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def kick(self) -> None:
        """Kill every IMAP session process of this instance (a dropped connection)."""
        for pid in self.session_pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def session_pids(self) -> list[int]:
        """The `imap` processes serving logged-in sessions of this instance."""
        assert self.process is not None
        found = []
        for pid in children_of(self.process.pid):
            with contextlib.suppress(OSError):
                if Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].endswith(b"imap"):
                    found.append(pid)
        return found

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def doveadm(self, *args: str) -> str:
        """Output of `doveadm ARGS` for our user: Dovecot's own view, folder names in UTF-8."""
        result = subprocess.run([DOVEADM, "-c", str(self.config), *args[:2], "-u", USER,
                                 *args[2:]], capture_output=True, text=True, timeout=30)
        if result.returncode != 0:
            raise RuntimeError(f"doveadm {' '.join(args)}: {result.stderr}")
        return result.stdout

    def client(self) -> imaplib.IMAP4:
        """A logged-in stdlib client: how a user's mail program would see the mailbox."""
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.login(USER, PASSWORD)
        return client
