"""The one mechanism for live files: cheap looks, refused broken versions, the fallbacks of a
process that starts while a file is broken, and the poller's one line per file."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from postdesk.config import live_specs
from postdesk.config.live import (
    InForce,
    LiveFile,
    LiveSpec,
    LiveState,
    Snapshot,
    SourceFile,
    Version,
)
from postdesk.config.live_files import LiveFiles
from postdesk.config.rulesfile import parse_yaml

START = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)


class Clocks:
    """A monotonic clock and a wall clock the test moves by hand."""

    def __init__(self) -> None:
        self.seconds = 1000.0
        self.now = START

    def monotonic(self) -> float:
        return self.seconds

    def wall(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.seconds += seconds
        self.now += timedelta(seconds=seconds)


class Names:
    """A toy live file, `names.yaml` holding `names: [a, b]`, that counts its parses."""

    def __init__(self) -> None:
        self.parses = 0

    def parse(self, version: Version) -> tuple[str, ...]:
        self.parses += 1
        if not version.files:
            return ()
        doc = parse_yaml(version.files[0].text, version.files[0].display)
        node = doc.root().get("names")
        if node is None:
            raise doc.error((), "needs the key 'names'")
        return tuple(item.as_str("a name") for item in node.as_list())

    def spec(self) -> LiveSpec[tuple[str, ...]]:
        return LiveSpec("rules/names.yaml", live_specs.one_file("names.yaml"), self.parse, (),
                        lambda names: f"{len(names)} names")


@pytest.fixture
def clocks() -> Clocks:
    return Clocks()


def folder_with(tmp_path: Path, name: str, text: str | None) -> Path:
    folder = tmp_path / name / "rules"
    folder.mkdir(parents=True)
    if text is not None:
        (folder / "names.yaml").write_text(text, encoding="utf-8")
    return folder


def live_names(tmp_path: Path, clocks: Clocks, names: Names, text: str | None, *,
               shipped: str | None = "names: [shipped]\n",
               snapshot: Snapshot | None = None) -> LiveFile[tuple[str, ...]]:
    return LiveFile(names.spec(), folder_with(tmp_path, "desk", text),
                    shipped_folder=folder_with(tmp_path, "shipped", shipped), interval=2,
                    snapshots=lambda name: snapshot if name == "rules/names.yaml" else None,
                    clock=clocks.monotonic, wall_clock=clocks.wall)


def test_the_hot_path_looks_at_most_every_interval_and_parses_only_a_change(
        tmp_path: Path, clocks: Clocks, monkeypatch: pytest.MonkeyPatch) -> None:
    names = Names()
    live = live_names(tmp_path, clocks, names, "names: [a]\n")
    path = live.folder / "names.yaml"
    looks: list[Path] = []
    stat = Path.stat

    def counted_stat(self: Path, **kwargs: object) -> object:
        if self == path:
            looks.append(self)
        return stat(self, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "stat", counted_stat)
    assert live.current() == ("a",) and names.parses == 1 and len(looks) == 1

    path.write_text("names: [a, b]\n", encoding="utf-8")
    clocks.advance(1)
    for _ in range(100):  # a busy second: not even a stat
        assert live.current() == ("a",)
    assert len(looks) == 1

    clocks.advance(1)
    assert live.current() == ("a", "b") and names.parses == 2 and len(looks) == 2
    for _ in range(3):  # unchanged: a stat per look, no parse
        clocks.advance(2)
        assert live.current() == ("a", "b")
    assert names.parses == 2 and len(looks) == 5

    path.write_text("names: [a, b, c]\n", encoding="utf-8")
    live.request_reload()  # SIGHUP: at the next use, however recent the last look
    assert live.current() == ("a", "b", "c")


def test_a_file_saved_again_unchanged_is_no_change(tmp_path: Path, clocks: Clocks) -> None:
    names = Names()
    live = live_names(tmp_path, clocks, names, "names: [a]\n")
    assert live.current() == ("a",)
    generation = live.generation
    path = live.folder / "names.yaml"
    path.write_text("names: [a]\n", encoding="utf-8")
    assert live.refresh() is False
    assert live.generation == generation and names.parses == 1


def test_a_broken_edit_keeps_what_is_in_force_and_since_when(tmp_path: Path,
                                                             clocks: Clocks) -> None:
    live = live_names(tmp_path, clocks, Names(), "names: [a]\n")
    assert live.current() == ("a",) and live.state.in_force is InForce.FILE
    path = live.folder / "names.yaml"

    clocks.advance(5)
    path.write_text("names:\n  - [not, a, name]\n", encoding="utf-8")
    assert live.refresh() is True
    assert live.current() == ("a",)
    state = live.state
    assert state.in_force is InForce.LAST_GOOD
    assert state.broken_since == START + timedelta(seconds=5)
    assert state.validated_at == START
    assert state.error == "rules/names.yaml:2: item 1 must be a name, not a list"

    clocks.advance(5)
    path.write_text("nmaes: [a]\n", encoding="utf-8")  # broken differently: still since then
    assert live.refresh() is True
    assert live.state.broken_since == START + timedelta(seconds=5)
    assert live.state.error is not None and "needs the key 'names'" in live.state.error
    assert live.refresh() is False  # nothing new to say

    path.write_text("names: [b]\n", encoding="utf-8")
    assert live.refresh() is True
    assert live.current() == ("b",)
    assert live.last_error is None and live.state.broken_since is None
    assert live.state.in_force is InForce.FILE


def test_a_process_starting_while_the_file_is_broken_takes_the_last_good_version(
        tmp_path: Path, clocks: Clocks) -> None:
    good = Snapshot(Version((SourceFile("rules/names.yaml", "names: [good, old]\n"),)),
                    START - timedelta(days=1))
    live = live_names(tmp_path, clocks, Names(), "names: [oops\n", snapshot=good)
    assert live.current() == ("good", "old")
    state = live.state
    assert state.in_force is InForce.LAST_GOOD and state.validated_at == good.validated_at
    assert state.error is not None and state.error.startswith("rules/names.yaml:")
    assert state.broken_since == START


def test_a_desk_never_good_takes_the_shipped_version(tmp_path: Path, clocks: Clocks) -> None:
    live = live_names(tmp_path, clocks, Names(), "names: [oops\n")
    assert live.current() == ("shipped",)
    assert live.state.in_force is InForce.SHIPPED and live.last_error is not None


def test_a_last_good_version_that_no_longer_loads_gives_way_to_the_shipped_one(
        tmp_path: Path, clocks: Clocks) -> None:
    stale = Snapshot(Version((SourceFile("rules/names.yaml", "nmaes: [x]\n"),)), START)
    live = live_names(tmp_path, clocks, Names(), "names: [oops\n", snapshot=stale)
    assert live.current() == ("shipped",) and live.state.in_force is InForce.SHIPPED


def test_when_nothing_loads_nothing_is_in_force(tmp_path: Path, clocks: Clocks) -> None:
    live = live_names(tmp_path, clocks, Names(), "names: [oops\n", shipped="names: {}\n")
    assert live.current() == ()
    assert live.state.in_force is InForce.EMPTY and live.last_error is not None


def test_an_absent_file_is_valid_and_its_appearing_is_a_change(tmp_path: Path,
                                                                clocks: Clocks) -> None:
    live = live_names(tmp_path, clocks, Names(), None)
    assert live.current() == () and live.state.in_force is InForce.FILE
    assert live.last_error is None
    (live.folder / "names.yaml").write_text("names: [new]\n", encoding="utf-8")
    assert live.refresh() is True and live.current() == ("new",)


def test_the_poller_logs_one_line_per_file_that_changed_and_records_it(
        tmp_path: Path, clocks: Clocks, caplog: pytest.LogCaptureFixture) -> None:
    desk = tmp_path / "desk" / "rules"
    desk.mkdir(parents=True)
    (desk / "teams.yaml").write_text("teams: []\n", encoding="utf-8")
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    recorded: list[LiveState] = []

    def live(spec: LiveSpec, folder: Path = desk) -> LiveFile:  # type: ignore[type-arg]
        return LiveFile(spec, folder, shipped_folder=shipped, interval=3600,
                        clock=clocks.monotonic, wall_clock=clocks.wall)

    from postdesk.automation import Vocabulary

    teams = live(live_specs.teams())
    files = LiveFiles(automation=live(live_specs.automation(Vocabulary)), teams=teams,
                      routing=live(live_specs.routing(lambda: teams.current().team_names,
                                                      ["support@example.com"])),
                      queues=live(live_specs.queues(Vocabulary)),
                      sla=live(live_specs.sla(Vocabulary)),
                      templates=live(live_specs.templates(desk.parent / "templates"),
                                     desk.parent / "templates"),
                      knowledge=live(live_specs.knowledge(), desk.parent / "kb"),
                      channels=live(live_specs.channels(Vocabulary)),
                      record=recorded.append)
    caplog.set_level(logging.INFO, logger="postdesk.config.live_files")

    files.check(everything=True)  # at start: every file
    assert [r.getMessage() for r in caplog.records] == [
        "rules/automation.yaml: 0 automations in force",
        "rules/teams.yaml: 0 teams, 0 agents in force",
        "rules/routing.yaml: 0 request types, 0 routes in force",
        "rules/queues.yaml: 0 queues in force",
        "rules/sla.yaml: no SLA policies (no clocks) in force",
        "templates/: no templates of its own in force",
        "kb/: 0 articles in force",
        "rules/channels.yaml: 0 chat channels, 0 reactions in force"]
    assert [s.name for s in recorded] == [f.name for f in files]

    caplog.clear()
    recorded.clear()
    files.check()
    assert caplog.records == [] and recorded == []  # nothing changed: nothing said

    (desk / "teams.yaml").write_text("teams:\n  - nmae: support\n", encoding="utf-8")
    teams.current()  # a worker thread notices first: the poller still reports it
    files.check()
    [line] = caplog.records
    assert line.levelno == logging.ERROR
    assert line.getMessage().startswith("rules/teams.yaml:2: ")
    assert line.getMessage().endswith(
        "; the last good version stays in force (0 teams, 0 agents, validated "
        "2026-05-01 10:00:00 UTC)")
    assert [s.in_force for s in recorded] == [InForce.LAST_GOOD]

    caplog.clear()
    files.check(everything=True)  # SIGHUP: every file again, the unchanged ones said so
    assert caplog.records[0].getMessage() == (
        "rules/automation.yaml: unchanged, 0 automations in force")
    assert caplog.records[1].levelno == logging.ERROR


def test_the_poller_names_each_refused_article_with_its_file_and_line(
        tmp_path: Path, clocks: Clocks, caplog: pytest.LogCaptureFixture) -> None:
    """A broken article is left out and the log says which and why (README: "named with
    file and line by the daemon's log"), at start and when it appears."""
    from postdesk.automation import Vocabulary

    rules = tmp_path / "desk" / "rules"
    rules.mkdir(parents=True)
    kb = tmp_path / "desk" / "kb"
    (kb / "en").mkdir(parents=True)
    (kb / "en" / "vpn.md").write_text(
        "---\nid: vpn\ntitle: VPN\nlanguage: en\n---\nConnect to the VPN.\n")
    shipped = tmp_path / "shipped"
    shipped.mkdir()

    def live(spec: LiveSpec, folder: Path = rules) -> LiveFile:  # type: ignore[type-arg]
        return LiveFile(spec, folder, shipped_folder=shipped, interval=3600,
                        clock=clocks.monotonic, wall_clock=clocks.wall)

    teams = live(live_specs.teams())
    knowledge = live(live_specs.knowledge(), kb)
    files = LiveFiles(automation=live(live_specs.automation(Vocabulary)), teams=teams,
                      routing=live(live_specs.routing(lambda: teams.current().team_names,
                                                      ["support@example.com"])),
                      queues=live(live_specs.queues(Vocabulary)),
                      sla=live(live_specs.sla(Vocabulary)),
                      templates=live(live_specs.templates(tmp_path / "desk" / "templates"),
                                     tmp_path / "desk" / "templates"),
                      knowledge=knowledge, channels=live(live_specs.channels(Vocabulary)),
                      record=lambda state: None)
    caplog.set_level(logging.INFO, logger="postdesk.config.live_files")
    files.check(everything=True)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]

    caplog.clear()
    (kb / "en" / "team").mkdir()
    (kb / "en" / "team" / "vpn2.md").write_text(
        "---\nid: vpn2\ntitle: VPN\nlanguage: en\nvisibility: hidden\n---\nx\n")
    knowledge.request_reload()
    files.check()
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.INFO, "kb/: 1 article (en), 1 refused in force"),
        (logging.WARNING, "kb/en/team/vpn2.md:5: 'visibility' must be one of public, "
                          "internal, not 'hidden'; this article is left out, the others "
                          "are served")]


def test_a_state_the_database_did_not_take_is_recorded_at_the_next_check(
        tmp_path: Path, clocks: Clocks) -> None:
    names = live_names(tmp_path, clocks, Names(), "names: [a]\n")
    others = [LiveFile(LiveSpec(f"rules/{n}.yaml", live_specs.one_file(f"{n}.yaml"),
                                Names().parse, (), str), names.folder,
                       shipped_folder=names.shipped_folder, interval=2)
              for n in ("b", "c", "d", "e", "f", "g", "h")]
    database_up = False
    recorded: list[str] = []

    def record(state: LiveState) -> None:
        if not database_up:
            raise ConnectionError("database away")
        recorded.append(state.name)

    files = LiveFiles(names, *others, record=record)  # type: ignore[arg-type]
    files.check()
    assert recorded == []
    database_up = True
    files.check()  # nothing changed, but nothing was recorded either
    assert recorded == ["rules/names.yaml", "rules/b.yaml", "rules/c.yaml", "rules/d.yaml",
                        "rules/e.yaml", "rules/f.yaml", "rules/g.yaml", "rules/h.yaml"]
    files.check()
    assert len(recorded) == 8
