"""`postdesk init`: lay out a new desk folder from the shipped example desk."""

from __future__ import annotations

import re
import secrets
import shutil
from pathlib import Path

from postdesk.config.settings import DEFAULT_CONFIG_NAME
from postdesk.config.shipped import shipped, skeleton
from postdesk.errors import ConfigError

_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}", re.I)

#: The placeholders of `config/skeleton/postdesk.toml.in`.
EXAMPLE_DOMAIN = "example.com"
EXAMPLE_SECRET = "change-me-to-a-long-random-string"


def config_text(domain: str, secret: str) -> str:
    """The documented postdesk.toml of a new desk (and of `postdesk.example.toml`)."""
    text = (skeleton() / "postdesk.toml.in").read_text(encoding="utf-8")
    return text.replace("{domain}", domain.lower()).replace("{secret}", secret)


def init_desk(folder: Path, *, domain: str = EXAMPLE_DOMAIN, force: bool = False) -> Path:
    """Write DIR/postdesk.toml (fresh secret), rules/, kb/, templates/, locales/ and var/."""
    if not _DOMAIN.fullmatch(domain):
        raise ConfigError(f"--domain: {domain!r} is not a domain name like example.com")
    config = folder / DEFAULT_CONFIG_NAME
    if config.exists() and not force:
        raise ConfigError(f"{config} already exists; use --force to overwrite it")
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(shipped("rules"), folder / "rules", dirs_exist_ok=True)
    shutil.copytree(shipped("kb"), folder / "kb", dirs_exist_ok=True)
    for name in ("templates", "locales"):  # override folders, each with a README
        shutil.copytree(skeleton() / name, folder / name, dirs_exist_ok=True)
    (folder / "var" / "outgoing").mkdir(parents=True, exist_ok=True)
    config.write_text(config_text(domain, secrets.token_urlsafe(32)), encoding="utf-8")
    config.chmod(0o600)
    return config
