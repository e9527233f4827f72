"""A desk made by `postdesk init` and run as a real `postdesk serve` subprocess, as an
operator runs it: for the tests of logs, status, metrics and signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from conftest import free_port
from mailbuild import wait_for
from ops.cluster import stop_process
from postdesk.config.desk_init import init_desk

POSTDESK = str(Path(sys.executable).with_name("postdesk"))


class ServedDesk:
    """`postdesk serve` of a fresh desk in `folder`; `extra` is appended to postdesk.toml."""

    def __init__(self, folder: Path, extra: str = "", env: dict[str, str] | None = None,
                 domain: str = "example.com") -> None:
        self.folder = folder
        self.config = init_desk(folder, domain=domain)
        self.port = free_port()
        with self.config.open("a", encoding="utf-8") as toml:
            toml.write("\n" + extra + "\n")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("POSTDESK_")}
        self.env["POSTDESK_SMTP_LISTEN"] = f"127.0.0.1:{self.port}"
        self.env["POSTDESK_WEB_LISTEN"] = ""  # the skeleton's fixed port: off here
        self.env.update(env or {})
        self.output = folder / "serve.out"
        self.proc: subprocess.Popen[bytes] | None = None

    def run(self, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
        """One `postdesk` command against this desk."""
        return subprocess.run([POSTDESK, "--config", str(self.config), *args], env=self.env,
                              capture_output=True, text=True, timeout=60, check=check)

    def start(self, ready_in: Path | None = None, timeout: float = 90) -> ServedDesk:
        with self.output.open("ab") as out:
            self.proc = subprocess.Popen([POSTDESK, "--config", str(self.config), "serve"],
                                         env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
        log = ready_in or self.output

        def ready() -> bool:
            assert self.proc is not None
            assert self.proc.poll() is None, f"serve exited early:\n{self.tail()}"
            return log.exists() and b"postdesk ready" in log.read_bytes()

        wait_for(ready, timeout=timeout, interval=0.1)
        return self

    def signal(self, sig: signal.Signals) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def wait(self, timeout: float = 60) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout=timeout)

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc, grace=60)

    def tail(self, chars: int = 3000) -> str:
        return self.output.read_text(errors="replace")[-chars:] if self.output.exists() else ""
