"""The request type a customer chose on the ticket page's "open another request" form.

The web edge stores that request as a mail with a header naming the type,
signed with the desk secret over the mail's Message-ID, so that only the page
chooses a type: the same header in a mail from outside (not signed, or copied
onto another message) is ignored and routing decides as usual. Pure.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from email.message import Message

HEADER = "X-Postdesk-Request-Type"


def _signature(secret: str, message_id: str, name: str) -> str:
    digest = hmac.new(secret.encode(), f"request-type:{message_id.strip()}:{name}".encode(),
                      hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode("ascii")


def header_value(secret: str, message_id: str, name: str) -> str:
    """The header's value for the mail with `message_id` whose customer chose `name`."""
    return f"{name}; sig={_signature(secret, message_id, name)}"


def chosen_request_type(secret: str, message: Message) -> str | None:
    """The request type the page signed into `message`, None without a valid one."""
    value, message_id = message.get(HEADER), message.get("Message-ID")
    if value is None or message_id is None:
        return None
    name, _, signature = str(value).partition("; sig=")
    name = name.strip()
    if not name or not hmac.compare_digest(signature.strip(),
                                           _signature(secret, str(message_id), name)):
        return None
    return name
