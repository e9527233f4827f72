"""`--json` output: a streamed list prints the bytes of the whole list printed at once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from postdesk.cli import json_output

TICKETS = [{"id": n, "subject": f"Drukarka zepsuta {n} ✓", "requester": {"name": None},
            "tags": [], "sla": {}, "nested": {"a": [1, {"b": "c\nd"}]}} for n in range(5)]


@pytest.mark.parametrize("items", [[], TICKETS[:1], TICKETS], ids=["none", "one", "several"])
def test_a_streamed_list_is_the_list_printed_at_once(items: list[dict[str, Any]], capsys,
                                                     monkeypatch) -> None:
    monkeypatch.setattr(json_output, "BATCH", 2)  # several writes for the longer list

    def one_by_one() -> Iterator[dict[str, Any]]:
        yield from items

    json_output.echo_json_list(one_by_one())
    streamed = capsys.readouterr().out
    json_output.echo_json(items)
    assert streamed == capsys.readouterr().out
    assert streamed == json.dumps(items, ensure_ascii=False, indent=2) + "\n"
