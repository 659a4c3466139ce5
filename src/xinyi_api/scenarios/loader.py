"""Finding, enabling and validating scenario plugins (场景插件加载与校验).

Every scenario — built-in or third-party — is an entry point in the group ``xinyi_api.scenarios``
whose name is the scenario key and whose object is a ``Scenario`` (or a no-argument callable
returning one). The built-ins in ``scenarios/`` are registered in this project's
``pyproject.toml``; a department's package registers its own the same way.

``inspect_plugins(enabled)`` imports the enabled plugins (all of them when ``enabled`` is
``None``, i.e. ``XINYI_SCENARIOS`` unset) and validates each: unique key, a well-formed grading
rule with monotone thresholds, documented indicators, measures that each have a real basis (not
the skeleton's ``待填写`` placeholder) and a well-formed effect no stricter than the national list
(``catalog``), own routes clear of the generic endpoints, well-named migrations and a settings
struct. It collects every problem of
every plugin; ``load_scenarios`` raises them all as one ``ScenarioError``, so the app refuses to
start and says everything that is wrong at once.
"""

from __future__ import annotations

import importlib.metadata
import logging
import re
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

from xinyi_api.grading.engine import GRADES, Indicator
from xinyi_api.industries import Industry, IndustryRegistry
from xinyi_api.scenarios.catalog import effect_problems
from xinyi_api.scenarios.model import Effect, Measure, Scenario, ScenarioError

log = logging.getLogger(__name__)

GROUP = "xinyi_api.scenarios"
"""The entry-point group scenario plugins register in."""

KEY = re.compile(r"^[a-z][a-z0-9_]{1,40}$")
BASIS_PLACEHOLDER = "待填写"
"""The text ``xinyi-api scenarios new`` puts in every ``Basis`` of its skeleton
(``<待填写 fill in: …>``): a basis still holding it is refused until the author names the real
policy document and article."""
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


def discover(group: str = GROUP) -> list[importlib.metadata.EntryPoint]:
    """Every installed scenario entry point, sorted by key."""
    importlib.invalidate_caches()
    return sorted(importlib.metadata.entry_points(group=group), key=lambda ep: ep.name)


def _describe(ep: importlib.metadata.EntryPoint) -> tuple[str, str]:
    dist = ep.dist.name if ep.dist is not None else "?"
    return f"{ep.name} = {ep.value}", dist


@dataclass(slots=True)
class Inspection:
    """Every enabled plugin, loaded or not, with every problem of each (``inspect_plugins``)."""

    loaded: list[LoadedScenario] = field(default_factory=list)
    problems: dict[str, list[str]] = field(default_factory=dict)
    """``plugin → problems``; a plugin is ``key = module:object`` (or ``XINYI_SCENARIOS``)."""

    @property
    def ok(self) -> bool:
        return not self.problems

    def raise_for_problems(self) -> None:
        if self.problems:
            raise ScenarioError.from_problems(self.problems)


def inspect_plugins(
    enabled: Sequence[str] | None = None,
    entry_points: Iterable[importlib.metadata.EntryPoint] | None = None,
    *,
    known_industries: Iterable[Industry] = (),
) -> Inspection:
    """Import and validate the enabled scenarios, collecting every problem of every one (for
    ``xinyi-api scenarios check``); nothing is raised. ``known_industries``: industries other
    scenarios declare (a package checked on its own may cover one of them)."""
    found = list(discover() if entry_points is None else entry_points)
    by_key: dict[str, list[importlib.metadata.EntryPoint]] = {}
    for ep in found:
        by_key.setdefault(ep.name, []).append(ep)
    report = Inspection()
    if enabled is not None:
        unknown = [key for key in enabled if key not in by_key]
        if unknown:
            report.problems["XINYI_SCENARIOS"] = [
                f"unknown scenario key {key!r} (installed: {', '.join(sorted(by_key)) or 'none'})"
                for key in unknown]
    wanted = sorted(by_key) if enabled is None else sorted(set(enabled) & set(by_key))
    for key in wanted:
        eps = by_key[key]
        if len(eps) > 1:
            sources = [f"{_describe(ep)[1]} ({ep.value})" for ep in eps]
            report.problems[key] = [f"duplicate scenario key {key!r}, declared by "
                                    f"{' and '.join(sources)}"]
            continue
        try:
            report.loaded.append(load_entry_point(eps[0]))
        except ScenarioError as exc:
            report.problems[exc.plugin] = list(exc.problems)
    _check_industries(report, known_industries)
    return report


def _check_industries(report: Inspection, also_known: Iterable[Industry] = ()) -> None:
    """Every covered industry must be in the registry (the core's and the scenarios' own)."""
    declared = [i for item in report.loaded for i in item.scenario.new_industries]
    known = IndustryRegistry([*declared, *also_known])
    for item in report.loaded:
        unknown = [i for i in item.scenario.industries if i not in known]
        if unknown:
            report.problems.setdefault(item.plugin, []).append(
                f"industries {unknown} are not in the industry registry: use a key of "
                "GET /api/v1/industries or declare it in new_industries")
    bad = {item.plugin for item in report.loaded} & set(report.problems)
    report.loaded = [item for item in report.loaded if item.plugin not in bad]


