"""The folders Postdesk ships beside its code: `rules/`, `templates/`, `locales/`, `kb/`.

In a checkout (and an editable install) they are the repository's top-level
folders, where an admin reading the tree finds them. A wheel carries copies in
`postdesk/shipped/` (laid there by `setup.py` at build time), so that
`pip install postdesk` + `postdesk init DIR` gives a working desk anywhere.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent
#: Where a wheel carries the folders.
_IN_WHEEL = _PACKAGE / "shipped"
#: Where a checkout has them: beside `daemon/`, the source root.
_IN_CHECKOUT = _PACKAGE.parent.parent

#: The folders that travel with the package.
SHIPPED_FOLDERS = ("rules", "templates", "locales", "kb")


def shipped(name: str) -> Path:
    """The shipped folder `name` (one of SHIPPED_FOLDERS)."""
    if name not in SHIPPED_FOLDERS:
        raise ValueError(f"Postdesk ships no folder {name!r}")
    packaged = _IN_WHEEL / name
    return packaged if packaged.is_dir() else _IN_CHECKOUT / name


def skeleton() -> Path:
    """What `postdesk init` writes besides the rules: the config template, override READMEs."""
    return _PACKAGE / "config" / "skeleton"
