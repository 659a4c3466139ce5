"""``xinyi-api scenarios check`` and ``scenarios new`` as an author runs them: real processes,
every problem of every scenario at once, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.scenarios.helpers import fake_plugin
from xinyi_api.scenarios.skeleton import SkeletonError, render, skeleton_for

CLI = [sys.executable, "-m", "xinyi_api.cli"]
ROOT = Path(__file__).resolve().parents[2]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_", "XINYI_")) and k != "DATABASE_URL"}
    return {**env, **extra}


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], env=env or _env(), cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)


def test_check_passes_every_installed_builtin_scenario() -> None:
    done = _run("scenarios", "check")
    assert done.returncode == 0, done.stdout + done.stderr
    keys = [line.split()[1] for line in done.stdout.splitlines() if line.startswith("ok  ")]
    assert keys == ["beef_soup", "medical_insurance", "pay_later", "property", "tourism"]


def test_check_reports_every_problem_of_every_installed_scenario_without_a_traceback(
    tmp_path: Path,
) -> None:
    site = tmp_path / "site"
    fake_plugin(site, "xinyi-scenario-broken", {
        "sample": "tests.scenarios.helpers:NO_BASIS",
        "gone": "no_such_module:SCENARIO",
        "thresholds": "tests.scenarios.helpers:NON_MONOTONE"})
    done = _run("scenarios", "check", env=_env(
        PYTHONPATH=os.pathsep.join([str(site), str(ROOT)]),
        XINYI_SCENARIOS="beef_soup,nursing",
        XINYI_SCENARIO_TOURISM_DISCOUNT="10", XINYI_SCENARIO_TOURISMS_X="1"))
    out = done.stdout
    assert done.returncode == 1, out + done.stderr
    assert "Traceback" not in out + done.stderr
    assert "BAD gone = no_such_module:SCENARIO: 1 problem(s)" in out
    assert "cannot be imported: ModuleNotFoundError: No module named 'no_such_module'" in out
    assert "measure 'fewer': has no basis" in out
    assert "thresholds must fall strictly from grade to grade" in out
    assert "unknown scenario key 'nursing'" in out
    assert "settings: XINYI_SCENARIO_TOURISM_DISCOUNT: scenario 'tourism' declares no " \
           "settings" in out
    assert "XINYI_SCENARIO_TOURISMS_X names no installed scenario" in out
    assert "ok  beef_soup" in out and "ok  tourism" not in out
    assert "7 problem(s) in 6 scenario(s)" in done.stderr


def _package(root: Path, modules: dict[str, str], entries: dict[str, str]) -> Path:
    """A scenario package directory (not installed): ``src/<module>.py`` and pyproject.toml."""
    (root / "src").mkdir(parents=True)
    for name, source in modules.items():
        (root / "src" / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    lines = "".join(f'{key} = "{target}"\n' for key, target in entries.items())
    (root / "pyproject.toml").write_text(
        '[project]\nname = "xinyi-scenario-several"\nversion = "0.1"\n\n'
        f'[project.entry-points."xinyi_api.scenarios"]\n{lines}', encoding="utf-8")
    return root


def test_check_path_loads_an_uninstalled_package_and_reports_each_problem(
    tmp_path: Path,
) -> None:
    package = _package(tmp_path / "pkg", {
        "broken_import": "import no_such_dependency\n",
        "several": """
            import dataclasses
            from tests.scenarios.helpers import VALID, with_measure
            from xinyi_api.scenarios.kit import Basis

            PLACEHOLDER = with_measure(
                basis=Basis("<待填写 fill in: 文件>", "<待填写 fill in: 条款>"))
            SCENARIO = dataclasses.replace(
                PLACEHOLDER, key="several", industries=("beef_soup",),
                thresholds=(("A", 700), ("B", 750), ("C", 500)))
            FINE = dataclasses.replace(VALID, key="fine", industries=("beef_soup",))
            FACTORY_FAILS = lambda: 1 / 0  # noqa: E731
        """}, {"several": "several:SCENARIO", "fine": "several:FINE",
               "broken": "broken_import:SCENARIO", "factory": "several:FACTORY_FAILS",
               "Bad-Key": "several:FINE"})
    done = _run("scenarios", "check", str(package), env=_env(PYTHONPATH=str(ROOT)))
    out = done.stdout
    assert done.returncode == 1, out + done.stderr
    assert "Traceback" not in out + done.stderr
    assert "ok  fine (rule 1, xinyi-scenario-several)" in out
    assert "BAD several = several:SCENARIO: 2 problem(s)" in out
    assert "measure 'fewer': basis is still the template's placeholder (待填写)" in out
    assert "thresholds must fall strictly" in out
    assert "BAD broken = broken_import:SCENARIO: 1 problem(s)" in out
    assert "No module named 'no_such_dependency'" in out
    assert "several:FACTORY_FAILS() failed: ZeroDivisionError" in out
    assert "entry-point name 'Bad-Key' is not a scenario key" in out


def test_check_explains_a_directory_that_is_not_a_scenario_package(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    done = _run("scenarios", "check", str(tmp_path))
    assert done.returncode == 1
    assert "declares no scenario: add [project.entry-points.\"xinyi_api.scenarios\"]" in \
        done.stderr
    assert "Traceback" not in done.stderr
    diff = _run("scenarios", "check", "--diff")
    assert diff.returncode == 2 and "give PATH" in diff.stderr


def test_new_writes_a_package_and_refuses_a_used_directory_or_a_bad_key(tmp_path: Path) -> None:
    target = tmp_path / "hotel"
    done = _run("scenarios", "new", "hotel", "--dir", str(target))
    assert done.returncode == 0, done.stderr
    init = (target / "src" / "xinyi_scenario_hotel" / "__init__.py").read_text("utf-8")
    assert "new_industries" not in init and "Industry," not in init  # 住宿 is a known industry
    assert 'name_zh="信用+住宿"' in init
    assert (target / "src" / "xinyi_scenario_hotel" / "migrations" /
            "0001_worker_checks.sql").read_text("utf-8").count("hotel_worker_checks") == 1
    again = _run("scenarios", "new", "hotel", "--dir", str(target))
    assert again.returncode == 1 and "is not an empty directory" in again.stderr
    bad = _run("scenarios", "new", "Hotel", "--dir", str(tmp_path / "other"))
    assert bad.returncode == 1 and "must match [a-z][a-z0-9_]{1,40}" in bad.stderr
    assert not (tmp_path / "other").exists()


def test_skeleton_of_a_new_industry_declares_it_and_fills_every_token() -> None:
    files = render(skeleton_for("nursing_home", name_zh="信用+养老", department="mzj"))
    init = next(text for path, text in files.items() if path.name == "__init__.py"
                and "nursing_home" in path.parts[-2])
    assert 'Industry(KEY, "养老", "nursing home")' in init
    assert all("{{" not in text and "<<new_industry>>" not in text for text in files.values())
    pyproject = files[next(p for p in files if p.name == "pyproject.toml")]
    assert 'nursing_home = "xinyi_scenario_nursing_home:SCENARIO"' in pyproject
    assert 'name = "xinyi-scenario-nursing-home"' in pyproject


@pytest.mark.parametrize(("changes", "problem"), [
    ({"department": "Swj"}, "is not a department code"),
    ({"name_zh": 'say "hi"'}, "without quotes or backslashes"),
])
def test_skeleton_refuses_names_it_cannot_write_safely(changes: dict[str, str],
                                                       problem: str) -> None:
    with pytest.raises(SkeletonError, match=problem):
        skeleton_for("nursing_home", **changes)
