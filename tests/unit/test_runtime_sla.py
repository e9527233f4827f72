"""rules/sla.yaml is looked at every few seconds, not for every ticket, and at once after
SIGHUP; an edit is in force from the next look."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from postdesk.config.live_sla import sla_config
from postdesk.config.runtime import Runtime
from postdesk.config.settings import Settings

ONE_POLICY = """\
calendars:
  always: {timezone: UTC, hours: "24/7"}
policies:
  - name: %s
    calendar: always
    targets: {first_response: 1h}
"""


def test_an_edit_is_in_force_from_the_next_look(make_settings: Callable[..., Settings],
                                                monkeypatch) -> None:
    settings = make_settings(rules_reload_interval=2)
    runtime = Runtime(settings)
    sla_file = Path(settings.path(settings.paths.rules)) / "sla.yaml"
    sla_file.write_text(ONE_POLICY % "first")
    clock = [1000.0]
    runtime.live.sla.clock = lambda: clock[0]
    looks: list[Path] = []
    stat = Path.stat

    def counted_stat(self: Path, **kwargs: object) -> object:
        if self == sla_file:
            looks.append(self)
        return stat(self, **kwargs)

    monkeypatch.setattr(Path, "stat", counted_stat)

    assert [p.name for p in sla_config(runtime).policies] == ["first"]
    sla_file.write_text(ONE_POLICY % "second-and-longer")
    looks.clear()
    clock[0] += settings.rules.reload_interval / 2
    for _ in range(50):  # every ticket of a busy second: no look at the file
        assert [p.name for p in sla_config(runtime).policies] == ["first"]
    assert looks == []

    clock[0] += settings.rules.reload_interval
    assert [p.name for p in sla_config(runtime).policies] == ["second-and-longer"]
    assert len(looks) == 1

    sla_file.write_text(ONE_POLICY % "third")
    runtime.live.request_reload()  # SIGHUP
    assert [p.name for p in sla_config(runtime).policies] == ["third"]
