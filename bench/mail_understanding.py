"""What Postdesk understands of real mail: reply extraction and robot recognition on the
shared corpora, beside talon's and email-reply-parser's figures on the same files.
Prints figures; it is not a test.

    .venv/bin/python bench/mail_understanding.py [--no-peers] [--peers-venv DIR]

Reply extraction: per corpus (tests/corpus/reply_cases.py reads the expectations),
the share of files whose extracted text equals the expected one after whitespace
normalisation (content checks where a corpus gives no exact text), for Postdesk,
talon (``quotations.extract_from_plain`` / ``extract_from_html``) and
email-reply-parser (``EmailReplyParser.parse_reply``). Each corpus is split into two
fixed halves by a hash of the file name ("tune" and "held-out"), so that a rule tuned
on one half shows whether it generalises to the other. "empty" counts files where an
extractor returned nothing although the mail had text.

The peers are installed from PyPI into a throwaway virtual environment (default: a
temporary folder, removed afterwards; ``--peers-venv`` keeps and reuses one). When one
cannot be installed the reason is printed and its column shows "n/a".

Robots: per corpus, a confusion table of the expected category (bounce, delivery
warning, feedback report, delivery report, auto-reply, read receipt, not a robot)
against what ``classify`` says of the mail as the desk's own loader reads it, and the
figures the desk's users notice: robots answered (``may_auto_reply``), robots that open
a ticket (kind normal or bulk), and addresses a delivery warning would mark as bouncing
(hard recipients of a "delayed" mail).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "corpus"))

from reply_cases import CASES, CORPUS, Case, normalise  # noqa: E402

from postdesk.mail.classify import DeskIdentity, classify  # noqa: E402
from postdesk.mail.htmltext import html_to_text  # noqa: E402
from postdesk.mail.loading import load_message  # noqa: E402
from postdesk.mail.reply import Reply, extract_reply  # noqa: E402

PEERS = {"talon": "talon", "erp": "email-reply-parser"}
DESK = DeskIdentity(frozenset({"desk.example.test"}), "X-Postdesk-Loop", "desk-1",
                    frozenset({"support@desk.example.test"}))
ROBOT_CATEGORIES = ("bounce", "delayed", "feedback-report", "delivered", "auto-reply",
                    "read-receipt", "not-robot")
# mimekit's test messages say what they are in their names (and their report parts).
MIMEKIT_ROBOTS = (("bounce", "bounce"), ("delivery-status", "bounce"),
                  ("feedback-report", "feedback-report"),
                  ("disposition-notification", "read-receipt"))
KINDS = ("bounce", "auto_reply", "loop", "bulk", "normal")
# In sisimai's bounce set but written by a person: Apple Mail forwarding a bounce with
# "Forward the message." A support team expects a ticket and an acknowledgment for a
# customer asking why their mail bounced, so the table expects "not-robot".
PERSON_FORWARDS = frozenset({"lhost-sendmail-14.eml"})

# Runs inside the peers' environment: JSON cases on stdin, JSON outputs on stdout.
_PEER_RUNNER = r"""
import json, sys
cases = json.load(sys.stdin)
out = {}

def each(extract):
    results = []
    for case in cases:
        try:
            results.append(extract(case))
        except Exception as exc:  # one broken case is a miss, not a broken column
            results.append({"text": "", "error": f"{type(exc).__name__}: {exc}"})
    return results

try:
    from talon import quotations
    out["talon"] = each(lambda c: {"html": quotations.extract_from_html(c["html"])}
                        if c["html"] else {"text": quotations.extract_from_plain(c["text"])})
except Exception as exc:
    out["talon_error"] = f"{type(exc).__name__}: {exc}"
try:
    from email_reply_parser import EmailReplyParser
    out["erp"] = each(lambda c: {"text": EmailReplyParser.parse_reply(c["html_text"] or c["text"])})
except Exception as exc:
    out["erp_error"] = f"{type(exc).__name__}: {exc}"
