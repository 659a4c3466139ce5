"""Dependencies of the scenario endpoints: the registry, the scenario of the URL, ``ctx``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import PathParameter, SkipValidation

from xinyi_api import audit
from xinyi_api.errors import NotFound
from xinyi_api.scenarios.context import Context
from xinyi_api.scenarios.model import PersonCredit, Scenario
from xinyi_api.scenarios.registry import ScenarioRegistry
from xinyi_api.state import platform_of

__all__ = ["SCENARIO_KEY", "ContextDep", "PersonCreditDep", "ScenarioDep", "ScenariosDep",
           "context_provider", "fixed_scenario", "scenario_from_path", "scenarios_of"]

SCENARIO_KEY = PathParameter(pattern=r"^[a-z][a-z0-9_]{1,40}$", description="scenario key")

ScenariosDep = NamedDependency[ScenarioRegistry]
"""The enabled scenarios (``scenarios``)."""
ScenarioDep = NamedDependency[Scenario]
"""The scenario named by the URL (``scenario``); 404 ``unknown-scenario`` if not enabled."""
# A protocol cannot be validated as a value: the dependency skips Litestar's check of it.
PersonCreditDep = NamedDependency[SkipValidation[PersonCredit]]
"""Personal credit as the scenario seam sees it (``persons``, ``xinyi_api.scenarios.model``)."""
ContextDep = NamedDependency[Context]
"""What a scenario's own endpoint works with (``ctx``, see ``xinyi_api.scenarios.context``)."""


def scenarios_of(state: State) -> ScenarioRegistry:
    return platform_of(state).scenarios


async def scenario_from_path(key: Annotated[str, SCENARIO_KEY], state: State) -> Scenario:
    scenario = scenarios_of(state).get(key)
    if scenario is None:
        raise NotFound(f"no enabled scenario {key!r}", slug="unknown-scenario")
    return scenario


def fixed_scenario(scenario: Scenario) -> Provide:
    """``scenario`` for the routes mounted under one scenario's own path."""

    async def provide() -> Scenario:
        return scenario

    return Provide(provide)


def context_provider(scenario: Scenario) -> Provide:
    """``ctx`` for one scenario's own routes."""

    def provide(request: Request[Any, Any, Any], state: State) -> Context:
        platform = platform_of(state)
        return Context(scenario=scenario, principal=request.user,
                       endpoint=audit.endpoint_of(request), db=platform.db,
                       grader=platform.grader, clock=platform.clock, persons=platform.persons,
                       config=platform.scenario_settings.get(scenario.key))

    factory: Callable[..., Context | Awaitable[Context]] = provide
    return Provide(factory, sync_to_thread=False)