def load_scenarios(
    enabled: Sequence[str] | None = None,
    entry_points: Iterable[importlib.metadata.EntryPoint] | None = None,
) -> list[LoadedScenario]:
    """Import and validate the enabled scenarios; raise one ``ScenarioError`` naming every
    problem of every plugin when any is wrong."""
    report = inspect_plugins(enabled, entry_points)
    report.raise_for_problems()
    return report.loaded


def load_entry_point(ep: importlib.metadata.EntryPoint,
                     distribution: str | None = None) -> LoadedScenario:
    """Import one entry point and validate the scenario it names. Whatever goes wrong — an
    import error, a factory that raises, a declaration so malformed that checking it fails — is
    a ``ScenarioError`` naming the plugin, never a traceback."""
    plugin, dist = _describe(ep)
    dist = distribution or dist
    try:
        obj = ep.load()
    except Exception as exc:
        raise ScenarioError(plugin, [f"cannot be imported: {type(exc).__name__}: {exc}"]) from exc
    if not isinstance(obj, Scenario) and callable(obj):
        try:
            obj = obj()
        except Exception as exc:
            raise ScenarioError(plugin, [f"{ep.value}() failed: {type(exc).__name__}: {exc}"]) \
                from exc
    if not isinstance(obj, Scenario):
        raise ScenarioError(plugin, [f"must name a Scenario, got {type(obj).__name__}"])
    try:
        problems = scenario_problems(obj)
    except Exception as exc:
        raise ScenarioError(plugin, [f"cannot be checked, a declaration is malformed: "
                                     f"{type(exc).__name__}: {exc}"]) from exc
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
    for new in scenario.new_industries:
        if not isinstance(new, Industry) or not KEY.match(new.key) or not (
                new.name_zh.strip() and new.name_en.strip()):
            problems.append(f"new industry {new!r} needs a key like 'beef_soup' and Chinese and "
                            "English names")
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
    problems.extend(own_route_problems(scenario))
    problems.extend(_migration_problems(scenario))
    problems.extend(_settings_problems(scenario))
    return problems


def _migration_problems(scenario: Scenario) -> list[str]:
    """The migrations directory exists and its files are named as the runner wants them."""
    from xinyi_api.db.migrate import MigrationError, MigrationSource

    if scenario.migrations is None:
        return []
    if not scenario.migrations.is_dir():
        return [f"migrations directory {scenario.migrations} does not exist"]
    try:
        MigrationSource(scenario.key, scenario.migrations).migrations()
    except MigrationError as exc:
        return [f"migrations: {exc}"]
    return []


def _settings_problems(scenario: Scenario) -> list[str]:
    """``settings`` is a msgspec struct (read from ``XINYI_SCENARIO_<KEY>_<FIELD>``)."""
    spec = scenario.settings
    if spec is None:
        return []
    if not (isinstance(spec, type) and issubclass(spec, msgspec.Struct)):
        return [f"settings must be a msgspec.Struct class, got {spec!r}"]
    return []


GENERIC_SEGMENTS = frozenset({"participants", "redemptions", "person-reports"})
"""First path segments (below ``/api/v1/scenarios/<key>``) of the endpoints every scenario has."""


def _own_paths(handlers: Sequence[Any]) -> list[str]:
    """Paths of a scenario's own route handlers (controllers, handlers, routers), relative to
    its mount point."""
    from litestar import Controller, Router
    from litestar.handlers import BaseRouteHandler

    paths: list[str] = []
    for handler in handlers:
        if isinstance(handler, Router):
            paths += ["/" + route.path.strip("/") for route in handler.routes]
            continue
        if isinstance(handler, type) and issubclass(handler, Controller):
            base = "/" + str(getattr(handler, "path", "") or "").strip("/")
            for member in vars(handler).values():
                if isinstance(member, BaseRouteHandler):
                    paths += [(base.rstrip("/") + "/" + p.strip("/")).rstrip("/") or "/"
                              for p in member.paths]
        elif isinstance(handler, BaseRouteHandler):
            paths += ["/" + p.strip("/") for p in handler.paths]
    return paths


def own_route_problems(scenario: Scenario) -> list[str]:
    """A scenario's own routes may not take the generic endpoints' paths (docs/plugins.md)."""
    problems: list[str] = []
    for path in _own_paths(scenario.route_handlers):
        first = path.strip("/").split("/")[0]
        if path == "/" or first in GENERIC_SEGMENTS or first.startswith("{"):
            problems.append(
                f"own route {path!r} collides with the generic scenario endpoints (mounted under "
                f"/api/v1/scenarios/{scenario.key}); use a path below a name of your own, "
                "e.g. '/agreements/…'")
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
    basis = measure.basis
    if basis is None or not basis.document.strip():
        problems.append("has no basis (依据): name the policy document and article")
    elif any(BASIS_PLACEHOLDER in text for text in (basis.document, basis.article, basis.quote)):
        problems.append("basis is still the template's placeholder (待填写): name the policy "
                        "document (with its number) and the article that grant the measure")
    elif not basis.article.strip():
        problems.append(f"basis {basis.document!r} names no article")
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
