"""HTTP endpoints: the enabled scenarios, their grade → measures tables, and a subject's
scenario grades and applicable measures. All public (they show what the programme does and
why), like the public grade.

``scenario_routers`` mounts the generic per-scenario endpoints (this module's
``ScenarioController`` and ``partners.PartnerController``) under ``/api/v1/scenarios/{key}``
*and* once under each enabled key's static path, and a scenario's own ``route_handlers`` under
``/api/v1/scenarios/<key>`` with ``ctx``. Litestar's router prefers a static path segment and
never falls back to ``{key}``, so without the per-key mount a scenario with its own routes made
every generic endpoint of its key answer 404.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Router, get
from litestar.di import Provide
from litestar.params import PathParameter

from xinyi_api.auth.tokens import Principal
from xinyi_api.deps import DB, ClockDep, GraderDep
from xinyi_api.errors import NotFound
from xinyi_api.scenarios import schemas, service
from xinyi_api.scenarios.deps import (
    ScenarioDep,
    ScenariosDep,
    context_provider,
    fixed_scenario,
    scenario_from_path,
    scenarios_of,
)
from xinyi_api.scenarios.partners import PartnerController
from xinyi_api.scenarios.registry import ScenarioRegistry

SUBJECT_ID = PathParameter(pattern=r"^[ES][0-9]{8}$", description="enterprise or store id")
TAG = "scenarios 信用+场景"
SCENARIO_DEPENDENCIES = {"scenarios": Provide(scenarios_of, sync_to_thread=False)}
GENERIC_PATHS = ("/", "/participants", "/participants/{subject_id}", "/redemptions",
                 "/person-reports")
"""Paths (below ``/api/v1/scenarios/<key>``) of the endpoints every scenario has; a scenario's
own routes may not use them or their first segments."""


class ScenarioListController(Controller):
    path = "/api/v1/scenarios"
    tags = (TAG,)
    dependencies = SCENARIO_DEPENDENCIES

    @get(
        "/",
        summary="The enabled 信用+ scenarios",
        description="Every scenario this deployment runs (built-in or installed as a plugin), "
        "with the subjects it covers and its current rule version.",
    )
    async def list_scenarios(self, scenarios: ScenariosDep) -> list[schemas.ScenarioSummary]:
        return [schemas.summary(item.scenario, item.distribution) for item in scenarios.loaded]


class ScenarioController(Controller):
    """``GET /api/v1/scenarios/{key}``, mounted by ``scenario_routers``."""

    path = "/"
    tags = (TAG,)

    @get(
        "/",
        summary="A scenario: indicators, thresholds and the grade → measures table",
        description="For each grade (A, B, C, D, 暂无评级) its minimum score and its measures: "
        "守信激励 incentives and 失信约束 constraints, each with its target (business or "
        "person), a machine-readable effect and its basis (policy document and article).",
        raises=[NotFound],
    )
    async def read_scenario(
        self, scenario: ScenarioDep, scenarios: ScenariosDep
    ) -> schemas.ScenarioDetail:
        item = next(i for i in scenarios.loaded if i.scenario.key == scenario.key)
        return service.scenario_detail(item.scenario, item.distribution)


class SubjectScenarioController(Controller):
    path = "/api/v1/subjects/{subject_id:str}"
    tags = (TAG,)
    dependencies = SCENARIO_DEPENDENCIES

    @get(
        "/scenarios",
        summary="A subject's grades under the scenarios covering it",
        description="Besides the public grade, each enabled scenario covering the subject "
        "(by subject type and industry) grades it with its own indicators; every grade comes "
        "with the explanation of every indicator and its rule version.",
        raises=[NotFound],
    )
    async def subject_scenarios(
        self, subject_id: Annotated[str, SUBJECT_ID], db: DB, grader: GraderDep,
        clock: ClockDep, scenarios: ScenariosDep,
    ) -> list[schemas.SubjectScenarioGrade]:
        async with db.read.acquire() as conn:
            return await service.scenario_grades(conn, scenarios, grader, subject_id,
                                                 clock.today())

    @get(
        "/measures",
        summary="The measures that apply to a subject now",
        description="Per covering scenario: the subject's grade and the business-targeted "
        "incentives and constraints tied to it, with their bases — those the caller may see: "
        "a department (or operator) every one, the merchant who claimed the business its own "
        "public and business ones, anyone else the public ones (incentives, and the "
        "constraints a scenario declares public; docs/plugins.md, \"Who sees a measure\"). "
        "Person-targeted measures (信易游, 先医后付 lines) depend on a person's grade and are not "
        "listed here.",
        raises=[NotFound],
    )
    async def subject_measures(
        self, request: Request[Principal, Any, Any], subject_id: Annotated[str, SUBJECT_ID],
        db: DB, grader: GraderDep, clock: ClockDep, scenarios: ScenariosDep,
    ) -> list[schemas.SubjectMeasures]:
        async with db.read.acquire() as conn:
            viewer = await service.viewer_of(conn, request.user, subject_id)
            return await service.applicable_measures(conn, scenarios, grader, subject_id,
                                                     clock.today(), viewer)


def scenario_routers(registry: ScenarioRegistry) -> list[Router]:
    """The generic endpoints for ``{key}`` and for each enabled key, and every scenario's own
    routes under its key with ``ctx`` (see the module docstring)."""
    generic = [ScenarioController, PartnerController]
    routers = [Router("/api/v1/scenarios/{key:str}", route_handlers=generic,
                      dependencies={"scenario": Provide(scenario_from_path),
                                    **SCENARIO_DEPENDENCIES})]
    for scenario in registry.scenarios:
        path = f"/api/v1/scenarios/{scenario.key}"
        routers.append(Router(path, route_handlers=generic, include_in_schema=False,
                              opt={"scenario_alias": True},
                              dependencies={"scenario": fixed_scenario(scenario),
                                            **SCENARIO_DEPENDENCIES}))
        if scenario.route_handlers:
            routers.append(Router(path, route_handlers=list(scenario.route_handlers),
                                  tags=[TAG], dependencies={
                                      "scenario": fixed_scenario(scenario),
                                      "ctx": context_provider(scenario),
                                      **SCENARIO_DEPENDENCIES}))
    return routers


CONTROLLERS = [ScenarioListController, SubjectScenarioController]
