"""The wheel carries the example desk: `pip install` + `postdesk init DIR` works anywhere.

`rules/`, `templates/` and `locales/` live at the top of the repository; a build
step copies them into the wheel (`setup.py`). This test builds the wheel,
installs it into a fresh virtual environment (its dependencies come from this
checkout's environment, so nothing is downloaded but the build tools), and runs
the desk from a folder far from the checkout.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from conftest import require_service

CHECKOUT = Path(__file__).resolve().parents[2]
#: The virtual environment the units' ExecStart= runs (README: Production).
INSTALL_PREFIX = "/opt/postdesk/venv"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # one build at a time in this checkout: setuptools builds in its build/ folder, and two
    # pytest-xdist workers building at once failed ("File exists: build/bdist...")
    (CHECKOUT / "build").mkdir(exist_ok=True)  # ignored by git
    with (CHECKOUT / "build" / "wheel.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        build = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out),
             str(CHECKOUT)], capture_output=True, text=True, timeout=600)
    if build.returncode != 0:
        require_service("a wheel build (pip and its build tools)", build.stderr[-2000:])
    (found,) = out.glob("postdesk-*.whl")
    return found


def test_the_wheel_carries_rules_templates_and_locales(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for shipped in ("rules/automation.yaml", "rules/sla.yaml", "templates/email/_layout.html.j2",
                    "templates/email/acknowledgment.txt.j2", "templates/report/sla.html.j2",
                    "locales/pl/LC_MESSAGES/messages.po", "locales/de/LC_MESSAGES/messages.po"):
        assert f"postdesk/shipped/{shipped}" in names, shipped
    assert "postdesk/config/skeleton/postdesk.toml.in" in names


def test_the_units_documentation_is_installed_by_the_wheel(wheel: Path) -> None:
    # Issue 27: Documentation=file:///opt/postdesk/README.md named nothing a pip install makes.
    names = set(zipfile.ZipFile(wheel).namelist())
    documented = set()
    for unit in (CHECKOUT / "systemd").iterdir():
        for line in unit.read_text().splitlines():
            if line.startswith("Documentation="):
                documented.update(line.partition("=")[2].split())
    assert documented == {f"file://{INSTALL_PREFIX}/share/doc/postdesk/README.md"}
    version = wheel.name.split("-")[1]
    assert f"postdesk-{version}.data/data/share/doc/postdesk/README.md" in names


def test_an_installed_wheel_lays_out_and_checks_a_desk(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    target = venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    site = target / "site-packages"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-index", "--target", str(site), str(wheel)], check=True, timeout=300)
    # The dependencies come from this environment's site-packages; a plain path entry
    # (no .pth processing) does not bring in the checkout's editable postdesk.
    env = {**os.environ, "PYTHONPATH": sysconfig.get_paths()["purelib"]}
    env.pop("POSTDESK_CONFIG", None)
    python = venv / "bin" / "python"
    far = tmp_path / "elsewhere"
    far.mkdir()

    def postdesk(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(python), "-c", "from postdesk.cli.main import main; main()",
                               *args], capture_output=True, text=True, cwd=far, env=env,
                              timeout=120)

    where = subprocess.run([str(python), "-c", "import postdesk; print(postdesk.__file__)"],
                           capture_output=True, text=True, cwd=far, env=env, timeout=60)
    assert str(site) in where.stdout, where.stdout + where.stderr
    init = postdesk("init", "desk", "--domain", "help.example.org")
    assert init.returncode == 0, init.stderr
    desk = far / "desk"
    assert (desk / "rules" / "automation.yaml").read_text() == (
        CHECKOUT / "rules" / "automation.yaml").read_text()
    assert "help.example.org" in (desk / "postdesk.toml").read_text()
    check = postdesk("--config", str(desk / "postdesk.toml"), "check")
    assert check.returncode == 0, check.stdout + check.stderr
    preview = postdesk("--config", str(desk / "postdesk.toml"), "preview", "acknowledgment",
                       "--lang", "pl")
    assert preview.returncode == 0, preview.stderr
    assert "Dziękujemy za kontakt" in preview.stdout, preview.stdout  # the Polish catalog
