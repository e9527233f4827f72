"""A send killed midway leaves nothing beside the delivered .eml files, and its leftovers
are cleared when the transport starts again (a real SIGKILL of a real process)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from postdesk.channels.email import durable_files
from postdesk.channels.email.transports import Envelope, Outgoing, transport_from_url

#: A process that sends one mail and is killed once its file is written but before it
#: is renamed into place: the moment at which a crash leaves a temporary behind.
KILLED_MIDWAY = """
import os, signal, sys
from postdesk.channels.email import durable_files
from postdesk.channels.email.transports import Envelope, Outgoing, transport_from_url

def killed(folder, fds):
    os.kill(os.getpid(), signal.SIGKILL)

durable_files._make_durable = killed
transport = transport_from_url("maildir:" + sys.argv[1], starttls="off", timeout=5)
transport.send_many([Outgoing(b"Subject: cut short\\r\\n\\r\\nx\\r\\n",
                              Envelope("support@example.com", ("zoe@customer.example",)),
                              "<cut-short@example.com>")])
"""


def mail(number: int) -> Outgoing:
    raw = f"Subject: mail {number}\r\nMessage-ID: <m{number}@example.com>\r\n\r\nhi\r\n"
    return Outgoing(raw.encode(), Envelope("support@example.com", ("zoe@customer.example",)),
                    f"<m{number}@example.com>")


def start(folder: Path):  # as the daemon does, once per process
    return transport_from_url(f"maildir:{folder}", starttls="off", timeout=5)


def test_a_send_killed_midway_leaves_nothing_beside_the_delivered_mails(tmp_path: Path) -> None:
    folder = tmp_path / "outgoing"
    start(folder).send_many([mail(1)])
    killed = subprocess.run([sys.executable, "-c", KILLED_MIDWAY, str(folder)],
                            capture_output=True, timeout=60)
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    start(folder).send_many([mail(2)])  # the restarted daemon sends on
    beside = sorted(path.name for path in folder.iterdir() if not path.is_dir())
    assert len(beside) == 2 and all(name.endswith(".eml") for name in beside), beside
    left = list((folder / durable_files.TEMPORARY_FOLDER).iterdir())
    assert len(left) == 1  # the killed write, hidden; too fresh to be known as dead

    an_hour_ago = time.time() - 3600
    os.utime(left[0], (an_hour_ago, an_hour_ago))
    start(folder)
    assert list((folder / durable_files.TEMPORARY_FOLDER).iterdir()) == []
    assert sorted(path.name for path in folder.iterdir() if not path.is_dir()) == beside


def test_temporaries_left_beside_the_mails_by_an_older_version_go_at_start(
        tmp_path: Path) -> None:
    folder = tmp_path / "outgoing"
    start(folder).send_many([mail(1)])
    (folder / ".tmp-k2j3h4.part").write_bytes(b"Subject: half a ma")
    start(folder)
    assert [path.suffix for path in folder.iterdir() if not path.is_dir()] == [".eml"]
