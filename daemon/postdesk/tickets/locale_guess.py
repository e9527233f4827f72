"""A new customer's language and time zone, from what their first mail says.

Language: Content-Language, then Accept-Language (the parser collects both),
else the desk default. Time zone: a mail says only its UTC offset (the Date
header); when that offset is exactly what the usual zone of the customer's
language shows at that moment (Polish and +01:00 in winter: Europe/Warsaw),
that zone is taken; otherwise the desk's zone. Pure functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

#: The zone most speakers of a language live in, where one zone clearly dominates.
USUAL_ZONES: dict[str, str] = {
    "pl": "Europe/Warsaw", "de": "Europe/Berlin", "de_AT": "Europe/Vienna",
    "de_CH": "Europe/Zurich", "cs": "Europe/Prague", "sk": "Europe/Bratislava",
    "fr": "Europe/Paris", "it": "Europe/Rome", "es": "Europe/Madrid", "nl": "Europe/Amsterdam",
    "da": "Europe/Copenhagen", "sv": "Europe/Stockholm", "nb": "Europe/Oslo",
    "fi": "Europe/Helsinki", "hu": "Europe/Budapest", "ro": "Europe/Bucharest",
    "el": "Europe/Athens", "uk": "Europe/Kyiv", "ja": "Asia/Tokyo", "ko": "Asia/Seoul",
    "en_GB": "Europe/London", "pt": "Europe/Lisbon", "pt_BR": "America/Sao_Paulo",
}


def guess_language(languages: Sequence[str], default: str) -> str:
    return next((language for language in languages if language), default)


def guess_timezone(language: str, sent_at: datetime | None, default: str) -> str:
    """The usual zone of `language` if the mail's offset matches it, else `default`."""
    if sent_at is None or sent_at.utcoffset() is None:
        return default
    zone = USUAL_ZONES.get(language) or USUAL_ZONES.get(language.split("_")[0])
    if zone is None:
        return default
    if sent_at.astimezone(ZoneInfo(zone)).utcoffset() == sent_at.utcoffset():
        return zone
    return default
