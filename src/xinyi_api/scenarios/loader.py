"""Finding, enabling and validating scenario plugins (场景插件加载与校验).

Every scenario — built-in or third-party — is an entry point in the group ``xinyi_api.scenarios``
whose name is the scenario key and whose object is a ``Scenario`` (or a no-argument callable
returning one). The built-ins in ``scenarios/`` are registered in this project's
``pyproject.toml``; a department's package registers its own the same way.

``load_scenarios(enabled)`` imports the enabled plugins (all of them when ``enabled`` is
``None``, i.e. ``XINYI_SCENARIOS`` unset) and validates each: unique key, a well-formed grading
rule with monotone thresholds, documented indicators, and measures that each have a basis and a
well-formed effect no stricter than the national list (``measures_catalog``). Any problem raises
``ScenarioError`` naming the plugin and the problem, so the app refuses to start.
"""

from __future__ import annotations

import importlib.metadata
import logging
import re
import typing
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import msgspec
from litestar import Litestar

from xinyi_api.db.migrate import MigrationSource
from xinyi_api.grading.engine import GRADES, GradingRule, Indicator
from xinyi_api.grading.regrade import run_scheme_upgrade
from xinyi_api.grading.service import FileLoader
from xinyi_api.scenarios.catalog import effect_problems
from xinyi_api.scenarios.model import Effect, Measure, Scenario, ScenarioError

log = logging.getLogger(__name__)

GROUP = "xinyi_api.scenarios"
"""The entry-point group scenario plugins register in."""

KEY = re.compile(r"^[a-z][a-z0-9_]{1,40}$")
SUBJECT_TYPES = frozenset({"enterprise", "individual", "store"})
MEASURE_GRADES = frozenset({*GRADES, "unrated"})
RESERVED_KEYS = frozenset({"public"})
_EFFECT_TYPES: tuple[type[Any], ...] = typing.get_args(Effect)


@dataclass(frozen=True, slots=True)
class LoadedScenario:
    """A validated scenario and where it came from."""

    scenario: Scenario
    plugin: str
    """``name = module:object`` of the entry point."""
    distribution: str


@dataclass(slots=True)
class ScenarioRegistry:
    """The enabled scenarios of one app, by key (``app.state.scenarios``)."""

    loaded: list[LoadedScenario] = field(default_factory=list)

    @property
    def scenarios(self) -> list[Scenario]:
        return [item.scenario for item in self.loaded]

    def get(self, key: str) -> Scenario | None:
        return next((s for s in self.scenarios if s.key == key), None)

    def rules(self) -> list[GradingRule]:
        return [s.rule() for s in self.scenarios]

    def migration_sources(self) -> list[MigrationSource]:
        return [MigrationSource(s.key, s.migrations) for s in self.scenarios
                if s.migrations is not None]

    def route_handlers(self) -> list[Any]:
        return [handler for s in self.scenarios for handler in s.route_handlers]

    def loaders(self) -> list[FileLoader]:
        return [s.loader for s in self.scenarios if s.loader is not None]


def discover(group: str = GROUP) -> list[importlib.metadata.EntryPoint]:
    """Every installed scenario entry point, sorted by key."""
    importlib.invalidate_caches()
    return sorted(importlib.metadata.entry_points(group=group), key=lambda ep: ep.name)


def _describe(ep: importlib.metadata.EntryPoint) -> tuple[str, str]:
    dist = ep.dist.name if ep.dist is not None else "?"
    return f"{ep.name} = {ep.value}", dist


def load_scenarios(
    enabled: Sequence[str] | None = None,
    entry_points: Iterable[importlib.metadata.EntryPoint] | None = None,
) -> ScenarioRegistry:
    """Import and validate the enabled scenarios; raise ``ScenarioError`` on the first bad one."""
    found = list(discover() if entry_points is None else entry_points)
    by_key: dict[str, list[importlib.metadata.EntryPoint]] = {}
    for ep in found:
        by_key.setdefault(ep.name, []).append(ep)
    if enabled is not None:
        unknown = [key for key in enabled if key not in by_key]
        if unknown:
            raise ScenarioError("XINYI_SCENARIOS", [
                f"unknown scenario key {key!r} (installed: {', '.join(sorted(by_key)) or 'none'})"
                for key in unknown
            ])
    wanted = sorted(by_key) if enabled is None else sorted(set(enabled))
    registry = ScenarioRegistry()
    for key in wanted:
        eps = by_key[key]
        if len(eps) > 1:
            sources = [f"{_describe(ep)[1]} ({ep.value})" for ep in eps]
            raise ScenarioError(key, [f"duplicate scenario key {key!r}, declared by "
                                      f"{' and '.join(sources)}"])
        registry.loaded.append(load_entry_point(eps[0]))
    return registry


def load_entry_point(ep: importlib.metadata.EntryPoint) -> LoadedScenario:
    """Import one entry point and validate the scenario it names."""
    plugin, dist = _describe(ep)
    try:
        obj = ep.load()
    except Exception as exc:
        raise ScenarioError(plugin, [f"cannot be imported: {type(exc).__name__}: {exc}"]) from exc
    if not isinstance(obj, Scenario) and callable(obj):
        obj = obj()
    if not isinstance(obj, Scenario):
        raise ScenarioError(plugin, [f"must name a Scenario, got {type(obj).__name__}"])
    problems = scenario_problems(obj)
    if obj.key != ep.name:
        problems.insert(0, f"entry-point name {ep.name!r} differs from scenario key {obj.key!r}")
    if problems:
        raise ScenarioError(plugin, problems)
    return LoadedScenario(scenario=obj, plugin=plugin, distribution=dist)


