"""The 信用+家政 tutorial package (tests/plugin_pkg), pip-installed once per test process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "plugin_pkg"


def pip_install(package: Path, target: Path) -> None:
    """``pip install`` a package directory into ``target``: offline, no build isolation (the
    build backend, hatchling, comes with the test extras), no dependencies."""
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--no-build-isolation", "--disable-pip-version-check", "--target", str(target),
         str(package)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="session")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tutorial package, installed into a fresh directory."""
    target = tmp_path_factory.mktemp("plugin-site")
    pip_install(PACKAGE, target)
    assert (target / "xinyi_scenario_housekeeping-0.1.0.dist-info" / "entry_points.txt").exists()
    return target


@pytest.fixture
def installed(plugin_site: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The tutorial is installed for this test (its directory on ``sys.path``)."""
    monkeypatch.syspath_prepend(str(plugin_site))
    return plugin_site
