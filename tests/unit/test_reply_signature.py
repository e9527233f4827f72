"""Signatures without a delimiter: corporate blocks and legal disclaimers, and what is not one."""

from __future__ import annotations

import threading

import pytest

from postdesk.mail.reply import extract_reply

# Only catches a runaway (quadratic) scan; the bench measures speed.
RUNAWAY_SECONDS = 30.0
NEW = "The label printer in room 12 jams on every second label."

CORPORATE = [
    "Anna Nowak\nHead of Logistics | ACME Sp. z o.o.\n+48 600 100 200\nwww.acme.example",
    "John Smith\nSenior Engineer\nT: +1 555 010 0199\nE: john.smith@acme.example",
    "Dr. Eva Müller\nACME GmbH, Hauptstraße 5, 10115 Berlin\nTel. +49 30 1234567\n"
    "https://acme.example",
]

DISCLAIMERS = [
    "CONFIDENTIALITY NOTICE: This e-mail and any attachments are confidential and "
    "intended solely for the addressee. If you received it in error, delete it.",
    "This message is intended only for the use of the individual to whom it is addressed "
    "and may contain information that is privileged and confidential.",
    "Diese E-Mail enthält vertrauliche Informationen. Wenn Sie nicht der richtige "
    "Adressat sind, informieren Sie bitte sofort den Absender.",
]


@pytest.mark.parametrize("block", CORPORATE)
def test_corporate_block_is_a_signature(block: str) -> None:
    reply = extract_reply(f"Hello,\n\n{NEW}\n\n{block}\n")
    assert reply.new_text == f"Hello,\n\n{NEW}"
    assert reply.signature == block


@pytest.mark.parametrize("disclaimer", DISCLAIMERS)
def test_disclaimer_is_a_signature(disclaimer: str) -> None:
    reply = extract_reply(f"{NEW}\n\nThanks,\nAnna\n\n{disclaimer}\n")
    assert reply.new_text == NEW
    assert disclaimer in reply.signature and "Anna" in reply.signature


@pytest.mark.parametrize("text", [
    # contact details the customer was asked for are content
    f"{NEW}\n\nMy details:\nAnna Nowak\n+48 600 100 200\nanna@customer.example",
    # one contact line in a short closing is not enough to hide it
    f"{NEW}\n\nAnna Nowak\nPlease call me back on +48 600 100 200",
    # a whole mail that is a contact block is the customer's text
    "Anna Nowak\n+48 600 100 200\nwww.acme.example",
    # a question with a number in it
    f"{NEW}\n\nCould you call\n+48 600 100 200 or 601 200 300?",
    # "This message" in prose that is no disclaimer
    f"{NEW}\n\nThis message was also sent to my manager, please keep her informed.",
])
def test_content_that_looks_like_a_signature_stays(text: str) -> None:
    reply = extract_reply(text)
    assert reply.new_text == text.strip()
    assert reply.signature == ""


def test_many_stacked_phone_signatures_finish() -> None:
    # Each "Sent from my iPhone" could be a stacked signature; splitting stops after a
    # few, so the scan is not repeated once per line (100,000 lines took minutes).
    body = NEW + "\n" + "Sent from my iPhone\n" * 100_000
    result: list[str] = []
    worker = threading.Thread(
        target=lambda: result.append(extract_reply(body).new_text), daemon=True)
    worker.start()
    worker.join(RUNAWAY_SECONDS)
    assert result, "extract_reply did not finish"
    assert result[0].startswith(NEW)


@pytest.mark.parametrize("body", [
    "> Only a quote, nothing new\n> second line\n",
    "On Mon, 6 Jan 2025 at 10:12, Support <support@desk.example> wrote:\n> Hello\n",
    "-----Original Message-----\nFrom: Support\nSent: Monday\nTo: Anna\n\nHello\n",
])
def test_nothing_new_falls_back_to_the_whole_text_with_a_flag(body: str) -> None:
    reply = extract_reply(body)
    assert reply.whole_text
    assert reply.new_text == body.strip()


def test_a_normal_reply_is_not_flagged() -> None:
    reply = extract_reply(f"{NEW}\n\n> old\n")
    assert (reply.new_text, reply.whole_text) == (NEW, False)


@pytest.mark.parametrize("body", [
    "Please update my address.\n\nFrom: 12 Old Street, Leeds\nTo: 5 New Road, York\n\nThanks",
    "Bitte ändern Sie die Lieferung.\n\nVon: Lager Nord\nAn: Lager Süd\n\nDanke",
])
def test_from_and_to_lines_of_the_customer_are_not_history(body: str) -> None:
    text, closing = body.rsplit("\n\n", 1)
    reply = extract_reply(body)
    assert (reply.new_text, reply.signature) == (text, closing)
