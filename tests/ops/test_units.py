"""The shipped systemd units pass `systemd-analyze verify` and hold no needless capability."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from conftest import require_service
from ops.served import POSTDESK

UNITS = Path(__file__).resolve().parents[2] / "systemd"
INSTALLED = "/opt/postdesk/venv/bin/postdesk"


def test_units_verify_cleanly(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        require_service("systemd-analyze", "install the systemd package")
    names = sorted(path.name for path in UNITS.iterdir() if path.suffix in (".service",
                                                                              ".socket"))
    assert {"postdesk.service", "postdesk-worker@.service", "postdesk.socket",
            "postdesk-lmtp.socket"} <= set(names)
    for name in names:  # the units as installed, with the venv of this checkout
        text = (UNITS / name).read_text().replace(INSTALLED, POSTDESK)
        (tmp_path / name).write_text(text)
    targets = [str(tmp_path / n.replace("@.", "@1.")) if "@." in n else str(tmp_path / n)
               for n in names]
    for name in names:
        if "@." in name:
            shutil.copy(tmp_path / name, tmp_path / name.replace("@.", "@1."))
    result = subprocess.run([analyze, "verify", *targets], capture_output=True, text=True,
                            timeout=120, cwd=tmp_path)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def test_no_unit_keeps_the_port_25_capability_by_default() -> None:
    for path in UNITS.iterdir():
        live = [line for line in path.read_text().splitlines()
                if line.strip() and not line.lstrip().startswith("#")]
        granted = [line for line in live if "CAP_NET_BIND_SERVICE" in line]
        assert not granted, f"{path.name}: {granted}"
        if path.suffix == ".service":
            assert "CapabilityBoundingSet=" in live, path.name
