"""Internal statuses and the customer-facing names they map to.

Agents and rules work with internal statuses (``waiting_for_vendor``);
customers only ever see a public name ("In progress"), a gettext msgid that
is translated for each recipient at render time. The mapping lives in
``rules/statuses.yaml``:

    statuses:
      - name: new                     # internal name: letters, digits, _ and -
        public: Received              # what the customer sees (a msgid)
        kind: open                    # open | paused | closed
      - name: waiting_for_customer
        public: Waiting for your reply
        kind: paused                  # paused: SLA clocks may stop here
    initial: new                      # optional; default: the first status

`public` may also give the name per language (``public: {en: On hold, pl:
Wstrzymane, de: Angehalten}``); mails pick the recipient's. A public name that
is one text and not in the shipped catalogs needs a translation in the
desk's ``locales/`` folder; `postdesk check` lists the languages that lack one.
Without the file, a desk gets the defaults below. Errors name the file and
line: ``rules/statuses.yaml:7: status 'new' is listed twice (first at line 2)``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from postdesk.config.localized_text import NO_TEXT, LocalizedText, titles_of
from postdesk.config.rulesfile import Node, load_yaml, suggest


def N_(message: str) -> str:
    """Mark a public name for extraction; it is translated per recipient later."""
    return message


STATUSES_FILE = "statuses.yaml"
KINDS: tuple[str, ...] = ("open", "paused", "closed")
INITIAL_STATUS = "new"
#: Where a closed ticket goes when its customer writes again, or an agent says `#reopen`.
REOPENED_STATUS = "in_progress"
#: What a customer sees for a status the desk does not know (e.g. after a rename).
FALLBACK_PUBLIC_NAME = N_("In progress")

DEFAULT_PUBLIC_NAMES: Mapping[str, str] = {
    "new": N_("Received"),
    "triage": N_("Received"),
    "in_progress": N_("In progress"),
    "waiting_for_customer": N_("Waiting for your reply"),
    "waiting_for_vendor": N_("In progress"),
    "resolved": N_("Resolved"),
    "closed": N_("Closed"),
}

DEFAULT_KINDS: Mapping[str, str] = {
    "new": "open",
    "triage": "open",
    "in_progress": "open",
    "waiting_for_customer": "paused",
    "waiting_for_vendor": "paused",
    "resolved": "closed",
    "closed": "closed",
}

_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
_TOP_KEYS = ("statuses", "initial")
_STATUS_KEYS = ("name", "public", "kind")


@dataclass(frozen=True)
class Status:
    """One internal status: its name, the public msgid customers see, its kind."""

    name: str
    public: str
    kind: str
    where: str = ""
    titles: LocalizedText = NO_TEXT  # `public` by language, when the file gives them


@dataclass(frozen=True)
class StatusBook:
    """The desk's statuses in file order, with lookups by internal name."""

    statuses: tuple[Status, ...]
    initial: str = INITIAL_STATUS
    source: str = "(built-in defaults)"

    @property
    def names(self) -> tuple[str, ...]:
        """Internal names, in the order the file lists them."""
        return tuple(s.name for s in self.statuses)

    @property
    def public_names(self) -> tuple[str, ...]:
        """Distinct public msgids, first appearance first."""
        return tuple(dict.fromkeys(s.public for s in self.statuses))

    def get(self, status: str) -> Status | None:
        return next((s for s in self.statuses if s.name == status), None)

    def public_name(self, status: str) -> str:
        """The msgid a customer sees; never the internal name, even for unknown ones."""
        found = self.get(status)
        return found.public if found is not None else FALLBACK_PUBLIC_NAME

    def public_title(self, status: str) -> dict[str, str] | str:
        """The public name as a mail's context keeps it: the texts by language the file
        gives, else the msgid (templates translate either, see the `translate` filter)."""
        found = self.get(status)
        if found is None or not found.titles:
            return self.public_name(status)
        return {language or "en": text for language, text in found.titles.texts}

    def kind(self, status: str) -> str:
        """open, paused or closed; an unknown status counts as open."""
        found = self.get(status)
        return found.kind if found is not None else "open"

    def names_of_kind(self, kind: str) -> tuple[str, ...]:
        return tuple(s.name for s in self.statuses if s.kind == kind)