def scenario_problems(scenario: Scenario) -> list[str]:
    """Everything wrong with a scenario (empty when it may be loaded)."""
    problems: list[str] = []
    if not KEY.match(scenario.key) or scenario.key in RESERVED_KEYS:
        problems.append(f"key {scenario.key!r} must match [a-z][a-z0-9_]{{1,40}} and not be "
                        "'public'")
    for name in ("name_zh", "name_en", "department", "rule_version"):
        if not str(getattr(scenario, name)).strip():
            problems.append(f"{name} must not be empty")
    if not KEY.match(scenario.department):
        problems.append(f"department {scenario.department!r} is not a department code")
    if not scenario.subject_types or not set(scenario.subject_types) <= SUBJECT_TYPES:
        problems.append(f"subject_types must be some of {sorted(SUBJECT_TYPES)}, "
                        f"got {list(scenario.subject_types)}")
    if not scenario.industries or not all(KEY.match(i) for i in scenario.industries):
        problems.append(f"industries must be codes like 'beef_soup', got "
                        f"{list(scenario.industries)}")
    problems.extend(_rule_problems(scenario))
    problems.extend(_indicator_problems(scenario.indicators))
    keys = [m.key for m in scenario.measures]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        problems.append(f"measure keys repeat: {duplicates}")
    for measure in scenario.measures:
        problems.extend(f"measure {measure.key!r}: {p}" for p in measure_problems(measure))
    dimension_keys = [d.key for d in scenario.dimensions]
    if len(set(dimension_keys)) != len(dimension_keys):
        problems.append(f"rating dimension keys repeat: {dimension_keys}")
    if scenario.migrations is not None and not scenario.migrations.is_dir():
        problems.append(f"migrations directory {scenario.migrations} does not exist")
    return problems


def _rule_problems(scenario: Scenario) -> list[str]:
    try:
        scenario.rule()
    except (ValueError, TypeError) as exc:
        return [str(exc)]
    return []


def _indicator_problems(indicators: Sequence[Indicator]) -> list[str]:
    problems: list[str] = []
    for ind in indicators:
        if not isinstance(ind, Indicator):
            problems.append(f"indicator {ind!r} is not an Indicator")
            continue
        if not ind.description.strip():
            problems.append(f"indicator {ind.key!r} has no description (write a docstring)")
        if not (ind.name_zh.strip() and ind.name_en.strip()):
            problems.append(f"indicator {ind.key!r} needs Chinese and English names")
    if not indicators:
        problems.append("a scenario needs at least one indicator")
    return problems


def measure_problems(measure: Measure) -> list[str]:
    """Why one measure cannot be used: basis, grades, effect shape and national limits."""
    problems: list[str] = []
    if measure.basis is None or not measure.basis.document.strip():
        problems.append("has no basis (依据): name the policy document and article")
    elif not measure.basis.article.strip():
        problems.append(f"basis {measure.basis.document!r} names no article")
    if not measure.grades or not set(measure.grades) <= MEASURE_GRADES:
        problems.append(f"grades must be some of A, B, C, D, unrated, got {list(measure.grades)}")
    if measure.kind not in ("incentive", "constraint"):
        problems.append(f"kind must be incentive or constraint, got {measure.kind!r}")
    if measure.target not in ("business", "person"):
        problems.append(f"target must be business or person, got {measure.target!r}")
    if not measure.title_zh.strip():
        problems.append("title_zh must not be empty")
    if not isinstance(measure.effect, _EFFECT_TYPES):
        problems.append(f"effect {measure.effect!r} is not one of the effect types")
        return problems
    data = msgspec.to_builtins(measure.effect)
    effect_type = data.pop("type")
    problems.extend(effect_problems(measure.kind, measure.target, tuple(measure.grades),
                                    effect_type, data))
    return problems


async def upgrade_scenario_grades(app: Litestar) -> None:
    """Grade every subject whose scenario grade is missing or under an older rule version.

    Runs at start-up (after migrations) for each enabled scenario: enabling a scenario grades
    its subjects, bumping ``rule_version`` regrades them, and ``grade_history`` keeps the old
    version's grades. One process does it per scenario (advisory lock); others go on starting.
    """
    registry: ScenarioRegistry = app.state.scenarios
    today = app.state.clock.today()
    async with app.state.db.write.acquire() as conn:
        for s in registry.scenarios:
            report = await run_scheme_upgrade(
                conn, app.state.grader, s.key, today,
                subject_types=s.subject_types, industries=s.industries,
            )
            if report is not None and report.processed:
                log.info("scenario %s@%s: graded %d subject(s)", s.key, s.rule_version,
                         report.processed)


@asynccontextmanager
async def scenario_lifespan(app: Litestar) -> AsyncIterator[None]:
    """Lifespan step after the database one: bring scenario grades to the current rules."""
    await upgrade_scenario_grades(app)
    yield
