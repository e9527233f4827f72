"""The store's JSON text: what `json.dumps(ensure_ascii=False, sort_keys=True)` wrote,
character for character (rows written before and after read alike)."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import pytest

from postdesk.store.json_text import dumps

VALUES = [
    {"article": "vpn-access", "language": "en", "score": 0.734, "rank": 2},
    {"z": 1, "a": [1, 2.5, None, True, False], "m": {"ż": "Zażółć gęślą jaźń", "b": {}}},
    {"text": "line\nnext \"quoted\" \\ tab\t \u202f ß ✓ \x00", "empty": [], "n": -0.0},
    {"big": 10**30, "small": 1e-300, "nan": math.nan, "inf": math.inf},
    ["list", "at", "top"], "a string", 42, None,
    {"suggestions": [{"id": "x", "text": "Żółw " * 200, "score": 1.0}], "solved_link": ""},
]


@pytest.mark.parametrize("value", VALUES)
def test_the_same_text_as_json_dumps(value: object) -> None:
    assert dumps(value) == json.dumps(value, ensure_ascii=False, sort_keys=True)


def test_a_value_json_cannot_write_is_refused_as_before() -> None:
    with pytest.raises(TypeError, match="datetime"):
        dumps({"at": datetime(2026, 12, 7, tzinfo=UTC)})
