"""The desk's settings: one frozen dataclass per section of postdesk.toml.

Every key has a fixed name, type and default here; `postdesk.config.load`
reads the file and the environment into them and `postdesk.config.validate`
checks what needs the whole picture. Relative paths in the file are relative
to the file, so a desk folder can be moved as a whole.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from postdesk.config.localized_text import NO_TEXT, LocalizedText

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
    aliases: tuple[str, ...] = ()


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
    batch_megabytes: int = 32
    recycle_megabytes: int = 64


@dataclass(frozen=True)
class OutgoingSettings:
    transport: str = "maildir:var/outgoing"
    starttls: str = "opportunistic"
    tls_verify: bool = True
    tls_server_name: str = ""
    tls_ca_file: str = ""
    helo_name: str = ""
    verp: bool = True
    max_attempts: int = 8
    timeout: int = 30
    send_lease: int = 120


@dataclass(frozen=True)
class LimitsSettings:
    max_mime_depth: int = 20
    max_html_depth: int = 256
    max_address_header: int = 4096
    max_mail_cpu_seconds: int = 30
    auto_replies_per_address: int = 10
    auto_replies_total: int = 10000
    auto_reply_window: int = 3600


@dataclass(frozen=True)
class BrandingSettings:
    logo_url: str = ""
    primary_colour: str = "#2563eb"
    # Each text: one string, or a table by language (see postdesk.config.localized_text).
    header: LocalizedText = NO_TEXT
    signature: LocalizedText = NO_TEXT
    footer: LocalizedText = NO_TEXT  # customers' mails
    agent_footer: LocalizedText = NO_TEXT  # agents' mails
    desk_name: LocalizedText = NO_TEXT  # the desk's name in mails ([desk] name if empty)
    # How mails address customers: "formal" (Pan/Pani, Sie) or "informal" (ty, du).
    register: str = "formal"


@dataclass(frozen=True)
class AgentSettings:
    trusted_authserv_ids: tuple[str, ...] = ()
    verify_dkim: bool = False
    # A customer's files ride along with agents' notifications up to this total (bytes);
    # the rest are listed by name and size (0: list them all, attach none).
    max_notification_attachments: int = 10 * 1024 * 1024


@dataclass(frozen=True)
class RulesSettings:
    max_depth: int = 5
    reload_interval: int = 2


@dataclass(frozen=True)
class TicketSettings:
    reopen_days: int = 14
    # The earlier messages of the thread below the new one (newest first; 0: none), in
    # agents' notifications (internal notes marked) and in mail to customers (public only)
    thread_for_agents: int = 5
    thread_for_customers: int = 3
    thread_message_chars: int = 1200  # each earlier message trimmed to this length


@dataclass(frozen=True)
class DuplicateSettings:
    """[duplicates]: a new ticket is compared with the open tickets of the last `days` days
    (0: never); `threshold` is the similarity (percent) that makes a possible duplicate."""

    days: int = 7
    threshold: int = 45


@dataclass(frozen=True)
class KbSettings:
    #: how good an article must be to be suggested: percent of the best score the
    #: customer's words could reach (0-100)
    min_score: int = 30
    #: how many articles an acknowledgment suggests at most (0: none)
    suggestions: int = 3
    #: the page where a customer confirms "this solved it" ({token}: the signed token);
    #: empty: no link (the customer answers "solved" instead)
    solved_url: str = ""
    #: where suggestions are searched: "memory" (each process's own index, the best
    #: figures) or "database" (SQLite FTS5 / PostgreSQL full text, rebuilt on reload)
    index: str = "memory"
    #: re-order the good enough articles by meaning with a small sentence-embedding
    #: model (needs the extra postdesk[semantic]; without it: a warning, words alone)
    semantic: bool = False
    #: minutes the agents' notification of a ticket opened in a chat help thread waits
    #: while its requester reads the suggested articles ("This solved it" cancels it,
    #: "I still need help" sends it at once); 0: agents hear at once
    chat_wait_minutes: int = 10


@dataclass(frozen=True)
class PathSettings:
    rules: str = "rules"
    templates: str = "templates"
    locales: str = "locales"
    kb: str = "kb"


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
    #: this node's name in the per-node figures (default: the machine's host name)
    node: str = ""

    @property
    def node_name(self) -> str:
        return self.node or socket.gethostname()


@dataclass(frozen=True)
class WebSettings:
    """[web]: the customer's ticket page (postdesk.channels.web); off while listen is empty.
    Needs the `postdesk[web]` extra (aiohttp)."""

    listen: str = ""
    #: where customers reach the server (behind a reverse proxy: its public URL); links in
    #: mails start with it. Empty: http://<listen>
    base_url: str = ""
    #: a link in a mail opens the ticket's page for this many days
    link_days: int = 90
    #: a file the desk sends where a chat platform cannot carry it (a Teams channel) is a
    #: signed download link, valid this many days
    file_link_days: int = 30
    #: requests per minute from one address, and with one ticket's session or link
    rate_per_ip: int = 120
    rate_per_token: int = 60
    #: the largest reply (text) a customer may post from the page, in characters
    max_reply_chars: int = 20000
    #: the page says how soon the desk answers, from the ticket's SLA policy
    sla_promise: bool = False
    #: "send me a new link" and agents' sign-in requests per hour from one address
    link_requests_per_ip: int = 5

    def public_base(self) -> str:
        """base_url without a trailing slash (http://LISTEN when base_url is empty)."""
        return (self.base_url or f"http://{self.listen}").rstrip("/")


@dataclass(frozen=True)
class SlackSettings:
    """[slack]: the Slack edge (postdesk.channels.slack); off while bot_token is empty.
    Needs the `postdesk[chat]` extra."""

    bot_token: str = ""  # xoxb-...
    app_token: str = ""  # xapp-...: Socket Mode (the default; no public URL needed)
    signing_secret: str = ""  # the HTTP Events API's request signatures
    api_url: str = "https://slack.com/api/"
    #: "host:port" for the HTTP Events API; empty: Socket Mode
    http_listen: str = ""

    #: the keys without which the platform is off (`postdesk check` names the empty ones)
    REQUIRED: ClassVar[tuple[str, ...]] = ("bot_token",)

    @property
    def configured(self) -> bool:
        return bool(self.bot_token)


@dataclass(frozen=True)
class TeamsSettings:
    """[teams]: the Microsoft Teams edge; off while app_id is empty."""

    app_id: str = ""
    app_password: str = ""
    tenant_id: str = ""
    #: the messaging endpoint /api/messages (empty: the edge's default, 127.0.0.1:3978)
    listen: str = ""
    api_url: str = ""  # empty: the Bot Connector each activity names (serviceUrl)
    openid_metadata: str = ""  # empty: the Bot Framework's

    #: the keys without which the platform is off (`postdesk check` names the empty ones)
    REQUIRED: ClassVar[tuple[str, ...]] = ("app_id",)

    @property
    def configured(self) -> bool:
        return bool(self.app_id)


@dataclass(frozen=True)
class MatrixSettings:
    """[matrix]: the Matrix edge (postdesk.channels.matrix); off while access_token is empty."""

    homeserver: str = ""  # e.g. https://matrix.example.com
    user_id: str = ""  # the desk's account, @support:example.com
    access_token: str = ""

    #: the keys without which the platform is off (`postdesk check` names the empty ones)
    REQUIRED: ClassVar[tuple[str, ...]] = ("homeserver", "access_token")

    @property
    def configured(self) -> bool:
        return bool(self.access_token and self.homeserver)


@dataclass(frozen=True)
class CsatSettings:
    """[csat]: the satisfaction survey after a resolution (postdesk.tickets.satisfaction)."""

    enabled: bool = True
    #: minutes after the resolution before the survey goes (a reopening cancels it)
    delay_minutes: int = 60
    #: "1-5" (five digits) or "faces" (three faces, 😞 😐 🙂)
    scale: str = "1-5"
    #: a rating may be changed this many days after it was first given
    change_days: int = 7
    #: also ask when the customer solved it with an article / a rule closed it
    for_self_served: bool = False
    for_auto_closed: bool = False


@dataclass(frozen=True)
class StatusSettings:
    """[status]: when `postdesk status` calls the desk unhealthy (see postdesk.serve.health)."""

    max_outbox_backlog: int = 500
    max_pending_age: int = 300
    #: failures a quiet desk may have before their share counts: one hostile mail on a
    #: desk that received nothing else in the window is 100 % of its mail
    max_failed_inbound: int = 5
    max_failed_outbox: int = 5
    max_failed_percent: int = 50
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
    duplicates: DuplicateSettings = field(default_factory=DuplicateSettings)
    rules: RulesSettings = field(default_factory=RulesSettings)
    agents: AgentSettings = field(default_factory=AgentSettings)
    branding: BrandingSettings = field(default_factory=BrandingSettings)
    kb: KbSettings = field(default_factory=KbSettings)
    paths: PathSettings = field(default_factory=PathSettings)
    log: LogSettings = field(default_factory=LogSettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    status: StatusSettings = field(default_factory=StatusSettings)
    web: WebSettings = field(default_factory=WebSettings)
    slack: SlackSettings = field(default_factory=SlackSettings)
    teams: TeamsSettings = field(default_factory=TeamsSettings)
    matrix: MatrixSettings = field(default_factory=MatrixSettings)
    csat: CsatSettings = field(default_factory=CsatSettings)
    imap: tuple[ImapSource, ...] = ()
    source: Path | None = None
    base_dir: Path = Path(".")
    #: (section, key, POSTDESK_* variable) of each value the environment set, so that an
    #: error about the value names the variable, not the file
    from_environment: tuple[tuple[str, str, str], ...] = ()

    def origin(self, section: str, key: str) -> str:
        """Where `[section] key` was set, for an error: ``$POSTDESK_SMTP_LISTEN ([smtp]
        listen)`` when the environment set it, else ``FILE: [smtp] listen``."""
        variable = next((v for s, k, v in self.from_environment if (s, k) == (section, key)),
                        None)
        if variable is not None:
            return f"${variable} ([{section}] {key})"
        where = str(self.source) if self.source else "<config>"
        return f"{where}: [{section}] {key}"

    @property
    def chat_platforms(self) -> tuple[str, ...]:
        """The chat platforms with a configured section ([slack], [teams], [matrix])."""
        return tuple(name for name in ("slack", "teams", "matrix")
                     if getattr(self, name).configured)

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
    "duplicates": DuplicateSettings,
    "rules": RulesSettings,
    "agents": AgentSettings,
    "branding": BrandingSettings,
    "kb": KbSettings,
    "paths": PathSettings,
    "log": LogSettings,
    "metrics": MetricsSettings,
    "status": StatusSettings,
    "web": WebSettings,
    "slack": SlackSettings,
    "teams": TeamsSettings,
    "matrix": MatrixSettings,
    "csat": CsatSettings,
}

#: Keys that take one of a few words.
CHOICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("outgoing", "starttls"): ("required", "opportunistic", "off"),
    ("database", "synchronous"): ("full", "normal"),
    ("log", "format"): ("text", "json"),
    ("log", "level"): ("debug", "info", "warning", "error"),
    ("branding", "register"): ("formal", "informal"),
    ("csat", "scale"): ("1-5", "faces"),
    ("kb", "index"): ("memory", "database"),
}


def resolve_database_url(url: str, base_dir: Path) -> str:
    """Make a relative SQLite path absolute against the config folder."""
    prefix = "sqlite:///"
    if url.startswith(prefix):
        rest = url[len(prefix):]
        if rest and not rest.startswith("/") and rest != ":memory:":
            return prefix + str((base_dir / rest).resolve())
    return url


