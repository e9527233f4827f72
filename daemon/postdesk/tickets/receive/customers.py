"""The people behind an arriving mail as customers: its sender, and those it copies.

A sender we do not know yet becomes a customer with the language of the text
(guessed by the worker before the transaction, `new_customer_language`) and
a time zone that fits it and the mail's Date header.
"""

from __future__ import annotations

from postdesk.config.runtime import Runtime
from postdesk.mail.address import is_support_address
from postdesk.mail.parse import ParsedMail
from postdesk.store.models import Customer
from postdesk.tickets import service
from postdesk.tickets.locale_guess import guess_language, guess_timezone
from postdesk.tickets.receive.arrived import Arrived
from postdesk.tickets.receive.step import Receiving


def new_customer_language(parsed: ParsedMail, runtime: Runtime) -> str:
    """What a new customer writing this mail is taken to speak."""
    return guess_language(parsed.languages, runtime.settings.desk.default_language,
                          text=parsed.text, shipped=runtime.languages)


def sender_customer(mail: Arrived, receiving: Receiving) -> Customer:
    """The sender as a customer: the one on file, or a new one."""
    known = receiving.known.customer
    if known is not None:
        return known
    sender = mail.parsed.sender
    assert sender is not None
    language = mail.new_sender_language or new_customer_language(mail.parsed, receiving.runtime)
    return service.create_customer(
        sender.normalized, sender.name, language=language,
        timezone=guess_timezone(language, mail.parsed.date,
                                receiving.runtime.settings.desk.timezone),
        now=receiving.now)


def copied_customers(mail: Arrived, receiving: Receiving) -> list[Customer]:
    """The people in To and Cc besides the sender and the desk's own addresses."""
    parsed, desk = mail.parsed, receiving.runtime.settings.desk
    assert parsed.sender is not None
    people = []
    for address in parsed.cc + parsed.to:
        if is_support_address(address.email, desk.addresses):
            continue
        if address.normalized == parsed.sender.normalized or "@" not in address.email:
            continue
        people.append(service.find_or_create_customer(
            address.normalized, address.name, language=None, timezone=None, now=receiving.now))
    return people
