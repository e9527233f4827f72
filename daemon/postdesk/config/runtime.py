"""What a worker needs to do its job, built once per process from the settings.

Actors receive only ids; they find the desk's settings, renderer and rules
here (the outgoing transport is the sender's own business: see
`postdesk.channels.email.sender`). `install()` is called by `postdesk serve` /
`postdesk worker` before the first message is consumed.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from postdesk.config.settings import Settings
from postdesk.errors import ConfigError
from postdesk.tickets.statuses import DEFAULT_BOOK, StatusBook, load_statuses

if TYPE_CHECKING:  # each imported where it is first used: a command needs few of them
    from postdesk.automation import RuleSet
    from postdesk.chat.channels import ChannelBook
    from postdesk.config.live import LiveFile
    from postdesk.config.live_files import LiveFiles
    from postdesk.knowledge.library import KnowledgeBase
    from postdesk.mail.classify import DeskIdentity
    from postdesk.notify.render import Branding, Renderer
    from postdesk.sla import SlaConfig
    from postdesk.ticket_queues.model import QueueBook
    from postdesk.tickets.routing import Routing
    from postdesk.tickets.teams import TeamBook

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    #: DNS TXT lookup for DKIM keys (None: dkimpy's own resolver)
    dkim_dns: Callable[..., bytes | None] | None = None

    @cached_property
    def identity(self) -> DeskIdentity:
        from postdesk.mail.classify import LOOP_HEADER, DeskIdentity

        desk = self.settings.desk
        domains = {desk.domain.lower(), *(a.rpartition("@")[2].lower() for a in desk.addresses)}
        return DeskIdentity(
            domains=frozenset(domains),
            loop_header=LOOP_HEADER,
            loop_value=loop_value(desk.secret, desk.domain),
            addresses=frozenset(a.lower() for a in desk.addresses),
        )

    @cached_property
    def statuses(self) -> StatusBook:
        """The desk's statuses (rules/statuses.yaml), or the defaults when it is broken."""
        try:
            return load_statuses(self.settings.path(self.settings.paths.rules))
        except ConfigError as exc:
            log.error("%s; using the default statuses until it is fixed", exc)
            return DEFAULT_BOOK

    @cached_property
    def live(self) -> LiveFiles:
        """The desk's files reloaded live (`postdesk.config.live_files`): one registry per
        process, polled by the daemon, looked at by the workers as they use them."""
        from postdesk.automation import Vocabulary
        from postdesk.config.live_files import desk_live_files

        return desk_live_files(self.settings,
                               lambda: Vocabulary(statuses=frozenset(self.statuses.names)))

    @property
    def live_teams(self) -> LiveFile[TeamBook]:
        return self.live.teams

    @property
    def teams(self) -> TeamBook:
        """The desk's teams and agents (rules/teams.yaml, reloaded when it changes)."""
        return self.live.teams.current()

    @property
    def live_routing(self) -> LiveFile[Routing]:
        return self.live.routing

    @property
    def routing(self) -> Routing:
        """rules/routing.yaml: request type and team of new tickets (reloaded live)."""
        return self.live.routing.current()

    @property
    def live_queues(self) -> LiveFile[QueueBook]:
        return self.live.queues

    @property
    def queues(self) -> QueueBook:
        """rules/queues.yaml: the desk's named queues (reloaded live)."""
        return self.live.queues.current()

    @property
    def live_rules(self) -> LiveFile[RuleSet]:
        return self.live.automation

    @property
    def rules(self) -> RuleSet:
        """The automation rules in force (reloaded when rules/ changes)."""
        return self.live.automation.current()

    @property
    def sla(self) -> SlaConfig | None:
        """rules/sla.yaml: the SLA policies in force (None: no file, no clocks; reloaded live)."""
        return self.live.sla.current()

    @property
    def knowledge(self) -> KnowledgeBase:
        """kb/: the desk's knowledge-base articles and their index (reloaded live)."""
        return self.live.knowledge.current()

    @property
    def channels(self) -> ChannelBook:
        """rules/channels.yaml: the chat channels the desk works in (reloaded live)."""
        return self.live.channels.current()

    @cached_property
    def renderer(self) -> Renderer:
        from postdesk.notify.render import Renderer, default_locale_dir, default_template_dir

        settings = self.settings
        return Renderer(
            [settings.path(settings.paths.templates), default_template_dir()],
            [settings.path(settings.paths.locales), default_locale_dir()],
            default_language=settings.desk.default_language,
            branding=branding_of(settings),
            overrides=self.live.templates.current,
        )

    @cached_property
    def languages(self) -> tuple[str, ...]:
        """The languages the desk writes in (its catalogs), looked up once per process."""
        return self.renderer.available_languages()


def branding_of(settings: Settings) -> Branding:
    """The one place every mail's look comes from: [desk] name and [branding]."""
    from postdesk.notify.render import Branding

    brand = settings.branding
    return Branding(desk_name=brand.desk_name or settings.desk.name,
                    logo_url=brand.logo_url or None, primary_colour=brand.primary_colour,
                    header=brand.header, signature=brand.signature, footer=brand.footer,
                    agent_footer=brand.agent_footer, register=brand.register)


def loop_value(secret: str, domain: str) -> str:
    """Our loop header value: names the desk without revealing the secret."""
    tag = hashlib.sha256(f"loop:{secret}".encode()).hexdigest()[:12]
    return f"{domain}; {tag}"


_current: Runtime | None = None


def install(runtime: Runtime) -> Runtime:
    global _current
    _current = runtime
    return runtime


def installed() -> Runtime | None:
    """The runtime installed in this process, if any (a worker process may inherit one
    from its fork server: `postdesk.worker.preload`)."""
    return _current


def current() -> Runtime:
    if _current is None:
        raise RuntimeError("postdesk runtime not installed: start through 'postdesk serve/worker'")
    return _current
