"""Customer mails that differ the way real ones do, for the CPU benches.

`_common.make_mails` draws every mail from one small vocabulary, so all of them look
alike and duplicate detection flags each one: a worst case. These mails are real
customer questions instead: the paraphrased questions of ../shared/corpus/stackfaq/
(125 problems, five wordings each; read from the corpus, never copied), taken one
problem after another so that a wording of an earlier problem comes back only after
all 125 were asked once, as a few customers reporting the same thing do. Without the
corpus, texts are generated from a large made-up vocabulary, so no two are alike.
"""

from __future__ import annotations

import email.policy
import random
import textwrap
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from _common import Mail

STACKFAQ = (Path(__file__).resolve().parents[2] / "shared" / "corpus" / "stackfaq"
            / "stackfaq-shared.xml")
_SYLLABLES = ("ka", "lo", "mi", "ne", "ru", "ta", "vo", "pe", "si", "du", "ba", "go",
              "fi", "ze", "ho", "ly", "wa", "qu", "ce", "jo")
_NAMES = ("Anna", "Ben", "Chen", "Dara", "Emil", "Fatima", "Gosia", "Hugo", "Ines", "Jonas")


def stackfaq_questions() -> list[str]:
    """The corpus's questions ordered problem by problem (first wordings first); [] when
    the corpus is absent."""
    if not STACKFAQ.is_file():
        return []
    wordings = [[" ".join((r.text or "").split()) for r in pair.iter("rephr")]
                for pair in ET.parse(STACKFAQ).getroot().iter("qapair")]
    rounds = max((len(w) for w in wordings), default=0)
    return [w[n] for n in range(rounds) for w in wordings if n < len(w) and w[n]]


def _made_up_text(rng: random.Random, vocabulary: list[str], target: int) -> str:
    topic = rng.sample(vocabulary, 40)  # each mail talks about its own things
    sentences = []
    while sum(len(s) + 1 for s in sentences) < target:
        words = [rng.choice(topic) for _ in range(rng.randint(6, 14))]
        sentences.append(" ".join(words).capitalize() + ".")
    return textwrap.fill(" ".join(sentences), width=72)


def varied_mails(count: int, *, recipient: str, tag: str, seed: int = 11) -> tuple[
        list[Mail], str]:
    """COUNT mails, each its own sender and Message-ID, every 10th with a small file; and
    where their texts come from."""
    rng = random.Random(seed)
    questions = stackfaq_questions()
    vocabulary = sorted({"".join(rng.choices(_SYLLABLES, k=rng.randint(2, 4)))
                         for _ in range(6000)})
    mails = []
    for i in range(count):
        sender = f"customer{i}-{tag}@bench.example"
        name = f"{rng.choice(_NAMES)} {i}"
        if questions:
            question = questions[i % len(questions)]
            subject, text = question[:78], question
        else:
            text = _made_up_text(rng, vocabulary, rng.randint(300, 1200))
            subject = text.split(".")[0][:60]
        msg = EmailMessage()
        msg["From"] = f"{name} <{sender}>"
        msg["To"] = recipient
        msg["Subject"] = subject
        msg["Date"] = format_datetime(datetime.now(UTC))
        msg["Message-ID"] = f"<bench.{tag}.{i}@bench.example>"
        msg.set_content(f"Hello,\n\n{text}\n\nThanks,\n{name}\n")
        if i % 10 == 0:
            msg.add_attachment(f"screenshot notes {i}\n".encode(), maintype="text",
                               subtype="plain", filename=f"notes-{i}.txt")
        mails.append(Mail(i, sender, msg["Message-ID"], msg.as_bytes(policy=email.policy.SMTP)))
    source = (f"{len(questions)} StackFAQ questions" if questions
              else "generated texts (StackFAQ corpus absent)")
    return mails, source
