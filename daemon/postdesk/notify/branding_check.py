"""`postdesk check` for ``[branding]``: is the desk colour readable in a mail?

The colour is already validated as a hex value when the configuration loads;
here it is measured against the white mail background, where the desk name
(when there is no logo) is written in it.
"""

from __future__ import annotations

from postdesk.config.settings import Settings
from postdesk.notify.checks import CheckResult, register_check
from postdesk.notify.colours import LARGE_TEXT_CONTRAST, contrast_ratio

MAIL_BACKGROUND = "#ffffff"


@register_check("branding")
def check_branding(settings: Settings) -> CheckResult:
    colour = settings.branding.primary_colour
    where = f"{settings.source}: " if settings.source else ""
    ratio = contrast_ratio(colour, MAIL_BACKGROUND)
    summary = f"branding: primary colour {colour} ({ratio:.1f}:1 on white)"
    if ratio >= LARGE_TEXT_CONTRAST:
        return CheckResult("branding", summary)
    warning = (f"{where}[branding] primary_colour {colour} is hard to read on the white "
               f"mail background ({ratio:.1f}:1, at least {LARGE_TEXT_CONTRAST:.0f}:1 is "
               f"needed); choose a darker shade, e.g. '#2563eb'")
    return CheckResult("branding", summary, warnings=(warning,))
