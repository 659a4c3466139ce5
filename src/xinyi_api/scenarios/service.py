"""Reading scenario grades and the measures that follow from them.

Grades are read as stored (they are kept live by every write and by the start-up upgrade);
a covered subject with no stored grade under the current rule version is graded on the fly,
without storing, so an answer is never stale.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

import asyncpg

from xinyi_api.codes import schemas as codes_schemas
from xinyi_api.codes.hooks import ProfileDraft
from xinyi_api.db.queries import Queries
from xinyi_api.errors import NotFound, Unprocessable
from xinyi_api.grading.engine import GRADE_LABELS, GRADES, CreditFile
from xinyi_api.grading.schemas import grade_view, result_view
from xinyi_api.grading.service import Grader
from xinyi_api.scenarios import schemas
from xinyi_api.scenarios.model import Badge, Scenario
from xinyi_api.scenarios.registry import ScenarioRegistry

q = Queries.beside(__file__)


def scenario_detail(s: Scenario, distribution: str) -> schemas.ScenarioDetail:
    """The scenario with its grade → measures table (分级措施表) and indicators."""
    minimums: dict[str, int] = dict(s.thresholds)
    grades = [
        schemas.GradeMeasures(
            grade=g, grade_label=GRADE_LABELS[g], min_score=minimums.get(g),
            measures=[schemas.measure_view(m) for m in s.measures_for(g)],
        )
        for g in (*GRADES, "unrated")
    ]
    base = schemas.summary(s, distribution)
    return schemas.ScenarioDetail(
        **{f: getattr(base, f) for f in base.__struct_fields__},
        base_score=s.base_score,
        thresholds=minimums,
        indicators=[schemas.IndicatorInfo(key=i.key, name_zh=i.name_zh, name_en=i.name_en,
                                          description=i.description) for i in s.indicators],
        dimensions=list(s.dimensions),
        grades=grades,
    )


def _probe(row: asyncpg.Record) -> CreditFile:
    """An empty credit file with the subject's coverage facts (type, industry, region)."""
    return CreditFile(subject_id=row["id"], subject_type=row["type"], industry=row["industry"],
                      region_code=row["region_code"], closed=row["closed"])


async def _subject(conn: asyncpg.Connection, subject_id: str) -> asyncpg.Record:
    row = await conn.fetchrow(q.subject_coverage, subject_id)
    if row is None:
        raise NotFound(f"no subject {subject_id}")
    return row


async def covering(conn: asyncpg.Connection, registry: ScenarioRegistry,
                   subject_id: str) -> list[Scenario]:
    """The enabled scenarios covering the subject; ``NotFound`` if there is no such subject."""
    probe = _probe(await _subject(conn, subject_id))
    return [s for s in registry.scenarios if s.covers(probe)]


async def covered_subject(conn: asyncpg.Connection, scenario: Scenario,
                          subject_id: str) -> asyncpg.Record:
    """The open subject ``scenario`` covers (id, name, type, industry, region_code): 404 for no
    such subject, 422 ``not-covered`` or ``subject-closed`` otherwise."""
    row = await _subject(conn, subject_id)
    if not scenario.covers(_probe(row)):
        raise Unprocessable(f"{subject_id} ({row['industry']}) is not covered by "
                            f"{scenario.key}", slug="not-covered")
    if row["closed"]:
        raise Unprocessable(f"{subject_id} is closed", slug="subject-closed")
    return row


async def scenario_grades(conn: asyncpg.Connection, registry: ScenarioRegistry, grader: Grader,
                          subject_id: str, today: date) -> list[schemas.SubjectScenarioGrade]:
    """The subject's grade under every enabled scenario covering it, with explanations."""
    scenarios = await covering(conn, registry, subject_id)
    if not scenarios:
        return []
    rows = {r["scheme"]: r for r in await conn.fetch(q.grades_of_subject, subject_id,
                                                       [s.key for s in scenarios])}
    out: list[schemas.SubjectScenarioGrade] = []
    missing = [s for s in scenarios
               if s.key not in rows or rows[s.key]["rule_version"] != s.rule_version]
    live = {}
    if missing:
        files = await grader.load_files(conn, [subject_id], today)
        for s in missing:
            rule = grader.rule(s.key)
            if rule is not None and subject_id in files:
                live[s.key] = rule.grade(files[subject_id], today)
    for s in scenarios:
        if s.key in live:
            view, stored = result_view(live[s.key]), False
        elif s.key in rows:
            view, stored = grade_view(rows[s.key]), True
        else:
            continue
        out.append(schemas.SubjectScenarioGrade(scenario=s.key, scenario_name=s.name_zh,
                                                stored=stored, grade=view))
    return out


async def applicable_measures(conn: asyncpg.Connection, registry: ScenarioRegistry,
                              grader: Grader, subject_id: str,
                              today: date) -> list[schemas.SubjectMeasures]:
    """The business measures that apply to the subject now, per scenario, with their bases."""
    out = []
    for item in await scenario_grades(conn, registry, grader, subject_id, today):
        scenario = registry.get(item.scenario)
        assert scenario is not None
        grade = item.grade.grade
        out.append(schemas.SubjectMeasures(
            scenario=scenario.key, scenario_name=scenario.name_zh, grade=grade,
            grade_label=GRADE_LABELS[grade], rule_version=item.grade.rule_version,
            measures=[schemas.measure_view(m) for m in scenario.measures_for(grade, "business")],
        ))
    return out


async def scenario_badges(conn: asyncpg.Connection, registry: ScenarioRegistry,
                          subject_id: str) -> list[schemas.ScenarioBadge]:
    """Badges (e.g. 诚信示范店) the subject earns now, for the 诚信码 scan page.

    Reads stored grades only (one query, no grading), under each scenario's current rule
    version; an unknown subject simply has no badges.
    """
    keys = {s.key: s for s in registry.scenarios}
    if not keys:
        return []
    badges: list[schemas.ScenarioBadge] = []
    for row in await conn.fetch(q.grades_of_subject, subject_id, list(keys)):
        scenario = keys[row["scheme"]]
        if row["rule_version"] != scenario.rule_version:
            continue
        for m in scenario.measures_for(row["grade"], "business"):
            if isinstance(m.effect, Badge):
                badges.append(schemas.ScenarioBadge(
                    scenario=scenario.key, scenario_name=scenario.name_zh, code=m.effect.code,
                    label_zh=m.effect.label_zh, grade=row["grade"], measure=m.key,
                    basis=m.basis,
                ))
    return sorted(badges, key=lambda b: (b.scenario, b.code))


def badge_contributor(
    registry: ScenarioRegistry,
) -> Callable[[asyncpg.Connection, ProfileDraft], Awaitable[None]]:
    """A scan-profile contributor (``app.state.profile_contributors``) adding scenario badges.

    Badges follow stored grades, and the ``grades`` table announces its changes, so a cached
    scan profile is rebuilt when a scenario grade (and so a badge) changes.
    """

    async def contribute(conn: asyncpg.Connection, draft: ProfileDraft) -> None:
        for b in await scenario_badges(conn, registry, draft.subject_id):
            basis = "" if b.basis is None else f"{b.basis.document} {b.basis.article}"
            draft.badges.append(codes_schemas.Badge(
                scenario=b.scenario, key=b.code, label=b.label_zh, kind="badge",
                description=f"{b.scenario_name} {b.grade}级", basis=basis,
            ))

    return contribute
