"""Helpers of the ticket page's tests: a desk with the page on a free port, its links."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

from mailbuild import customer_mail, mails_to, send_mail, wait_for

POSTDESK = str(Path(sys.executable).with_name("postdesk"))
CUSTOMER = "zoe@customer.example"
LINK = re.compile(r"https?://\S+/t/[0-9A-Za-z._-]+")


def first_acknowledgment(daemon: object, subject: str = "Printer on fire") -> EmailMessage:
    """Send the customer's first mail; the acknowledgment the desk sends back."""
    send_mail(daemon, customer_mail(subject=subject))
    return wait_for(lambda: mails_to(daemon, CUSTOMER))[0]


def page_link(mail: EmailMessage) -> str:
    """The ticket page's link in the text part (the HTML part must link to it too)."""
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    found = LINK.search(text)
    assert found, text
    assert f'href="{found.group(0)}"' in html
    return found.group(0)


def postdesk(settings: object, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI on the running desk's database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTDESK_")}
    env["POSTDESK_DATABASE_URL"] = settings.database.url  # type: ignore[attr-defined]
    env["POSTDESK_WEB_LISTEN"] = settings.web.listen  # type: ignore[attr-defined]
    return subprocess.run([POSTDESK, "--config", str(settings.source), *args],  # type: ignore[attr-defined]
                          capture_output=True, text=True, timeout=60, env=env)
