"""CPU and small objects of the worker's parse of a maximum-size mail, against the plain
standard-library parse in the same run.

    .venv/bin/python bench/large_mail_parse.py [--megabytes 25] [--rounds 3]

`parse_message` of a mail with one base64 attachment of nearly `--megabytes`
MB (as `bench/memory.py` sends them), with the long base64 runs set aside
before the MIME parser and the attachment decoded in one pass
(`postdesk.mail.large_parts`), and as the baseline with both turned off
(every line a string in the parser, every line a bytes object in the
decoding). Reports the least CPU of `--rounds` rounds and the arenas of
Python's small-object allocator (1 MiB each) allocated during one parse:
what other long-lived objects can pin after a large mail (issue 25 point 8).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from email import policy
from email.message import EmailMessage
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from postdesk.mail import large_parts, mime_part
from postdesk.mail.parse import parse_message
from pymalloc_arenas import arenas_allocated


def large_mail(megabytes: float) -> bytes:
    message = EmailMessage()
    message["From"], message["To"] = "big@memory.example", "support@example.com"
    message["Subject"] = "Logs"
    message.set_content("Hello, the logs of the failing printer are attached.\n")
    message.add_attachment(os.urandom(int(megabytes * 1e6 * 0.74)), maintype="application",
                           subtype="octet-stream", filename="printer.log")
    return message.as_bytes(policy=policy.SMTP)




def one(raw: bytes) -> tuple[float, int]:
    gc.collect()
    made = arenas_allocated()
    cpu = time.process_time()
    parsed = parse_message(raw)
    cpu = time.process_time() - cpu
    made = arenas_allocated() - made
    assert parsed.attachments, "the attachment was not found"
    return cpu, made


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=25)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    raw = large_mail(args.megabytes)
    results: dict[str, list[tuple[float, int]]] = {"large_parts": [], "baseline": []}
    for _ in range(args.rounds):
        results["large_parts"].append(one(raw))
        with mock.patch.object(large_parts, "LARGE", len(raw) + 1), \
                mock.patch.object(mime_part, "quick_base64", lambda part: None):
            results["baseline"].append(one(raw))
    print(f"parse_message of a {len(raw) / 1e6:.1f} MB mail (one base64 attachment), "
          f"least CPU of {args.rounds} rounds; small-object arenas allocated in the first")
    for label, runs in results.items():
        print(f"  {label:12} {min(cpu for cpu, _ in runs):.3f} s   arenas {runs[0][1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
