"""Admin commands for a desk's configuration: `postdesk check` and `postdesk preview`.

`check` validates postdesk.toml, then runs every check registered in
`postdesk.notify.checks` (statuses, templates in every language, and what
other modules add) and exits 1 on any error, printing ``file:line: problem``.
`preview` renders one mail from sample data the way a recipient would get it.

Registered on the main command group by `register(main)`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from rich.console import Console
from rich.text import Text

from postdesk.config.settings import Settings

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def _line(label: str, style: str, message: str, *, stderr: bool = False) -> None:
    text = Text(f"{label} ", style=style)
    text.append(message)
    target = err_console if stderr else console
    target.print(text)
    target.file.flush()


def _fail(message: str) -> NoReturn:
    _line("error:", "bold red", message, stderr=True)
    sys.exit(1)


def _settings(ctx: click.Context) -> Settings:
    """The desk's settings, loaded (and reported) by the main group's context object."""
    settings: Settings = ctx.obj.settings
    return settings


@click.command("check")
@click.pass_context
def check(ctx: click.Context) -> None:
    """Validate the configuration, every file of rules/ and every template in every language.

    Exits 1 if anything is wrong, printing file:line and the problem.
    """
    import postdesk.cli.check_rules  # noqa: F401  (registers the checks of rules/)
    from postdesk.notify.checks import run_checks

    settings = _settings(ctx)
    _line("ok", "green", f"{settings.source}: configuration is valid")
    failed = False
    for result in run_checks(settings):
        for warning in result.warnings:
            _line("warning:", "yellow", warning, stderr=True)
        for error in result.errors:
            _line("error:", "bold red", error, stderr=True)
        if result.skipped:
            _line("skipped", "yellow", result.summary)
        elif result.ok:
            _line("ok", "green", result.summary)
        failed = failed or not result.ok
    relay = _relay_warning(settings)
    if relay:
        _line("warning:", "yellow", relay, stderr=True)
    if failed:
        sys.exit(1)


def _relay_warning(settings: Settings) -> str:
    """Why the outgoing relay cannot be reached as the desk reaches it ('' when it can, or
    when mail goes to a folder): a warning, since the relay may be down only now."""
    from postdesk.channels.email.relay_probe import probe
    from postdesk.channels.email.sender import transport_of
    from postdesk.channels.email.transports import SmtpTransport

    transport = transport_of(settings)
    if not isinstance(transport, SmtpTransport):
        return ""
    transport.timeout = min(transport.timeout, 10)
    try:
        probe(transport)
    except Exception as exc:
        return (f"[outgoing] transport: relay {transport.host}:{transport.port} cannot be "
                f"reached as the desk sends: {exc} (postdesk relay test shows more)")
    return ""


def _known_mails() -> str:
    from postdesk.notify.samples import SAMPLES

    return ", ".join(sorted(SAMPLES))


@click.command("preview")
@click.argument("template")
@click.option("--lang", "language", default=None,
              help="Recipient's language, e.g. pl or pt-BR (default: the desk's).")
@click.option("--tz", "timezone", default=None,
              help="Recipient's time zone, e.g. Europe/Warsaw (default: the desk's).")
@click.option("--html", "as_html", is_flag=True, help="The HTML part instead of subject and text.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to FILE instead of printing (e.g. preview.html to open in a browser).")
@click.option("--stress", is_flag=True,
              help="Sample data with the worst a customer can send: a long subject without "
                   "spaces, a long URL and address, markup (to check a template's layout).")
@click.pass_context
def preview(ctx: click.Context, template: str, language: str | None, timezone: str | None,
            as_html: bool, out: Path | None, stress: bool) -> None:
    """Render the mail TEMPLATE (e.g. acknowledgment) from sample data.

    Uses the desk's override templates, catalogs and branding, exactly as the
    sender would for a recipient with this language and time zone.
    """
    from postdesk.notify.checks import describe_render_error, renderer_for
    from postdesk.notify.i18n import normalize_language
    from postdesk.notify.samples import SAMPLES, hostile_context, sample_context

    settings = _settings(ctx)
    if template not in SAMPLES:
        _fail(f"no sample data for a mail named {template!r}; known mails: {_known_mails()}")
    language = language or settings.desk.default_language
    if normalize_language(language) is None:
        _fail(f"--lang: {language!r} is not a language code; use e.g. en, pl, de or pt-BR")
    timezone = timezone or settings.desk.timezone
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        _fail(f"--tz: unknown time zone {timezone!r}; use a name like Europe/Warsaw or UTC")
    renderer = renderer_for(settings)
    try:
        context = hostile_context(template) if stress else sample_context(template)
        if "desk" in context:  # the sample's desk is this one, as its mail names it
            context["desk"] = {**context["desk"], "name": settings.desk.name,
                               "address": settings.desk.addresses[0],
                               "reopen_days": settings.tickets.reopen_days}
        mail = renderer.render(template, context, language=language, timezone=timezone)
    except Exception as exc:
        _fail(describe_render_error(exc, settings))
    if mail.language != normalize_language(language):
        err_console.print(Text(f"note: no catalog for {language!r}; the mail is written in "
                               f"{mail.language}"))
    output = mail.html if as_html else (
        f"Subject: {mail.subject}\nContent-Language: {mail.content_language}\n\n{mail.text}")
    if out is None:
        click.echo(output, nl=not output.endswith("\n"))
    else:
        out.write_text(output, encoding="utf-8")
        err_console.print(Text(f"wrote {out}"))


def register(group: Any) -> None:
    """Add the admin commands to the `postdesk` group (replacing its basic `check`)."""
    group.add_command(check)
    group.add_command(preview)
