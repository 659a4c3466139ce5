"""HTTP endpoints: the enabled scenarios, their grade → measures tables, and a subject's
scenario grades and applicable measures. All public (they show what the programme does and
why), like the public grade."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import PathParameter

from xinyi_api.deps import DB, ClockDep, GraderDep
from xinyi_api.errors import NotFound
from xinyi_api.scenarios import schemas, service
from xinyi_api.scenarios.loader import ScenarioRegistry

SCENARIO_KEY = PathParameter(pattern=r"^[a-z][a-z0-9_]{1,40}$", description="scenario key")
SUBJECT_ID = PathParameter(pattern=r"^[ES][0-9]{8}$", description="enterprise or store id")
TAG = "scenarios 信用+场景"


def _scenarios(state: State) -> ScenarioRegistry:
    return state.scenarios  # type: ignore[no-any-return]


SCENARIO_DEPENDENCIES = {"scenarios": Provide(_scenarios, sync_to_thread=False)}
ScenariosDep = NamedDependency[ScenarioRegistry]


class ScenarioController(Controller):
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

    @get(
        "/{key:str}",
        summary="A scenario: indicators, thresholds and the grade → measures table",
        description="For each grade (A, B, C, D, 暂无评级) its minimum score and its measures: "
        "守信激励 incentives and 失信约束 constraints, each with its target (business or "
        "person), a machine-readable effect and its basis (policy document and article).",
        raises=[NotFound],
    )
    async def read_scenario(
        self, key: Annotated[str, SCENARIO_KEY], scenarios: ScenariosDep
    ) -> schemas.ScenarioDetail:
        item = next((i for i in scenarios.loaded if i.scenario.key == key), None)
        if item is None:
            raise NotFound(f"no enabled scenario {key!r}", slug="unknown-scenario")
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
        "incentives and constraints tied to it, with their bases. Person-targeted measures "
        "(信易游, 先医后付 lines) depend on a person's grade and are not listed here.",
        raises=[NotFound],
    )
    async def subject_measures(
        self, subject_id: Annotated[str, SUBJECT_ID], db: DB, grader: GraderDep,
        clock: ClockDep, scenarios: ScenariosDep,
    ) -> list[schemas.SubjectMeasures]:
        async with db.read.acquire() as conn:
            return await service.applicable_measures(conn, scenarios, grader, subject_id,
                                                     clock.today())


CONTROLLERS = [ScenarioController, SubjectScenarioController]
