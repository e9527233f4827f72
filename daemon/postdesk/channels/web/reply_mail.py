"""A reply typed on the ticket page, or another request opened from it, as the mail it
stands for.

It goes the way of every mail (stored durably, then the receive chain): From the
customer the link was sent to, To the ticket's signed customer reply address,
so it threads into the ticket exactly as their mail would. A new request goes
To the desk's address and carries the request type the customer chose, signed
(`postdesk.mail.chosen_request_type`).
"""

from __future__ import annotations

from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formataddr, formatdate

from postdesk.channels.web.upload import Upload
from postdesk.mail.address import CUSTOMER_ROLE, reply_address
from postdesk.mail.chosen_request_type import HEADER, header_value
from postdesk.mail.compose import new_message_id
from postdesk.mail.page_token import PageToken

#: marks a message that came through the ticket page (for the audit trail, not trust)
CHANNEL_HEADER = "X-Postdesk-Channel"


def reply_mail(token: PageToken, customer: tuple[str, str], subject: str, text: str, *,
               desk_address: str, domain: str, secret: str,
               files: Sequence[Upload] = ()) -> tuple[bytes, str]:
    """(raw bytes, envelope recipient) of the customer's reply from the page; its files
    ride as attachments, as they would in the customer's mail."""
    recipient = reply_address(desk_address, token.ticket_id, CUSTOMER_ROLE, secret)
    message = _page_mail(customer, recipient, f"Re: {' '.join(subject.split())}", text,
                         domain, files)
    return bytes(message), recipient


def request_mail(customer: tuple[str, str], subject: str, text: str, request_type: str, *,
                 desk_address: str, domain: str, secret: str,
                 files: Sequence[Upload] = ()) -> bytes:
    """The raw bytes of a new request from the page, to `desk_address`."""
    message = _page_mail(customer, desk_address, " ".join(subject.split()), text, domain,
                         files)
    message[HEADER] = header_value(secret, message["Message-ID"], request_type)
    return bytes(message)


def _page_mail(customer: tuple[str, str], recipient: str, subject: str, text: str,
               domain: str, files: Sequence[Upload]) -> EmailMessage:
    email, name = customer
    message = EmailMessage()
    message["From"] = formataddr((name, email)) if name else email
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = f"<{new_message_id(f'web.{domain}')}>"
    message[CHANNEL_HEADER] = "web"
    message.set_content(text.replace("\r\n", "\n"))
    attach(message, files)
    return message


def attach(message: EmailMessage, files: Sequence[Upload]) -> None:
    """Each file as an attachment under the type the browser gave (octet-stream when
    that is not a type/subtype)."""
    for item in files:
        maintype, _, subtype = item.content_type.partition(";")[0].strip().lower().partition("/")
        if not maintype or not subtype or maintype == "multipart":
            maintype, subtype = "application", "octet-stream"
        message.add_attachment(item.data, maintype=maintype, subtype=subtype,
                               filename=item.name)
