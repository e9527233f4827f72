"""Internal statuses and the customer-facing names they map to.

Customers never see an internal status name. The defaults here are what a
desk gets before `rules/statuses.yaml` says otherwise; the public names are
msgids translated for each recipient at render time.
"""

from __future__ import annotations

from collections.abc import Mapping

DEFAULT_PUBLIC_NAMES: Mapping[str, str] = {
    "new": "Received",
    "triage": "Received",
    "in_progress": "In progress",
    "waiting_for_customer": "Waiting for your reply",
    "waiting_for_vendor": "In progress",
    "resolved": "Resolved",
    "closed": "Closed",
}

INITIAL_STATUS = "new"


def public_status(status: str, names: Mapping[str, str] = DEFAULT_PUBLIC_NAMES) -> str:
    """The name a customer sees; an unmapped internal status shows as in progress."""
    return names.get(status, "In progress")
