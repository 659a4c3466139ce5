"""``Platform``: what one process builds once from its settings, typed — the app's state.

The app, the CLI, the demo loader and the tests all start from ``build_platform(settings)``:
the enabled scenarios (loaded once per process), the industry registry, the grader with every
package's grade loaders, personal credit with every person sync, each scenario's configuration
and the migration sources. The app adds what exists only while it runs — the database pools
and the signing keys (``open``) — and keeps the platform as its state (``AppState``), so
handlers and dependencies read typed attributes instead of an untyped ``app.state``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from litestar.datastructures import State

from xinyi_api.clock import Clock
from xinyi_api.db.migrate import MigrationSource, core_source
from xinyi_api.grading.public_rule import PUBLIC_RULE
from xinyi_api.grading.service import Grader
from xinyi_api.industries import IndustryRegistry
from xinyi_api.persons.service import PersonalCredit
from xinyi_api.plugins import collect
from xinyi_api.scenarios.config import scenario_settings
from xinyi_api.scenarios.registry import ScenarioRegistry, registry_for
from xinyi_api.settings import Settings

if TYPE_CHECKING:
    from litestar import Litestar

    from xinyi_api.codes.runtime import CodesRuntime
    from xinyi_api.db.pool import Database
    from xinyi_api.grading.schemas import SchemeGradeReader
    from xinyi_api.keys import KeyStore, KeyWatcher

__all__ = ["AppState", "Platform", "app_state", "build_platform"]


@dataclass(slots=True)
class Platform:
    """One process's configuration and services (see the module docstring)."""

    settings: Settings
    clock: Clock
    scenarios: ScenarioRegistry
    industries: IndustryRegistry
    grader: Grader
    persons: PersonalCredit
    scenario_settings: dict[str, Any]
    """``key →`` the scenario's settings struct (``Scenario.settings``), read from the
    environment."""
    migration_sources: list[MigrationSource]
    scheme_grades: SchemeGradeReader | None = None
    codes: CodesRuntime | None = None
    db_: Database | None = None
    key_store_: KeyStore | None = None
    key_watcher: KeyWatcher | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    """Room for a third-party extension's own per-process objects (by its own key)."""

    @property
    def db(self) -> Database:
        """The database pools (``write`` primary, ``read`` replica); open while the app runs."""
        if self.db_ is None:
            raise RuntimeError("the database is not open: the app has not started")
        return self.db_

    @property
    def key_store(self) -> KeyStore:
        if self.key_store_ is None:
            raise RuntimeError("the signing keys are not loaded: the app has not started")
        return self.key_store_


def build_platform(settings: Settings, clock: Clock | None = None) -> Platform:
    """Everything one process needs from ``settings``; raises ``ScenarioError`` (every problem
    of every scenario plugin) or ``SettingsError`` (a scenario setting, naming it)."""
    scenarios = registry_for(settings.scenarios)
    grader = Grader([PUBLIC_RULE, *scenarios.rules()],
                    loaders=collect("grade_loaders", scenarios=scenarios))
    persons = PersonalCredit(scenarios.scenarios, settings,
                             syncs=collect("person_syncs", scenarios=scenarios))
    industries = IndustryRegistry(i for s in scenarios.scenarios for i in s.new_industries)
    return Platform(
        settings=settings, clock=clock or Clock(settings.tz), scenarios=scenarios,
        industries=industries, grader=grader, persons=persons,
        scenario_settings=scenario_settings(scenarios.scenarios),
        migration_sources=[core_source(),
                           *collect("migration_sources", scenarios=scenarios)])


def with_database_url(platform: Platform, url: str) -> None:
    """Point the platform at the embedded server once it has started."""
    platform.settings = replace(platform.settings, database_url=url)


class AppState(State):
    """The app's state: its ``Platform``, with the familiar names read through it, typed."""

    @property
    def platform(self) -> Platform:
        platform = self["platform"]
        assert isinstance(platform, Platform)
        return platform

    @property
    def settings(self) -> Settings:
        return self.platform.settings

    @property
    def clock(self) -> Clock:
        return self.platform.clock

    @property
    def scenarios(self) -> ScenarioRegistry:
        return self.platform.scenarios

    @property
    def grader(self) -> Grader:
        return self.platform.grader

    @property
    def persons(self) -> PersonalCredit:
        return self.platform.persons

    @property
    def db(self) -> Database:
        return self.platform.db

    @property
    def key_store(self) -> KeyStore:
        return self.platform.key_store

    @property
    def key_watcher(self) -> KeyWatcher | None:
        return self.platform.key_watcher

    @property
    def codes(self) -> CodesRuntime:
        codes = self.platform.codes
        assert codes is not None
        return codes

    @property
    def migration_sources(self) -> Sequence[MigrationSource]:
        return self.platform.migration_sources


def app_state(app: Litestar) -> AppState:
    """The typed state of an app made by ``create_app``."""
    state = app.state
    assert isinstance(state, AppState)
    return state
