"""postdesk.toml -> frozen, validated settings.

Every key has a fixed name and type; an unknown or mistyped key is an error
that names the file, the line and the key (with a suggestion when one is
close). Every key can be overridden by an environment variable
``POSTDESK_<SECTION>_<KEY>`` (``POSTDESK_SMTP_LISTEN=127.0.0.1:2600``); lists
are comma-separated there. Relative paths in the file are relative to the
file, so a desk folder can be moved as a whole.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, get_type_hints

from postdesk.errors import ConfigError

CONFIG_ENV = "POSTDESK_CONFIG"
DEFAULT_CONFIG_NAME = "postdesk.toml"


@dataclass(frozen=True)
class DeskSettings:
    name: str = "Example Support"
    domain: str = "example.com"
    addresses: tuple[str, ...] = ("support@example.com",)
    default_language: str = "en"
    timezone: str = "UTC"
    secret: str = ""
    catch_all: bool = False


@dataclass(frozen=True)
class SmtpSettings:
    listen: str = "127.0.0.1:2525"
    max_message_size: int = 25 * 1024 * 1024
    max_recipients: int = 50
    timeout: int = 300


@dataclass(frozen=True)
class LmtpSettings:
    listen: str = ""


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = "sqlite:///var/postdesk.db"
    synchronous: str = "normal"


@dataclass(frozen=True)
class BrokerSettings:
    url: str = "embedded"
    queue: str = "postdesk"
    worker_threads: int = 2
    worker_processes: int = 0
    redispatch_after: int = 60


@dataclass(frozen=True)
class OutgoingSettings:
    transport: str = "maildir:var/outgoing"
    starttls: str = "opportunistic"
    max_attempts: int = 8
    timeout: int = 30
    send_lease: int = 120


@dataclass(frozen=True)
class LimitsSettings:
    max_mime_depth: int = 20
    max_html_depth: int = 256
    auto_replies_per_address: int = 10
    auto_replies_total: int = 10000
    auto_reply_window: int = 3600


@dataclass(frozen=True)
class BrandingSettings:
    logo_url: str = ""
    primary_colour: str = "#2563eb"
    header: str = ""
    signature: str = ""
    footer: str = ""


@dataclass(frozen=True)
class AgentSettings:
    trusted_authserv_ids: tuple[str, ...] = ()
    verify_dkim: bool = False


@dataclass(frozen=True)
class RulesSettings:
    max_depth: int = 5
    reload_interval: int = 2


@dataclass(frozen=True)
class TicketSettings:
    reopen_days: int = 14


@dataclass(frozen=True)
class PathSettings:
    rules: str = "rules"
    templates: str = "templates"
    locales: str = "locales"


@dataclass(frozen=True)
class LogSettings:
    """[log]: one event per line, as key=value text or JSON (see postdesk.logs)."""

    format: str = "text"
    level: str = "info"
    file: str = ""  # empty: standard error (the journal under systemd)


@dataclass(frozen=True)
class MetricsSettings:
    """[metrics]: the Prometheus endpoint (postdesk.serve.metrics); off while listen is empty."""

    listen: str = ""


@dataclass(frozen=True)
class StatusSettings:
    """[status]: when `postdesk status` calls the desk unhealthy (see postdesk.serve.health)."""

    max_outbox_backlog: int = 500
    max_pending_age: int = 300
    max_failed_inbound: int = 0
    max_failed_outbox: int = 0
    failed_window: int = 86400
    max_heartbeat_age: int = 60


@dataclass(frozen=True)
class ImapSource:
    """One ``[[imap]]`` mailbox Postdesk pulls mail from (postdesk.channels.email.imap)."""

    name: str = ""
    host: str = ""
    port: int = 0  # 0: 993 for tls = "implicit", 143 otherwise
    tls: str = "implicit"
    user: str = ""
    password: str = ""
    password_file: str = ""
    folder: str = "INBOX"
    after: str = "seen"
    poll_interval: int = 60
    address: str = ""
    probe_interval: int = 120  # seconds between liveness probes (IDLE ended, NOOP) while quiet
    timeout: int = 30  # seconds to wait for any answer before the connection counts as dead

    @property
    def effective_port(self) -> int:
        return self.port or (993 if self.tls == "implicit" else 143)

    def read_password(self) -> str:
        """The password, read from password_file at each connection (so it can be rotated)."""
        if self.password_file:
            return Path(self.password_file).read_text(encoding="utf-8").strip()
        return self.password


@dataclass(frozen=True)
class Settings:
    """The whole configuration of one desk."""

    desk: DeskSettings = field(default_factory=DeskSettings)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    lmtp: LmtpSettings = field(default_factory=LmtpSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    broker: BrokerSettings = field(default_factory=BrokerSettings)
    outgoing: OutgoingSettings = field(default_factory=OutgoingSettings)
    limits: LimitsSettings = field(default_factory=LimitsSettings)
    tickets: TicketSettings = field(default_factory=TicketSettings)
    rules: RulesSettings = field(default_factory=RulesSettings)
    agents: AgentSettings = field(default_factory=AgentSettings)
    branding: BrandingSettings = field(default_factory=BrandingSettings)
    paths: PathSettings = field(default_factory=PathSettings)
    log: LogSettings = field(default_factory=LogSettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    status: StatusSettings = field(default_factory=StatusSettings)
    imap: tuple[ImapSource, ...] = ()
    source: Path | None = None
    base_dir: Path = Path(".")

    def path(self, relative: str) -> Path:
        """Resolve a path from the config file against the file's folder."""
        candidate = Path(relative).expanduser()
        return candidate if candidate.is_absolute() else (self.base_dir / candidate)

    @property
    def database_url(self) -> str:
        return resolve_database_url(self.database.url, self.base_dir)

    @property
    def outgoing_transport(self) -> str:
        transport = self.outgoing.transport
        if transport.startswith("maildir:"):
            return "maildir:" + str(self.path(transport.removeprefix("maildir:")))
        return transport


