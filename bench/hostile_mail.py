"""Worker CPU for hostile mail shapes: does the cost of a mail grow with its size, or with
its size squared? Prints figures; it is not a test.

    .venv/bin/python bench/hostile_mail.py [--size 100000] [--shape TEXT] [--keep]

Each shape (a long line of quote markers, a run of letters with no address, deep HTML,
a subject of many reply prefixes, ...) is built at SIZE and at twice SIZE characters,
stored as an inbound row on a fresh SQLite desk under bench/out/ and processed by the
worker's unit of work (`processing.process_inbound`: parse, classify, bounce reading,
language, reply extraction, HTML cleaning, the ORM). For each it prints the CPU time at
both sizes and their ratio: about 2 is linear, about 4 is quadratic. The baseline in the
same run is ordinary prose of the same sizes. A shape far above the baseline is a way
for anyone to make a worker spend seconds on one mail.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import remove_work_folder, work_folder

RECIPIENT = "support@example.com"


def _repeat(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def _prose(size: int) -> str:
    sentence = ("Our printer on the third floor stopped printing this morning and shows "
                "error 42; could you please have a look before Friday? ")
    lines = [sentence] * (size // len(sentence) + 1)
    return "\n".join(lines)[:size]


#: name -> (where it goes, body or header value of the given size)
def _nested_multiparts(size: int) -> str:
    """Multiparts nested as deep as `size` characters allow, each opened, none closed."""
    levels = []
    total = 0
    while total < size:
        number = len(levels)
        level = f"Content-Type: multipart/mixed; boundary=b{number}\r\n\r\n--b{number}\r\n"
        levels.append(level)
        total += len(level)
    return (f"From: Customer <hostile@customer.example>\r\nTo: {RECIPIENT}\r\n"
            "Subject: Printer\r\nMIME-Version: 1.0\r\n" + "".join(levels) + "\r\nHello\r\n")


def _nested_messages(size: int) -> str:
    level = "Content-Type: message/rfc822\r\n\r\n"
    return (f"From: Customer <hostile@customer.example>\r\nTo: {RECIPIENT}\r\n"
            "Subject: Printer\r\nMIME-Version: 1.0\r\n" + level * (size // len(level))
            + "\r\nHello\r\n")


def _subject_as_sent(subject: str) -> str:
    """A whole mail whose Subject is ``subject`` as written (EmailMessage would re-encode it)."""
    return (f"From: Customer <hostile@customer.example>\r\nTo: {RECIPIENT}\r\n"
            f"Subject: {subject}\r\nMessage-ID: <hostile@customer.example>\r\n\r\nHello\r\n")


SHAPES: dict[str, tuple[str, Callable[[int], str]]] = {
    "baseline: prose": ("text", _prose),
    "one line of '> '": ("text", lambda n: "Hello\n" + _repeat("> ", n)),
    "one line of '>'": ("text", lambda n: "Hello\n" + _repeat(">", n)),
    "one line of letters": ("text", lambda n: _repeat("a", n)),
    "letters then '@'": ("text", lambda n: _repeat("a", n) + "@"),
    "one line of quotes": ("text", lambda n: _repeat("'", n)),
    "one line of spaces": ("text", lambda n: "x" + _repeat(" \t", n) + "x"),
    "one line of '-'": ("text", lambda n: _repeat("-", n)),
    "one line of '-=_*'": ("text", lambda n: _repeat("-=_*", n)),
    "'a@' repeated": ("text", lambda n: _repeat("a@", n)),
    "'a.' repeated": ("text", lambda n: _repeat("a.", n)),
    "quote levels": ("text", lambda n: "\n".join(">" * k + " text" for k in range(1, 400))
                     [:n] + "\n" + _prose(n)),
    "'On ... wrote:' lines": ("text", lambda n: _repeat("On Mon, Jan 1, 2024 at 10:00 AM "
                                                        "Someone <a@b.example> wrote:\n", n)),
    "signature dashes": ("text", lambda n: _repeat("-- \nJohn\n", n)),
    "phone signatures": ("text", lambda n: "Hi\n" + _repeat("Sent from my iPhone\n", n)),
    "contact blocks": ("text", lambda n: "Hi\n" + _repeat("\nAnna Nowak\n+48 600 100 200\n", n)),
    "disclaimers": ("text", lambda n: "Hi\n" + _repeat("\nCONFIDENTIAL: confidential.\n", n)),
    "blank lines": ("text", lambda n: "x" + _repeat("\n", n) + "x"),
    "html: nested divs": ("html", lambda n: _repeat("<div>", n // 2) + "x"),
    "html: nested tables": ("html", lambda n: _repeat("<table><tr><td>", n) + "x"),
    "html: one open tag": ("html", lambda n: "<p " + _repeat("a", n)),
    "html: '<' run": ("html", lambda n: _repeat("<", n)),
    "html: comments": ("html", lambda n: _repeat("<!--", n)),
    "html: unclosed '<p' lines": ("html", lambda n: _repeat("<p" * 450 + "\r\n", n)),
    "html: '<!-- x >' unclosed": ("html", lambda n: _repeat("<!-- x >", n)),
    "html: long line of words": ("html", lambda n: "<p>" + _repeat("word ", n)),
    "subject: 'Re: ' prefixes": ("subject", lambda n: _repeat("Re: ", n) + "printer"),
    "subject: '[#1] ' tags": ("subject", lambda n: _repeat("[#1] ", n)),
    "subject: encoded words": ("subject", lambda n: _repeat("=?utf-8?q?a?= ", n)),
    "subject: 'Please confirm '": ("subject", lambda n: _repeat("Please confirm ", n)),
    "subject: encoded words, as sent": ("raw", lambda n: _subject_as_sent(
        _repeat("=?utf-8?B?w6k?= ", n))),
    "subject: 8-bit words, as sent": ("raw", lambda n: _subject_as_sent(_repeat("w\u00f3rd ", n))),
    "To: many addresses": ("to", lambda n: _repeat("a@b.example, ", n) + RECIPIENT),
    "To: 'a.' repeated": ("to", lambda n: _repeat("a.", n) + ", " + RECIPIENT),
    "From: long address header": ("from", lambda n: _repeat("Name <a@b.example>, ", n)),
    "From: '<' run": ("from", lambda n: _repeat("<", n)),
    "text: 900-byte lines": ("text", lambda n: _repeat("x" * 900 + "\n", n)),
    "text: one line, no breaks": ("text", lambda n: _repeat("word ", n)),
    "MIME: nested multiparts": ("raw", lambda n: _nested_multiparts(n)),
    "MIME: nested message/rfc822": ("raw", lambda n: _nested_messages(n)),
}
#: Every plain-text shape also as the text of a bounce (read by the bounce parser).
SHAPES.update({f"bounce, {name}": ("bounce", make) for name, (where, make) in list(SHAPES.items())
               if where == "text" and not name.startswith("baseline")})


def build(where: str, payload: str, index: int) -> bytes:
    if where == "raw":  # the shape is the whole mail
        return payload.replace("hostile@", f"hostile{index}@").encode()
    msg = EmailMessage()
    bounce = where == "bounce"
    msg["From"] = ("Mail Delivery System <MAILER-DAEMON@mx.customer.example>" if bounce
                   else f"Customer {index} <hostile{index}@customer.example>")
    msg["To"] = RECIPIENT
    msg["Subject"] = "Undelivered Mail Returned to Sender" if bounce else "Printer"
    msg["Message-ID"] = f"<hostile-{index}@customer.example>"
    if where == "subject":
        msg.replace_header("Subject", payload)
    if where == "to":
        msg.replace_header("To", payload)
    if where == "from":
        del msg["From"]
        msg["From"] = payload
    if where == "html":
        msg.set_content(f"<html><body>{payload}</body></html>", subtype="html")
    else:
        # a text of its own: two mails of a shape with no From address are both from
        # "Unknown sender", and the same text would make the second a duplicate, which
        # skips the ticket and makes its figure (and the ratio) meaningless
        msg.set_content(payload if where in ("text", "bounce") else f"Hello, mail {index}")
    return msg.as_bytes()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000, help="characters (default 100000)")
    parser.add_argument("--keep", action="store_true", help="keep the desk under bench/out/")
    parser.add_argument("--shape", default="", metavar="TEXT",
                        help="only the shapes whose name contains TEXT (and the baseline)")
    args = parser.parse_args()

    from postdesk.config import runtime
    from postdesk.config.desk_init import init_desk
    from postdesk.config.load import apply_environment, load_settings
    from postdesk.store import db, migrations
    from postdesk.store.inbound import Arrival, store_inbound
    from postdesk.store.models import Inbound
    from postdesk.worker.process import process_inbound

    folder = work_folder("hostile-")
    try:
        config = init_desk(folder / "desk")
        settings = apply_environment(load_settings(config, environ={}),
                                     {"POSTDESK_BROKER_WORKER_PROCESSES": "0"})
        migrations.migrate(db.connect(settings.database_url))
        current = runtime.install(runtime.Runtime(settings))

        def cpu_ms(raw: bytes) -> tuple[float, str]:
            inbound_id = store_inbound(Arrival(raw=raw, mail_from=None,
                                               rcpt_to=(RECIPIENT,), source="pipe"))
            start = time.process_time()
            process_inbound(inbound_id, current)
            spent = (time.process_time() - start) * 1000
            return spent, Inbound.get_by_id(inbound_id).state

        cpu_ms(build("text", _prose(args.size), 0))  # warm up: the language model loads
        print(f"worker CPU per mail (ms) at {args.size:,} and {2 * args.size:,} characters; "
              "ratio ~2 linear, ~4 quadratic")
        index = 1  # after the warm-up mail
        worst = 0.0
        baseline = 0.0
        for name, (where, make) in SHAPES.items():
            if args.shape not in name and not name.startswith("baseline"):
                continue
            small, state = cpu_ms(build(where, make(args.size), index))
            large, state2 = cpu_ms(build(where, make(2 * args.size), index + 1))
            index += 2
            if name.startswith("baseline"):
                baseline = large
            else:
                worst = max(worst, large)
            flag = "  <-- superlinear" if large > 3.2 * max(small, 1.0) else ""
            print(f"  {name:28s} {small:9.1f} {large:9.1f}  x{large / max(small, 0.001):4.1f}"
                  f"  ({state}/{state2}){flag}")
        print(f"worst shape at {2 * args.size:,} characters: {worst:.1f} ms, "
              f"{worst / max(baseline, 0.001):.1f} x the prose baseline ({baseline:.1f} ms)")
    finally:
        db.database.close()
        if not args.keep:
            remove_work_folder(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