json.dump(out, sys.stdout)
"""


def half(name: str) -> str:
    """A fixed split of a corpus: "tune" or "held-out" by a hash of the file name."""
    return "tune" if hashlib.sha256(name.encode()).digest()[0] % 2 == 0 else "held-out"


# --- peers -----------------------------------------------------------------------


def peer_python(venv: Path) -> tuple[Path | None, str]:
    """The peers' interpreter in ``venv`` (created and filled if needed), or why not."""
    python = venv / "bin" / "python"
    if not python.exists():
        made = subprocess.run([sys.executable, "-m", "venv", str(venv)],
                              capture_output=True, text=True)
        if made.returncode:
            return None, f"venv failed: {made.stderr.strip()[-300:]}"
    notes = []
    for package in PEERS.values():
        done = subprocess.run([str(python), "-m", "pip", "install", "--quiet", package],
                              capture_output=True, text=True)
        if done.returncode:
            lines = [ln for ln in done.stderr.splitlines() if "WARNING" not in ln]
            notes.append(f"{package} did not install: {' '.join(lines)[-300:]}")
    return python, "; ".join(notes)


def run_peers(python: Path, cases: list[Case]) -> dict[str, list[str] | str]:
    """Each peer's extracted text per case, or its error message."""
    payload = [{"text": c.text, "html": c.html,
                "html_text": html_to_text(c.html) if c.html else ""} for c in cases]
    done = subprocess.run([str(python), "-c", _PEER_RUNNER], input=json.dumps(payload),
                          capture_output=True, text=True)
    if done.returncode:
        return {peer: f"runner failed: {done.stderr.strip()[-300:]}" for peer in PEERS}
    raw = json.loads(done.stdout)
    result: dict[str, list[str] | str] = {}
    for peer in PEERS:
        if f"{peer}_error" in raw:
            result[peer] = str(raw[f"{peer}_error"])
        else:
            result[peer] = [o["text"] if "text" in o else html_to_text(o["html"])
                            for o in raw[peer]]
            failed = Counter(o["error"] for o in raw[peer] if "error" in o)
            for error, count in failed.items():
                print(f"{PEERS[peer]} raised on {count} file(s): {error[:200]}")
    return result


# --- replies ---------------------------------------------------------------------


def passes(case: Case, text: str) -> bool:
    """``case``'s expectation met by a peer's single text (it has no signature part)."""
    if case.exact is not None:
        return normalise(text) == normalise(case.exact)
    reply = Reply(new_text=text, signature="", quoted=False)
    return all(check(reply) for _, check in case.checks)


def ours(case: Case) -> tuple[bool, bool]:
    """(passes, empty) for Postdesk's extraction of ``case``."""
    reply = extract_reply(case.text, html=case.html)
    return case.passes(reply), not reply.new_text.strip()


def reply_table(peers: dict[str, dict[str, list[str] | str]]) -> None:
    print("\nReply extraction: exact (or checks) per corpus; tune / held-out halves")
    print(f"{'corpus':28} {'files':>5}  {'postdesk':>16} {'empty':>5}  "
          f"{'talon':>16}  {'email-reply-parser':>18}")
    totals: Counter[str] = Counter()
    for corpus, cases in CASES.items():
        if not cases:
            print(f"{corpus:28} absent under {CORPUS}")
            continue
        mine = [ours(c) for c in cases]
        row = f"{corpus:28} {len(cases):>5}  {_rate([m[0] for m in mine], cases):>16} "
        row += f"{sum(m[1] for m in mine):>5}"
        totals["files"] += len(cases)
        totals["postdesk"] += sum(m[0] for m in mine)
        for peer in PEERS:
            outputs = peers.get(corpus, {}).get(peer)
            if not isinstance(outputs, list):
                row += f"  {'n/a':>16}"
                continue
            ok = [passes(c, text) for c, text in zip(cases, outputs, strict=True)]
            totals[peer] += sum(ok)
            row += f"  {_rate(ok, cases):>16}"
        print(row)
    if totals["files"]:
        print(f"{'all':28} {totals['files']:>5}  " + "  ".join(
            f"{name} {totals[name]}/{totals['files']} = {totals[name] / totals['files']:.0%}"
            for name in ("postdesk", *PEERS)))


def _rate(ok: list[bool], cases: list[Case]) -> str:
    """"n/N = p% (tune a/b, held b/c)"."""
    parts = []
    for side in ("tune", "held-out"):
        picked = [o for o, c in zip(ok, cases, strict=True) if half(c.name) == side]
        parts.append(f"{sum(picked)}/{len(picked)}")
    return f"{sum(ok)}/{len(ok)} ({'|'.join(parts)})"


# --- robots ----------------------------------------------------------------------


