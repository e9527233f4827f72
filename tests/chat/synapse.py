"""A real Synapse homeserver for the Matrix tests, from its own venv (`make synapse`).

`SynapseServer` writes a throwaway configuration into a temporary folder (SQLite, one
client listener on a free port of 127.0.0.1, a registration shared secret, rate limits
out of the way, no federation), starts `synapse.app.homeserver` from `.venv-synapse`,
waits for `/_matrix/client/versions` and stops it afterwards. `MatrixUser` is a small
blocking client for the people in the tests (register, create rooms, send, react, sync),
written against the Client-Server and Synapse admin APIs; the edge under test uses its
own client (postdesk.channels.matrix).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SYNAPSE_PYTHON = REPO / ".venv-synapse" / "bin" / "python"
SERVER_NAME = "localhost"
#: a limit nothing in a test reaches; a test that wants a 429 overrides it for one user
RELAXED = {"per_second": 10000, "burst_count": 100000}

LOG_CONFIG = """\
version: 1
formatters:
  plain: {format: '%(asctime)s %(name)s %(levelname)s %(message)s'}
handlers:
  file: {class: logging.FileHandler, formatter: plain, filename: LOG_PATH}
root: {level: WARNING, handlers: [file]}
disable_existing_loggers: false
"""


def synapse_config(folder: Path, port: int, shared_secret: str) -> dict[str, Any]:
    relaxed_login = {"address": RELAXED, "account": RELAXED, "failed_attempts": RELAXED}
    return {
        "server_name": SERVER_NAME,
        "public_baseurl": f"http://127.0.0.1:{port}/",
        "pid_file": str(folder / "homeserver.pid"),
        "listeners": [{"port": port, "bind_addresses": ["127.0.0.1"], "type": "http",
                       "tls": False, "x_forwarded": False,
                       "resources": [{"names": ["client"], "compress": False}]}],
        "database": {"name": "sqlite3", "args": {"database": str(folder / "homeserver.db")}},
        "log_config": str(folder / "log.yaml"),
        "media_store_path": str(folder / "media"),
        "signing_key_path": str(folder / "signing.key"),
        "registration_shared_secret": shared_secret,
        "enable_registration": False,
        "report_stats": False,
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "federation_domain_whitelist": [],
        "enable_metrics": False,
        "presence": {"enabled": False},
        "url_preview_enabled": False,
        "rc_message": RELAXED,
        "rc_registration": RELAXED,
        "rc_login": relaxed_login,
        "rc_joins": {"local": RELAXED, "remote": RELAXED},
        "rc_joins_per_room": RELAXED,
        "rc_invites": {"per_room": RELAXED, "per_user": RELAXED, "per_issuer": RELAXED},
        "rc_admin_redaction": RELAXED,
        "rc_3pid_validation": RELAXED,
        "rc_media_create": RELAXED,
        "rc_room_creation": RELAXED,
        "max_upload_size": "50M",
    }


class SynapseServer:
    """One Synapse process in `folder`, on a free port."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.shared_secret = secrets.token_hex(16)
        self.process: subprocess.Popen[bytes] | None = None
        self.start_seconds = 0.0

    def start(self, timeout: float = 60.0) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        config = self.folder / "homeserver.yaml"
        # JSON is YAML: no YAML writer needed in our venv
        config.write_text(json.dumps(synapse_config(self.folder, self.port,
                                                    self.shared_secret)), encoding="utf-8")
        (self.folder / "log.yaml").write_text(
            LOG_CONFIG.replace("LOG_PATH", json.dumps(str(self.folder / "homeserver.log"))),
            encoding="utf-8")
        began = time.monotonic()
        subprocess.run([str(SYNAPSE_PYTHON), "-m", "synapse.app.homeserver", "-c", str(config),
                        "--generate-keys"], check=True, cwd=self.folder,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.process = subprocess.Popen(
            [str(SYNAPSE_PYTHON), "-m", "synapse.app.homeserver", "-c", str(config)],
            cwd=self.folder, stdout=subprocess.DEVNULL,
            stderr=open(self.folder / "stderr.log", "wb"))  # noqa: SIM115 (the child keeps it)
        while time.monotonic() - began < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"Synapse exited with {self.process.returncode}: "
                                   f"{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_matrix/client/versions", timeout=2):
                    self.start_seconds = time.monotonic() - began
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"Synapse did not answer within {timeout} s: {self.log_tail()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_tail(self) -> str:
        parts = []
        for name in ("stderr.log", "homeserver.log"):
            path = self.folder / name
            if path.exists():
                parts.append(path.read_text(errors="replace")[-2000:])
        return "\n".join(parts)

    def register(self, localpart: str, *, admin: bool = False) -> MatrixUser:
        """A new account through the shared-secret admin registration API."""
        nonce = _request("GET", f"{self.url}/_synapse/admin/v1/register")["nonce"]
        password = secrets.token_hex(8)
        mac = hmac.new(self.shared_secret.encode(), digestmod=hashlib.sha1)
        mac.update(b"\x00".join([nonce.encode(), localpart.encode(), password.encode(),
                                 b"admin" if admin else b"notadmin"]))
        answer = _request("POST", f"{self.url}/_synapse/admin/v1/register", {
            "nonce": nonce, "username": localpart, "password": password, "admin": admin,
            "mac": mac.hexdigest()})
        return MatrixUser(self.url, answer["user_id"], answer["access_token"])