SECTIONS: dict[str, type] = {
    "desk": DeskSettings,
    "smtp": SmtpSettings,
    "lmtp": LmtpSettings,
    "database": DatabaseSettings,
    "broker": BrokerSettings,
    "outgoing": OutgoingSettings,
    "limits": LimitsSettings,
    "tickets": TicketSettings,
    "rules": RulesSettings,
    "agents": AgentSettings,
    "branding": BrandingSettings,
    "paths": PathSettings,
    "log": LogSettings,
    "metrics": MetricsSettings,
    "status": StatusSettings,
}

_CHOICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("outgoing", "starttls"): ("required", "opportunistic", "off"),
    ("database", "synchronous"): ("full", "normal"),
    ("log", "format"): ("text", "json"),
    ("log", "level"): ("debug", "info", "warning", "error"),
}


def resolve_database_url(url: str, base_dir: Path) -> str:
    """Make a relative SQLite path absolute against the config folder."""
    prefix = "sqlite:///"
    if url.startswith(prefix):
        rest = url[len(prefix):]
        if rest and not rest.startswith("/") and rest != ":memory:":
            return prefix + str((base_dir / rest).resolve())
    return url


def find_config(explicit: str | os.PathLike[str] | None) -> Path | None:
    """The config file: --config, then $POSTDESK_CONFIG, then ./postdesk.toml."""
    if explicit:
        return Path(explicit)
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        return Path(from_env)
    local = Path(DEFAULT_CONFIG_NAME)
    return local if local.exists() else None


