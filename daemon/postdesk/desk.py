"""`postdesk init`: lay out a new desk folder from the shipped defaults."""

from __future__ import annotations

import re
import secrets
import shutil
from importlib import resources
from pathlib import Path

from postdesk.config import DEFAULT_CONFIG_NAME
from postdesk.errors import ConfigError

_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}", re.I)


def desk_defaults() -> Path:
    return Path(str(resources.files("postdesk") / "defaults" / "desk"))


def init_desk(folder: Path, *, domain: str = "example.com", force: bool = False) -> Path:
    """Write DIR/postdesk.toml (fresh secret), rules/, templates/, locales/ and var/."""
    if not _DOMAIN.fullmatch(domain):
        raise ConfigError(f"--domain: {domain!r} is not a domain name like example.com")
    config = folder / DEFAULT_CONFIG_NAME
    if config.exists() and not force:
        raise ConfigError(f"{config} already exists; use --force to overwrite it")
    folder.mkdir(parents=True, exist_ok=True)
    source = desk_defaults()
    for name in ("rules", "templates", "locales"):
        shutil.copytree(source / name, folder / name, dirs_exist_ok=True)
    (folder / "var" / "outgoing").mkdir(parents=True, exist_ok=True)
    text = (source / "postdesk.toml.in").read_text(encoding="utf-8")
    text = text.replace("{domain}", domain.lower()).replace("{secret}", secrets.token_urlsafe(32))
    config.write_text(text, encoding="utf-8")
    config.chmod(0o600)
    return config
