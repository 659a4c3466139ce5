"""``xinyi-api scenarios check [PATH]``: everything the server would refuse, without a server.

``check_installed()`` validates every installed scenario (the entry points of group
``xinyi_api.scenarios``) and, when ``XINYI_SCENARIOS`` is set, its keys. ``check_package(path)``
validates a scenario package directory that need not be installed: the entry points its
``pyproject.toml`` declares in that group, imported from its ``src/`` (or the directory itself).
Both use the loader's own checks (``loader.inspect_plugins``), so ``check`` and start-up agree,
and add each valid scenario's settings as read from the environment (``config.settings_of``).
Every problem of every scenario is collected; nothing raises.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from xinyi_api.scenarios.loader import GROUP, KEY, Inspection, LoadedScenario, inspect_plugins

__all__ = ["CheckReport", "PackageError", "check_installed", "check_package", "package_root"]


class PackageError(ValueError):
    """PATH is not a scenario package (no pyproject.toml, no entry point in the group…)."""


@dataclass(slots=True)
class CheckReport:
    """The scenarios checked: the valid ones, and every problem by plugin."""

    loaded: list[LoadedScenario] = field(default_factory=list)
    problems: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def problem_count(self) -> int:
        return sum(len(p) for p in self.problems.values())


def _with_settings(inspection: Inspection, others: list[str]) -> CheckReport:
    """The loader's findings plus each valid scenario's settings from the environment."""
    from xinyi_api.scenarios.config import settings_of
    from xinyi_api.settings import SettingsError

    report = CheckReport(problems={k: list(v) for k, v in inspection.problems.items()})
    for item in inspection.loaded:
        try:
            settings_of(item.scenario, os.environ, others)
        except SettingsError as exc:
            report.problems.setdefault(item.plugin, []).append(f"settings: {exc}")
            continue
        report.loaded.append(item)
    return report


def check_installed() -> CheckReport:
    """Every installed scenario, and the keys of ``XINYI_SCENARIOS`` if set."""
    from xinyi_api.scenarios.config import unclaimed
    from xinyi_api.scenarios.loader import discover

    installed = sorted({ep.name for ep in discover()})
    report = _with_settings(inspect_plugins(None), installed)
    stray = unclaimed(os.environ, installed)
    if stray:
        report.problems["XINYI_SCENARIO_*"] = [
            f"{name} names no installed scenario (installed: {', '.join(installed)})"
            for name in stray]
    raw = os.environ.get("XINYI_SCENARIOS")
    if raw is not None:
        unknown = [k.strip() for k in raw.split(",") if k.strip() and k.strip() not in installed]
        if unknown:
            report.problems["XINYI_SCENARIOS"] = [
                f"unknown scenario key {key!r} (installed: {', '.join(installed) or 'none'})"
                for key in unknown]
    return report


def package_root(path: Path) -> Path:
    """Where a package directory's modules live: ``src/`` if it has one, else itself."""
    return path / "src" if (path / "src").is_dir() else path


def _declared(path: Path) -> tuple[str, list[importlib.metadata.EntryPoint]]:
    """The distribution name and the scenario entry points of ``path/pyproject.toml``."""
    pyproject = path / "pyproject.toml"
    if not path.is_dir():
        raise PackageError(f"{path} is not a directory")
    if not pyproject.is_file():
        raise PackageError(f"{path} has no pyproject.toml")
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PackageError(f"{pyproject}: {exc}") from None
    project = data.get("project") or {}
    entries = (project.get("entry-points") or {}).get(GROUP) or {}
    if not isinstance(entries, dict) or not entries:
        raise PackageError(f'{pyproject} declares no scenario: add [project.entry-points.'
                           f'"{GROUP}"] with <key> = "<module>:SCENARIO"')
    eps = [importlib.metadata.EntryPoint(name=str(name), value=str(value), group=GROUP)
           for name, value in sorted(entries.items())]
    return str(project.get("name") or path.name), eps


def _import_from(root: Path, eps: list[importlib.metadata.EntryPoint]) -> None:
    """Put ``root`` first on ``sys.path`` and forget any copy of the packages imported from
    elsewhere (an installed older version), so the entry points load the code at ``root``."""
    sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    for top in {ep.value.split(":")[0].split(".")[0] for ep in eps}:
        for name in [m for m in sys.modules if m == top or m.startswith(top + ".")]:
            origin = getattr(sys.modules[name], "__file__", None) or ""
            if not Path(origin).resolve().is_relative_to(root.resolve()):
                del sys.modules[name]


def check_package(path: Path) -> CheckReport:
    """The scenarios of the package directory ``path`` (installed or not); raises
    ``PackageError`` when ``path`` is not a scenario package at all."""
    from xinyi_api.scenarios.loader import discover

    distribution, eps = _declared(path)
    problems: dict[str, list[str]] = {}
    for ep in eps:
        if not KEY.match(ep.name):
            problems[f"{ep.name} = {ep.value}"] = [
                f"entry-point name {ep.name!r} is not a scenario key ([a-z][a-z0-9_]{{1,40}})"]
    # Industries other installed scenarios declare may be covered too; a broken one adds none.
    others = [item for item in inspect_plugins(None).loaded
              if item.scenario.key not in {ep.name for ep in eps}]
    _import_from(package_root(path), eps)
    inspection = inspect_plugins(
        None, [ep for ep in eps if KEY.match(ep.name)],
        known_industries=[i for item in others for i in item.scenario.new_industries])
    # The package need not be installed: name its distribution from pyproject.toml.
    inspection.loaded = [LoadedScenario(item.scenario, item.plugin, distribution)
                         for item in inspection.loaded]
    inspection.problems = {**problems, **inspection.problems}
    keys = sorted({ep.name for ep in discover()} | {ep.name for ep in eps})
    return _with_settings(inspection, keys)