def robot_cases() -> Iterator[tuple[str, str, Path]]:
    """(corpus, expected category, file) for every corpus file whose category is known."""
    sisimai = CORPUS / "sisimai"
    maildir = sisimai / "set-of-emails" / "maildir"
    if (sisimai / "expected.json").is_file():
        expected = json.loads((sisimai / "expected.json").read_text())["expected"]
        for name, entry in sorted(expected.items()):
            if (maildir / "bsd" / name).is_file():
                statuses = [r["status"] for r in entry["recipients"]]
                category = entry["category"]
                if category == "bounce" and statuses and all(
                        st.startswith("4") for st in statuses):
                    category = "delayed"  # every recipient is still being retried
                if name in PERSON_FORWARDS:
                    category = "not-robot"
                yield "sisimai", category, maildir / "bsd" / name
        for path in sorted((maildir / "not").glob("*.eml")):
            yield "sisimai", "not-robot", path
    for corpus, key in (("request-tracker", "is_bounce"), ("ruby-mail", "bounced")):
        expected_file = CORPUS / corpus / "expected.json"
        if not expected_file.is_file():
            continue
        data = json.loads(expected_file.read_text())
        for name, entry in sorted(data.get("expected", data).items()):
            if isinstance(entry, dict) and key in entry and (CORPUS / corpus / name).is_file():
                if entry.get("retryable") is True:
                    category = "delayed"  # a delivery warning: a robot, nobody marked
                else:
                    category = "bounce" if entry[key] is True else "not-robot"
                yield corpus, category, CORPUS / corpus / name
    mimekit = CORPUS / "mimekit" / "UnitTests" / "TestData" / "messages"
    for path in sorted(mimekit.glob("*.*")) if mimekit.is_dir() else ():
        category = next((c for prefix, c in MIMEKIT_ROBOTS if path.name.startswith(prefix)),
                        "not-robot")
        yield "mimekit", category, path
    # Customer mail of the other corpora: none of it is a robot.
    for corpus in ("talon", "hunnysoft-mime-zbateson", "php-mime-mail-parser",
                   "redmine-mail-handler", "django-helpdesk"):
        for path in sorted((CORPUS / corpus).rglob("*.eml")):
            yield corpus, "not-robot", path


def robot_table() -> None:
    table: dict[str, Counter[tuple[str, str]]] = {}
    answered: Counter[str] = Counter()
    ticketed: Counter[str] = Counter()
    delay_marks: Counter[str] = Counter()
    for corpus, category, path in robot_cases():
        msg = load_message(path.read_bytes())  # as the desk reads it
        verdict = classify(msg, envelope_from=None, desk=DESK)
        table.setdefault(corpus, Counter())[(category, verdict.kind)] += 1
        if category != "not-robot":
            answered[corpus] += verdict.may_auto_reply
            ticketed[corpus] += verdict.kind in ("normal", "bulk")
        if category == "delayed":
            delay_marks[corpus] += sum(r.hard for r in verdict.bounce)
    print("\nRobots: expected category (rows) x classify's kind (columns)")
    for corpus, counts in table.items():
        robots = sum(n for (cat, _), n in counts.items() if cat != "not-robot")
        print(f"\n{corpus}: {robots} robots, {answered[corpus]} answered, "
              f"{ticketed[corpus]} open a ticket, {delay_marks[corpus]} marked by a warning")
        print(f"  {'expected':16}" + "".join(f"{k:>11}" for k in KINDS))
        for category in ROBOT_CATEGORIES:
            cells = [counts[(category, kind)] for kind in KINDS]
            if any(cells):
                print(f"  {category:16}" + "".join(f"{n:>11}" for n in cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-peers", action="store_true", help="skip talon and erp")
    parser.add_argument("--peers-venv", type=Path, help="reuse/keep this virtualenv")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        sys.exit(f"shared corpus not found at {CORPUS}")
    peers: dict[str, dict[str, list[str] | str]] = {}
    if not args.no_peers:
        with tempfile.TemporaryDirectory(prefix="postdesk-peers-") as scratch:
            python, note = peer_python(args.peers_venv or Path(scratch) / "venv")
            if note:
                print(f"peers: {note}")
            if python is not None:
                for corpus, cases in CASES.items():
                    if cases:
                        peers[corpus] = run_peers(python, cases)
                errors = {v for res in peers.values() for v in res.values()
                          if isinstance(v, str)}
                for error in errors:
                    print(f"peer error: {error}")
    reply_table(peers)
    robot_table()


if __name__ == "__main__":
    main()
