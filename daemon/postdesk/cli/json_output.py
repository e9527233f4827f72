"""JSON for scripts on stdout, in the one layout every `--json` prints (indent 2, UTF-8 as is).

`echo_json_list` writes an array while its items are still being read, so a list of a
million tickets never sits in memory; its bytes are those of `echo_json` on the list.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import click

#: Items written to stdout at once (fewer writes than one per item, little memory).
BATCH = 200


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


def echo_json(value: Any) -> None:
    click.echo(dumps(value))


def echo_json_list(items: Iterable[Any]) -> None:
    """`[` + each item as `echo_json` would nest it + `]`, written as the items come."""
    pending: list[str] = []
    opened = False
    for item in items:
        pending.append(("[\n" if not opened else ",\n")
                       + "\n".join("  " + line for line in dumps(item).split("\n")))
        opened = True
        if len(pending) >= BATCH:
            click.echo("".join(pending), nl=False)
            pending.clear()
    click.echo("".join(pending) + ("\n]" if opened else "[]"))
