"""The enabled scenarios of a process, built once and shared by the app, the CLI, the demo and
the tests (``registry_for``).

Loading a plugin imports its package and validates it with the domain's rules; doing that for
every app, CLI command and grader (three times per process, before) was wasted work and let two
parts of one process disagree. ``registry_for(enabled)`` loads once per set of enabled keys and
installed plugins.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from xinyi_api.db.migrate import MigrationSource
from xinyi_api.grading.engine import GradingRule
from xinyi_api.grading.service import FileLoader
from xinyi_api.scenarios.loader import LoadedScenario, discover, load_scenarios
from xinyi_api.scenarios.model import Scenario

__all__ = ["ScenarioRegistry", "registry_for"]


@dataclass(slots=True)
class ScenarioRegistry:
    """The enabled scenarios, by key."""

    loaded: list[LoadedScenario] = field(default_factory=list)

    @property
    def scenarios(self) -> list[Scenario]:
        return [item.scenario for item in self.loaded]

    @property
    def keys(self) -> list[str]:
        return [item.scenario.key for item in self.loaded]

    def get(self, key: str) -> Scenario | None:
        return next((s for s in self.scenarios if s.key == key), None)

    def rules(self) -> list[GradingRule]:
        return [s.rule() for s in self.scenarios]

    def migration_sources(self) -> list[MigrationSource]:
        return [MigrationSource(s.key, s.migrations) for s in self.scenarios
                if s.migrations is not None]

    def loaders(self) -> list[FileLoader]:
        return [s.loader for s in self.scenarios if s.loader is not None]

    def route_handlers(self) -> list[Any]:
        return [handler for s in self.scenarios for handler in s.route_handlers]


def _installed() -> tuple[tuple[str, str, str], ...]:
    return tuple((ep.name, ep.value, ep.dist.name if ep.dist is not None else "?")
                 for ep in discover())


def registry_for(enabled: Sequence[str] | None = None) -> ScenarioRegistry:
    """The registry of the enabled scenarios (all installed ones when ``enabled`` is ``None``),
    loaded once per process for each set of enabled keys and installed plugins. Raises
    ``ScenarioError`` naming every problem of every plugin."""
    return _load(None if enabled is None else tuple(sorted(set(enabled))), _installed())


@functools.lru_cache(maxsize=32)
def _load(enabled: tuple[str, ...] | None,
          installed: tuple[tuple[str, str, str], ...]) -> ScenarioRegistry:
    del installed  # part of the cache key: a plugin installed later is a new registry
    return ScenarioRegistry(loaded=load_scenarios(enabled))
