"""Checks of the settings that need more than one key, or more than the key's type.

Each error names the file (and for an ``[[imap]]`` table its line) and says how
to fix the value.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import re
from pathlib import Path

from postdesk.config.settings import CHOICES, ImapSource, Settings
from postdesk.errors import ConfigError


def check_imap_source(where: str, source: ImapSource) -> ImapSource:
    what = f"{where}: [[imap]] {source.name or '(no name)'}"
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,50}", source.name):
        raise ConfigError(f"{where}: [[imap]] name must be 1-50 letters, digits, '.', '_' or "
                          f"'-', not {source.name!r}")
    if not source.host:
        raise ConfigError(f"{what}: host is required")
    if source.tls not in ("implicit", "starttls", "off"):
        raise ConfigError(f"{what}: tls must be one of implicit, starttls, off, "
                          f"not {source.tls!r}")
    if source.tls == "off" and not _is_loopback(source.host):
        raise ConfigError(f"{what}: tls = \"off\" is allowed only for a loopback host "
                          f"(127.0.0.1, ::1, localhost), not {source.host!r}: the password "
                          "and every mail would cross the network in clear text; use "
                          "\"implicit\" (port 993) or \"starttls\" (port 143)")
    if not 0 <= source.port < 65536:
        raise ConfigError(f"{what}: port must be between 1 and 65535")
    if not source.user:
        raise ConfigError(f"{what}: user is required")
    if bool(source.password) == bool(source.password_file):
        raise ConfigError(f"{what}: set exactly one of password or password_file")
    if source.password_file and not Path(source.password_file).is_file():
        raise ConfigError(f"{what}: password_file {source.password_file} does not exist")
    if not source.folder:
        raise ConfigError(f"{what}: folder must not be empty")
    target = source.after.removeprefix("move:")
    if source.after not in ("seen", "delete") and not (
            source.after.startswith("move:") and target and target != source.folder):
        raise ConfigError(f"{what}: after must be \"seen\", \"delete\" or \"move:FOLDER\" "
                          f"(another folder than {source.folder!r}), not {source.after!r}")
    if source.poll_interval < 1:
        raise ConfigError(f"{what}: poll_interval must be at least 1 second")
    if source.probe_interval < 1:
        raise ConfigError(f"{what}: probe_interval must be at least 1 second")
    if source.timeout < 1:
        raise ConfigError(f"{what}: timeout must be at least 1 second")
    return source


def _is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _validate_aliases(where: str, aliases: tuple[str, ...], addresses: tuple[str, ...]) -> None:
    """Each alias names a public address the desk answers for."""
    from postdesk.mail.address import alias_map

    try:
        mapping = alias_map(aliases)
    except ValueError as exc:
        raise ConfigError(f"{where}: [desk] aliases: {exc}") from None
    known = {address.lower() for address in addresses}
    for internal, public in mapping.items():
        if public not in known:
            raise ConfigError(f"{where}: [desk] aliases: {internal} stands for {public}, which "
                              f"is not one of the [desk] addresses ({', '.join(addresses)})")


def validate(settings: Settings) -> None:
    """Cross-field checks that need the whole picture."""
    where = str(settings.source) if settings.source else "<config>"
    for (section, key), choices in CHOICES.items():
        value = getattr(getattr(settings, section), key)
        if value not in choices:
            raise ConfigError(
                f"{settings.origin(section, key)}"
                f" must be one of {', '.join(choices)}, not {value!r}"
            )
    desk = settings.desk
    if not desk.secret or len(desk.secret) < 16:
        raise ConfigError(
            f"{settings.origin('desk', 'secret')} must be at least 16 characters "
            "(it signs reply addresses; 'postdesk init' writes a random one)"
        )
    if not desk.addresses:
        raise ConfigError(
            f"{settings.origin('desk', 'addresses')}"
            f" must list at least one support address")
    for address in desk.addresses:
        if address.count("@") != 1 or "+" in address.split("@")[0]:
            raise ConfigError(
                f"{settings.origin('desk', 'addresses')}: {address!r} is not a plain address like "
                "support@example.com"
            )
    _validate_aliases(where, desk.aliases, desk.addresses)
    brand = settings.branding
    if not re.fullmatch(r"#[0-9A-Fa-f]{3}(?:[0-9A-Fa-f]{3})?", brand.primary_colour):
        raise ConfigError(
            f"{settings.origin('branding', 'primary_colour')}"
            f" must be a hex colour like "
                          f"#2563eb, not {brand.primary_colour!r}")
    if brand.logo_url and not brand.logo_url.startswith(("https://", "http://", "cid:")):
        raise ConfigError(
            f"{settings.origin('branding', 'logo_url')}"
            f" must start with https://, not "
                          f"{brand.logo_url!r}")
    parse_listen(settings.smtp.listen, settings.origin("smtp", "listen"))
    if settings.lmtp.listen:
        parse_listen(settings.lmtp.listen, settings.origin("lmtp", "listen"))
    if settings.metrics.listen:
        parse_listen(settings.metrics.listen, settings.origin("metrics", "listen"))
    _validate_web(settings)
    for key in ("max_outbox_backlog", "max_pending_age", "max_failed_inbound",
                "max_failed_outbox", "failed_window", "max_heartbeat_age"):
        if getattr(settings.status, key) < 0:
            raise ConfigError(f"{settings.origin('status', key)} must not be negative")
    if settings.kb.chat_wait_minutes < 0:
        raise ConfigError(f"{settings.origin('kb', 'chat_wait_minutes')} must not be negative "
                          "(0: agents hear of a chat ticket at once)")
    if settings.smtp.max_message_size < 1024:
        raise ConfigError(
            f"{settings.origin('smtp', 'max_message_size')} must be at least 1024 bytes")
    if settings.broker.worker_threads < 1:
        raise ConfigError(f"{settings.origin('broker', 'worker_threads')} must be at least 1")
    if settings.broker.worker_processes < 0:
        raise ConfigError(f"{settings.origin('broker', 'worker_processes')} must be at least 0")
    outgoing = settings.outgoing
    if outgoing.send_lease < 2 * outgoing.timeout:
        raise ConfigError(f"{settings.origin('outgoing', 'send_lease')} "
                          f"({outgoing.send_lease} s) must be at least twice timeout "
                          f"({outgoing.timeout} s): a mail still on its way "
                          "when its lease ends would be sent a second time")
    for key in ("max_mime_depth", "max_html_depth"):
        if getattr(settings.limits, key) < 1:
            raise ConfigError(f"{settings.origin('limits', key)} must be at least 1")
    if settings.limits.max_address_header < 256:
        raise ConfigError(f"{settings.origin('limits', 'max_address_header')} must be at least "
                          "256 (characters of an address header read for its addresses)")
    if not 0 <= settings.status.max_failed_percent <= 100:
        raise ConfigError(f"{settings.origin('status', 'max_failed_percent')} must be from 0 "
                          "to 100")
    if settings.broker.batch_megabytes < 1:
        raise ConfigError(f"{settings.origin('broker', 'batch_megabytes')} must be at least 1")
    if settings.broker.recycle_megabytes < 0:
        raise ConfigError(f"{settings.origin('broker', 'recycle_megabytes')} must be at least "
                          "0 (0: never)")
    if settings.limits.max_mail_cpu_seconds < 1:
        raise ConfigError(f"{settings.origin('limits', 'max_mail_cpu_seconds')} must be at "
                          "least 1")
    for key in ("thread_for_agents", "thread_for_customers"):
        if not 0 <= getattr(settings.tickets, key) <= 50:
            raise ConfigError(f"{settings.origin('tickets', key)} must be from 0 to 50 "
                              "(earlier messages shown; 0: none)")
    if settings.tickets.thread_message_chars < 100:
        raise ConfigError(f"{settings.origin('tickets', 'thread_message_chars')} must be at "
                          "least 100")
    if settings.duplicates.days < 0:
        raise ConfigError(f"{settings.origin('duplicates', 'days')} must be at least 0")
    if not 1 <= settings.duplicates.threshold <= 100:
        raise ConfigError(f"{settings.origin('duplicates', 'threshold')} must be a percentage "
                          "from 1 to 100")
    if settings.smtp.max_recipients < 1:
        raise ConfigError(f"{settings.origin('smtp', 'max_recipients')} must be at least 1")
    if not (settings.outgoing.transport.startswith("maildir:")
            or settings.outgoing.transport.startswith(("smtp://", "smtps://"))):
        raise ConfigError(
            f"{settings.origin('outgoing', 'transport')} must be 'maildir:PATH' or "
            f"'smtp://[user:password@]host:port', not {settings.outgoing.transport!r}"
        )
    if not (settings.database.url.startswith(("sqlite:///", "postgresql://", "postgres://"))):
        raise ConfigError(
            f"{settings.origin('database', 'url')} must start with sqlite:/// or postgresql://, "
            f"not {settings.database.url!r}"
        )
    if settings.broker.url != "embedded" and not settings.broker.url.startswith(
        ("redis://", "amqp://")
    ):
        raise ConfigError(
            f"{settings.origin('broker', 'url')} must be 'embedded', redis://... or amqp://..., "
            f"not {settings.broker.url!r}"
        )
    known = {address.lower() for address in desk.addresses}
    names: set[str] = set()
    for source in settings.imap:
        if source.name in names:
            raise ConfigError(f"{where}: [[imap]] name {source.name!r} is used twice")
        names.add(source.name)
        if source.address.lower() not in known:
            raise ConfigError(
                f"{where}: [[imap]] {source.name}: address must be one of the [desk] addresses "
                f"({', '.join(desk.addresses)}), not {source.address!r}"
            )


def _validate_web(settings: Settings) -> None:
    web = settings.web
    if web.listen:
        parse_listen(web.listen, settings.origin("web", "listen"))
        if importlib.util.find_spec("aiohttp") is None:
            raise ConfigError(f"{settings.origin('web', 'listen')} is set but aiohttp is not "
                              "installed: install Postdesk with the web extra "
                              "(pip install 'postdesk[web]') or leave listen empty")
    if web.base_url and not re.fullmatch(r"https?://[^\s/?#\"'<>]+(/[^\s?#\"'<>]*)?",
                                         web.base_url):
        raise ConfigError(f"{settings.origin('web', 'base_url')} must be an http:// or "
                          f"https:// URL without query, like https://help.example.com, "
                          f"not {web.base_url!r}")
    for key in ("link_days", "file_link_days", "rate_per_ip", "rate_per_token",
                "max_reply_chars"):
        if getattr(web, key) < 1:
            raise ConfigError(f"{settings.origin('web', key)} must be at least 1")


def parse_listen(value: str, what: str = "listen") -> tuple[str, int]:
    """'host:port' (IPv6 as '[::1]:25') -> (host, port)."""
    match = re.fullmatch(r"\[?([^\]]*?)\]?:(\d{1,5})", value.strip())
    if not match or not match.group(1) or not 0 < int(match.group(2)) < 65536:
        raise ConfigError(f"{what} must look like 127.0.0.1:2525, not {value!r}")
    return match.group(1), int(match.group(2))


