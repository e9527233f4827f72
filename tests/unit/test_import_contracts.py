"""The import contracts of pyproject.toml cover every pure SLA module.

`postdesk.sla` is pure except for `postdesk.sla.tracking`, so the contracts name
its pure modules one by one; a module added to postdesk/sla/ and forgotten there
would be checked by nothing. (`make lint` runs the contracts themselves.)
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import postdesk.sla

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def _contracts() -> list[dict[str, Any]]:
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    contracts: list[dict[str, Any]] = config["tool"]["importlinter"]["contracts"]
    return contracts


def _pure_sla_modules() -> set[str]:
    """Every module of postdesk/sla/ outside the tracking package (the __init__ only
    imports them)."""
    folder = Path(postdesk.sla.__file__).parent
    return {f"postdesk.sla.{path.stem}" for path in folder.glob("*.py")
            if path.stem != "__init__"}


def _sla(names: list[str]) -> set[str]:
    return {name for name in names if name.startswith("postdesk.sla.")}


def test_the_pure_contract_names_every_pure_sla_module() -> None:
    pure = next(c for c in _contracts() if c["name"].startswith("The pure packages"))
    assert _sla(pure["source_modules"]) == _pure_sla_modules()
    assert {"postdesk.mail", "postdesk.automation"} <= set(pure["source_modules"])


def test_the_pure_layer_names_every_pure_sla_module_and_tracking_sits_with_the_domain() -> None:
    layers = next(c for c in _contracts() if c["type"] == "layers")["layers"]
    pure = [name.strip() for name in layers[-1].split(":")]
    domain = [name.strip() for name in layers[-3].split(":")]
    assert _sla(pure) == _pure_sla_modules()
    assert "postdesk.sla.tracking" in domain and "postdesk.tickets" in domain
    assert layers[-2] == "postdesk.store"


def test_the_pure_sla_modules_are_real_modules() -> None:
    """The glob above finds what the package holds: the arithmetic and its tracking apart."""
    modules = _pure_sla_modules()
    assert {"postdesk.sla.clock", "postdesk.sla.calendar", "postdesk.sla.policy"} <= modules
    assert not any(name.startswith("postdesk.sla.tracking") for name in modules)