DEFAULT_BOOK = StatusBook(
    tuple(Status(name, DEFAULT_PUBLIC_NAMES[name], DEFAULT_KINDS[name])
          for name in DEFAULT_PUBLIC_NAMES)
)


def public_status(status: str, names: Mapping[str, str] = DEFAULT_PUBLIC_NAMES) -> str:
    """The name a customer sees; an unmapped internal status shows as in progress."""
    return names.get(status, FALLBACK_PUBLIC_NAME)


def load_statuses(rules_dir: Path, *, display_root: str | None = None) -> StatusBook:
    """Read ``rules_dir/statuses.yaml``; the defaults when the file is absent.

    Raises RuleError ``rules/statuses.yaml:LINE: ...`` for an unknown key, a
    missing or empty public name, a duplicate status or an unknown kind.
    """
    path = rules_dir / STATUSES_FILE
    if not path.is_file():
        return DEFAULT_BOOK
    root_name = display_root if display_root is not None else rules_dir.name
    doc = load_yaml(path, display=f"{root_name}/{STATUSES_FILE}")
    root = doc.root()
    if root.value is None:
        raise root.error("the file is empty; list the desk's statuses under 'statuses:' "
                         "or delete the file to use the defaults")
    root.check_keys(_TOP_KEYS, required=("statuses",))
    top = root.as_mapping()
    items = top["statuses"].as_list("a list of statuses (each with name, public, kind)")
    if not items:
        raise top["statuses"].error("'statuses' is empty; a desk needs at least one status")
    statuses: list[Status] = []
    for item in items:
        status = _status(item)
        previous = next((s for s in statuses if s.name == status.name), None)
        if previous is not None:
            raise item.error(f"status '{status.name}' is listed twice "
                             f"(first at line {previous.where.rpartition(':')[2]})")
        statuses.append(status)
    names = [s.name for s in statuses]
    initial = names[0]
    if "initial" in top:
        initial = top["initial"].as_str()
        if initial not in names:
            raise top["initial"].error(f"initial status '{initial}' is not listed under "
                                       f"'statuses'{suggest(initial, names)}")
    if not any(s.kind != "closed" for s in statuses):
        raise top["statuses"].error("every status is closed; list at least one open status")
    return StatusBook(tuple(statuses), initial=initial, source=doc.display)


def _status(item: Node) -> Status:
    item.check_keys(_STATUS_KEYS, required=("name", "public"))
    fields = item.as_mapping("a status (a mapping with name, public, kind)")
    name = fields["name"].as_str("the internal status name")
    if not _NAME.fullmatch(name):
        raise fields["name"].error(
            f"status name '{name}' must be lower-case letters, digits, '_' or '-' "
            f"(e.g. waiting_for_customer)")
    titles = LocalizedText()
    if isinstance(fields["public"].value, dict):  # {en: ..., pl: ...}: the desk's own texts
        titles = titles_of(fields["public"])
        public = titles.in_language(()).strip()
        if not all(text.strip() for _, text in titles.texts):
            raise fields["public"].error("a public name is empty; write the name customers "
                                         "see, e.g. 'In progress'")
    else:
        public = fields["public"].as_str("the name customers see, e.g. 'In progress'").strip()
    kind = "open"
    if "kind" in fields:
        kind = fields["kind"].as_str()
        if kind not in KINDS:
            raise fields["kind"].error(f"kind '{kind}' must be one of {', '.join(KINDS)}"
                                       f"{suggest(kind, KINDS)}")
    return Status(name=name, public=public, kind=kind, where=item.where, titles=titles)
