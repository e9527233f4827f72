"""The Matrix edge (issue 20): a desk account in Matrix rooms, over the Client-Server API.

`platform(settings, data_dir)` is what the daemon calls for a `[matrix]` section; the
work is in `MatrixPlatform` (edge), which reads room events through /sync (events),
resolves authors by their verified email (identity), and posts thread messages
(render), keeping its read position under the desk's data folder (sync_state).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from postdesk.channels.matrix.edge import MatrixPlatform


def platform(settings: Any, data_dir: Path) -> MatrixPlatform:
    """The edge for the desk's `[matrix]` section and the Matrix rooms of channels.yaml.

    `settings.matrix` has `homeserver`, `user_id` and `access_token`; the rooms come from
    `settings.matrix_rooms` (the room ids of rules/channels.yaml with platform matrix), a
    list or a function that reads them as the file is now (followed live).
    """
    matrix = settings.matrix
    rooms = getattr(settings, "matrix_rooms", ()) or ()
    return MatrixPlatform(homeserver=matrix.homeserver, user_id=matrix.user_id,
                          access_token=matrix.access_token,
                          rooms=rooms if callable(rooms) else tuple(rooms),
                          state_dir=Path(data_dir))


__all__ = ["MatrixPlatform", "platform"]