def load_settings(
    path: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Read, validate and return the settings; raise ConfigError naming file and key."""
    environ = os.environ if environ is None else environ
    source = find_config(path)
    if source is None:
        raise ConfigError(
            "no configuration: pass --config FILE, set POSTDESK_CONFIG, or run "
            "'postdesk init DIR' and start from that folder"
        )
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read the configuration: {exc.strerror}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from exc
    settings = settings_from_mapping(data, source=source, text=text)
    settings = apply_environment(settings, environ)
    validate(settings)
    return settings


def settings_from_mapping(
    data: Mapping[str, Any], *, source: Path | None = None, text: str = ""
) -> Settings:
    where = str(source) if source else "<config>"
    sections: dict[str, Any] = {}
    base_dir = source.resolve().parent if source else Path.cwd()
    for name, value in data.items():
        if name == "imap":
            sections["imap"] = _imap_sources(value, where, text, base_dir)
            continue
        if name not in SECTIONS:
            raise ConfigError(
                f"{_at(where, text, name, None)}: unknown section [{name}]"
                f"{_suggest(name, SECTIONS)}"
            )
        if not isinstance(value, Mapping):
            raise ConfigError(f"{_at(where, text, name, None)}: [{name}] must be a table")
        sections[name] = _section(SECTIONS[name], name, value, where, text)
    return Settings(**sections, source=source, base_dir=base_dir)


def _section(cls: type, section: str, values: Mapping[str, Any], where: str, text: str) -> Any:
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        location = _at(where, text, section, key)
        if key not in known:
            raise ConfigError(
                f"{location}: unknown key '{key}' in [{section}]{_suggest(key, known)}"
            )
        kwargs[key] = _coerce(hints[key], value, f"{location}: [{section}] {key}")
        choices = _CHOICES.get((section, key))
        if choices is not None and kwargs[key] not in choices:
            raise ConfigError(f"{location}: [{section}] {key} must be one of "
                              f"{', '.join(choices)}, not {value!r}{_suggest(value, choices)}")
    return cls(**kwargs)


def _imap_sources(value: Any, where: str, text: str, base_dir: Path) -> tuple[ImapSource, ...]:
    """The ``[[imap]]`` array of tables; each error names the file and line of that table."""
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise ConfigError(f"{_at(where, text, 'imap', None)}: imap must be written as "
                          "[[imap]] tables, one per mailbox")
    sources = []
    hints = get_type_hints(ImapSource)
    known = {f.name for f in fields(ImapSource)}
    for index, table in enumerate(value):
        line = _find_array_line(text, "imap", index, None)
        located = f"{where}:{line}" if line else where
        kwargs: dict[str, Any] = {}
        for key, item in table.items():
            key_line = _find_array_line(text, "imap", index, key) or line
            at = f"{where}:{key_line}" if key_line else where
            if key not in known:
                raise ConfigError(f"{at}: unknown key '{key}' in [[imap]]{_suggest(key, known)}")
            kwargs[key] = _coerce(hints[key], item, f"{at}: [[imap]] {key}")
        source = ImapSource(**kwargs)
        if source.password_file:
            source = replace(source, password_file=str(base_dir / Path(source.password_file)
                                                       .expanduser()))
        sources.append((located, source))
    return tuple(_check_imap_source(located, source) for located, source in sources)


def _check_imap_source(where: str, source: ImapSource) -> ImapSource:
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


def _coerce(kind: Any, value: Any, what: str) -> Any:
    if kind is bool:
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
            return value.lower() in ("true", "1", "yes")
        if not isinstance(value, bool):
            raise ConfigError(f"{what} must be true or false, not {value!r}")
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{what} must be a whole number, not {value!r}")
        return value
    if kind is str:
        if not isinstance(value, str):
            raise ConfigError(f"{what} must be a string, not {value!r}")
        return value
    # tuple[str, ...]
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{what} must be a list of strings, not {value!r}")
    return tuple(value)


def apply_environment(settings: Settings, environ: Mapping[str, str]) -> Settings:
    """Override keys from POSTDESK_<SECTION>_<KEY> variables."""
    changed: dict[str, Any] = {}
    for section, cls in SECTIONS.items():
        current = getattr(settings, section)
        hints = get_type_hints(cls)
        overrides: dict[str, Any] = {}
        for f in fields(cls):
            variable = f"POSTDESK_{section.upper()}_{f.name.upper()}"
            if variable not in environ:
                continue
            raw = environ[variable]
            if hints[f.name] is int:
                try:
                    overrides[f.name] = int(raw)
                except ValueError:
                    raise ConfigError(f"${variable} must be a whole number, not {raw!r}") from None
            else:
                overrides[f.name] = _coerce(hints[f.name], raw, f"${variable}")
        if overrides:
            changed[section] = replace(current, **overrides)
    return replace(settings, **changed) if changed else settings


def validate(settings: Settings) -> None:
    """Cross-field checks that need the whole picture."""
    where = str(settings.source) if settings.source else "<config>"
    for (section, key), choices in _CHOICES.items():
        value = getattr(getattr(settings, section), key)
        if value not in choices:
            raise ConfigError(
                f"{where}: [{section}] {key} must be one of {', '.join(choices)}, not {value!r}"
            )
    desk = settings.desk
    if not desk.secret or len(desk.secret) < 16:
        raise ConfigError(
            f"{where}: [desk] secret must be at least 16 characters "
            "(it signs reply addresses; 'postdesk init' writes a random one)"
        )
    if not desk.addresses:
        raise ConfigError(f"{where}: [desk] addresses must list at least one support address")
    for address in desk.addresses:
        if address.count("@") != 1 or "+" in address.split("@")[0]:
            raise ConfigError(
                f"{where}: [desk] addresses: {address!r} is not a plain address like "
                "support@example.com"
            )
    brand = settings.branding
    if not re.fullmatch(r"#[0-9A-Fa-f]{3}(?:[0-9A-Fa-f]{3})?", brand.primary_colour):
        raise ConfigError(f"{where}: [branding] primary_colour must be a hex colour like "
                          f"#2563eb, not {brand.primary_colour!r}")
    if brand.logo_url and not brand.logo_url.startswith(("https://", "http://", "cid:")):
        raise ConfigError(f"{where}: [branding] logo_url must start with https://, not "
                          f"{brand.logo_url!r}")
    parse_listen(settings.smtp.listen, f"{where}: [smtp] listen")
    if settings.lmtp.listen:
        parse_listen(settings.lmtp.listen, f"{where}: [lmtp] listen")
    if settings.metrics.listen:
        parse_listen(settings.metrics.listen, f"{where}: [metrics] listen")
    for key in ("max_outbox_backlog", "max_pending_age", "max_failed_inbound",
                "max_failed_outbox", "failed_window", "max_heartbeat_age"):
        if getattr(settings.status, key) < 0:
            raise ConfigError(f"{where}: [status] {key} must not be negative")
    if settings.smtp.max_message_size < 1024:
        raise ConfigError(f"{where}: [smtp] max_message_size must be at least 1024 bytes")
    if settings.broker.worker_threads < 1 or settings.broker.worker_processes < 0:
        raise ConfigError(f"{where}: [broker] worker_threads must be at least 1 and "
                          "worker_processes at least 0")
    outgoing = settings.outgoing
    if outgoing.send_lease < 2 * outgoing.timeout:
        raise ConfigError(f"{where}: [outgoing] send_lease ({outgoing.send_lease} s) must be at "
                          f"least twice timeout ({outgoing.timeout} s): a mail still on its way "
                          "when its lease ends would be sent a second time")
    if settings.limits.max_mime_depth < 1 or settings.limits.max_html_depth < 1:
        raise ConfigError(f"{where}: [limits] max_mime_depth and max_html_depth must be at "
                          "least 1")
    if settings.smtp.max_recipients < 1:
        raise ConfigError(f"{where}: [smtp] max_recipients must be at least 1")
    if not (settings.outgoing.transport.startswith("maildir:")
            or settings.outgoing.transport.startswith(("smtp://", "smtps://"))):
        raise ConfigError(
            f"{where}: [outgoing] transport must be 'maildir:PATH' or "
            f"'smtp://[user:password@]host:port', not {settings.outgoing.transport!r}"
        )
    if not (settings.database.url.startswith(("sqlite:///", "postgresql://", "postgres://"))):
        raise ConfigError(
            f"{where}: [database] url must start with sqlite:/// or postgresql://, "
            f"not {settings.database.url!r}"
        )
    if settings.broker.url != "embedded" and not settings.broker.url.startswith(
        ("redis://", "amqp://")
    ):
        raise ConfigError(
            f"{where}: [broker] url must be 'embedded', redis://... or amqp://..., "
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


def parse_listen(value: str, what: str = "listen") -> tuple[str, int]:
    """'host:port' (IPv6 as '[::1]:25') -> (host, port)."""
    match = re.fullmatch(r"\[?([^\]]*?)\]?:(\d{1,5})", value.strip())
    if not match or not match.group(1) or not 0 < int(match.group(2)) < 65536:
        raise ConfigError(f"{what} must look like 127.0.0.1:2525, not {value!r}")
    return match.group(1), int(match.group(2))


def _suggest(word: str, known: Any) -> str:
    close = difflib.get_close_matches(word, list(known), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def _at(where: str, text: str, section: str, key: str | None) -> str:
    """file:line for a section header or a key inside it, when it can be found."""
    line = _find_line(text, section, key)
    return f"{where}:{line}" if line else where


def _find_array_line(text: str, section: str, index: int, key: str | None) -> int | None:
    """The line of the index-th [[section]] table, or of a key inside it."""
    count = -1
    inside = False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if re.fullmatch(rf"\[\[\s*{re.escape(section)}\s*\]\]", stripped):
            count += 1
            inside = count == index
            if inside and key is None:
                return number
        elif stripped.startswith("["):
            inside = False
        elif inside and key is not None and re.match(rf"{re.escape(key)}\s*=", stripped):
            return number
    return None


def _find_line(text: str, section: str, key: str | None) -> int | None:
    current: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = re.fullmatch(r"\[\s*([A-Za-z0-9_.-]+)\s*\]", stripped)
        if header:
            current = header.group(1)
            if key is None and current == section:
                return number
            continue
        if key is not None and current == section and re.match(
            rf"{re.escape(key)}\s*=", stripped
        ):
            return number
    return None