@dataclass
class MatrixUser:
    """A person in the tests, with a blocking client of their own."""

    url: str
    user_id: str
    access_token: str

    def call(self, method: str, path: str, body: dict[str, Any] | None = None,
             params: dict[str, str] | None = None) -> dict[str, Any]:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        return _request(method, f"{self.url}{path}{query}", body, self.access_token)

    def set_verified_email(self, admin: MatrixUser, email: str) -> None:
        """Give this account a validated email threepid (as an admin through the admin API)."""
        admin.call("PUT", f"/_synapse/admin/v2/users/{_q(self.user_id)}",
                   {"threepids": [{"medium": "email", "address": email}]})

    def create_room(self, name: str, invite: list[str]) -> str:
        return str(self.call("POST", "/_matrix/client/v3/createRoom", {
            "name": name, "preset": "public_chat", "invite": invite})["room_id"])

    def join(self, room_id: str) -> None:
        self.call("POST", f"/_matrix/client/v3/join/{_q(room_id)}", {})

    def send(self, room_id: str, content: dict[str, Any],
             event_type: str = "m.room.message") -> str:
        txn = secrets.token_hex(8)
        return str(self.call("PUT", f"/_matrix/client/v3/rooms/{_q(room_id)}/send/"
                                    f"{event_type}/{txn}", content)["event_id"])

    def say(self, room_id: str, text: str, thread: str | None = None) -> str:
        content: dict[str, Any] = {"msgtype": "m.text", "body": text}
        if thread:
            content["m.relates_to"] = {"rel_type": "m.thread", "event_id": thread,
                                       "is_falling_back": True,
                                       "m.in_reply_to": {"event_id": thread}}
        return self.send(room_id, content)

    def react(self, room_id: str, event_id: str, key: str) -> str:
        return self.send(room_id, {"m.relates_to": {"rel_type": "m.annotation",
                                                    "event_id": event_id, "key": key}},
                         "m.reaction")

    def send_file(self, room_id: str, name: str, content_type: str, data: bytes,
                  thread: str | None = None) -> str:
        request = urllib.request.Request(
            f"{self.url}/_matrix/media/v3/upload?{urllib.parse.urlencode({'filename': name})}",
            data=data, method="POST",
            headers={"Content-Type": content_type,
                     "Authorization": f"Bearer {self.access_token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            mxc = json.loads(response.read())["content_uri"]
        content: dict[str, Any] = {"msgtype": "m.file", "body": name, "url": mxc,
                                   "info": {"mimetype": content_type, "size": len(data)}}
        if thread:
            content["m.relates_to"] = {"rel_type": "m.thread", "event_id": thread}
        return self.send(room_id, content)

    def room_events(self, room_id: str, limit: int = 50) -> list[dict[str, Any]]:
        """The room's latest events, oldest first, as this user's client sees them."""
        page = self.call("GET", f"/_matrix/client/v3/rooms/{_q(room_id)}/messages",
                         params={"dir": "b", "limit": str(limit)})
        return list(reversed(page.get("chunk") or []))

    def synced_events(self, room_id: str) -> list[dict[str, Any]]:
        """The room's timeline in a fresh /sync of this user's client, oldest first."""
        room_filter = {"room": {"rooms": [room_id], "timeline": {"limit": 100}}}
        answer = self.call("GET", "/_matrix/client/v3/sync",
                           params={"filter": json.dumps(room_filter), "timeout": "0"})
        room = answer.get("rooms", {}).get("join", {}).get(room_id, {})
        return list(room.get("timeline", {}).get("events") or [])

    def thread_events(self, room_id: str, root: str) -> list[dict[str, Any]]:
        """The events of a thread (the relations API), oldest first."""
        page = self.call("GET", f"/_matrix/client/v1/rooms/{_q(room_id)}/relations/"
                                f"{_q(root)}/m.thread", params={"dir": "f", "limit": "100"})
        return list(page.get("chunk") or [])


def _q(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def _request(method: str, url: str, body: dict[str, Any] | None = None,
             token: str | None = None) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return dict(json.loads(response.read() or b"{}"))
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"{method} {url}: HTTP {exc.code} {exc.read()[:300]!r}") from exc


def synapse_available() -> bool:
    return SYNAPSE_PYTHON.exists() and os.access(SYNAPSE_PYTHON, os.X_OK)
