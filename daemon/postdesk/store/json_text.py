"""JSON text as the store writes it: keys sorted, non-ASCII kept, made by one encoder.

`json.dumps(value, ensure_ascii=False, sort_keys=True)` builds a `JSONEncoder` and then
a C encoder on every call; the store writes some fifteen JSON columns per mail (each
event's data, each outbox row's context and headers), so one C encoder is made once
and reused: the same text, in half the time for an event's small dict. The encoder
keeps no state between calls (no circular-reference markers: the store's values are
made by our own code and a cycle in one would be a bug), so threads may share it.
"""

from __future__ import annotations

import json
import json.encoder
from collections.abc import Callable
from json.encoder import JSONEncoder, encode_basestring
from typing import Any

#: `_json.make_encoder`, the C encoder `json.dumps` makes on every call (None without it)
c_make_encoder: Any = getattr(json.encoder, "c_make_encoder", None)


def _default(value: Any) -> Any:
    """What `json.dumps` says of a value it cannot write (a TypeError naming its type)."""
    return JSONEncoder().default(value)


def _one_encoder() -> Callable[[Any], str]:
    if c_make_encoder is None:  # a Python built without the _json accelerator
        return lambda value: json.dumps(value, ensure_ascii=False, sort_keys=True)
    encoder = c_make_encoder(None, _default, encode_basestring, None, ": ", ", ", True,
                             False, True)
    return lambda value: "".join(encoder(value, 0))


#: `json.dumps(value, ensure_ascii=False, sort_keys=True)`, character for character.
dumps: Callable[[Any], str] = _one_encoder()
