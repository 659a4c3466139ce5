"""The architecture written down as import contracts (pyproject.toml, import-linter) holds, and
the contracts bite: a plugin that imports past the facade, or a cycle, breaks them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")
pytestmark = pytest.mark.skipif(not LINT.exists(), reason="import-linter is a dev dependency")


def _lint(config: Path | None = None, extra_path: Path | None = None
          ) -> subprocess.CompletedProcess[str]:
    paths = [str(ROOT / "tests" / "plugin_pkg" / "src")]
    if extra_path is not None:
        paths.insert(0, str(extra_path))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    args = [str(LINT), "--no-cache"] + (["--config", str(config)] if config else [])
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
                          check=False)


def test_the_import_contracts_are_kept() -> None:
    done = _lint()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 kept, 0 broken" in done.stdout


def test_a_plugin_importing_past_the_facade_breaks_the_contract(tmp_path: Path) -> None:
    plugin = tmp_path / "xinyi_scenario_sneaky"
    plugin.mkdir()
    (plugin / "__init__.py").write_text(textwrap.dedent("""
        from xinyi_api.scenarios.kit import Scenario  # the facade: fine
        from xinyi_api.grading import engine  # past it: refused
    """))
    config = tmp_path / "contracts.toml"
    config.write_text(textwrap.dedent("""
        [tool.importlinter]
        root_packages = ["xinyi_api", "xinyi_scenario_sneaky"]
        exclude_type_checking_imports = true

        [[tool.importlinter.contracts]]
        name = "facade"
        type = "forbidden"
        source_modules = ["xinyi_scenario_sneaky"]
        forbidden_modules = ["xinyi_api"]
        ignore_imports = ["xinyi_scenario_sneaky -> xinyi_api.scenarios.kit"]
        allow_indirect_imports = true
    """))
    done = _lint(config, tmp_path)
    assert done.returncode != 0
    assert "xinyi_scenario_sneaky -> xinyi_api.grading.engine" in done.stdout


def test_two_packages_importing_each_other_break_the_contract(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "src" / "xinyi_api", tmp_path / "xinyi_api")
    # The foundation's clock importing a domain package closes a cycle.
    clock = tmp_path / "xinyi_api" / "clock.py"
    clock.write_text(clock.read_text() + "\nfrom xinyi_api.records import service  # noqa\n")
    config = tmp_path / "contracts.toml"
    config.write_text(textwrap.dedent("""
        [tool.importlinter]
        root_packages = ["xinyi_api"]
        exclude_type_checking_imports = true

        [[tool.importlinter.contracts]]
        name = "no cycles"
        type = "acyclic_siblings"
        ancestors = ["xinyi_api"]
        depth = 1
    """))
    done = _lint(config, tmp_path)
    assert done.returncode != 0, done.stdout
    assert "BROKEN" in done.stdout
