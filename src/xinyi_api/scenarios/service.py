"""Reading scenario grades and the measures that follow from them.

Grades are read as stored (they are kept live by every write and by the start-up upgrade);
a covered subject with no stored grade under the current rule version is graded on the fly,
without storing, so an answer is never stale.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import date, timedelta

import asyncpg
import msgspec

from xinyi_api.accountability.service import merchant_owns
from xinyi_api.auth.tokens import Principal
from xinyi_api.codes import schemas as codes_schemas
from xinyi_api.codes.hooks import Contributor, ProfileDraft
from xinyi_api.db.queries import Queries
from xinyi_api.errors import NotFound, Unprocessable
from xinyi_api.grading.engine import GRADE_LABELS, GRADES, CreditFile
from xinyi_api.grading.schemas import GradeView, SchemeGradeReader, grade_view, result_view
from xinyi_api.grading.service import Grader
from xinyi_api.scenarios import schemas
from xinyi_api.scenarios.freshness import CurrentGrade, current_grades, current_grades_of
from xinyi_api.scenarios.model import Audience, Badge, Measure, Scenario
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
    """The subject's grade under every enabled scenario covering it, with explanations: stored
    when current, else graded now (``freshness.current_grades``)."""
    probe = _probe(await _subject(conn, subject_id))
    out: list[schemas.SubjectScenarioGrade] = []
    for current in await current_grades(conn, registry, grader, probe, today):
        view = result_view(current.result) if current.result is not None else grade_view(
            current.row)
        out.append(schemas.SubjectScenarioGrade(
            scenario=current.scenario.key, scenario_name=current.scenario.name_zh,
            stored=current.stored, grade=view))
    return out


async def scheme_grade(conn: asyncpg.Connection, registry: ScenarioRegistry, grader: Grader,
                       subject_id: str, scheme: str, today: date) -> GradeView | None:
    """The subject's current grade under scenario ``scheme`` (``GET …/grade?scheme=``), or
    ``None``: no such subject, the scenario is not enabled or does not cover the subject."""
    row = await conn.fetchrow(q.subject_coverage, subject_id)
    if row is None or registry.get(scheme) is None:
        return None
    found = await current_grades(conn, registry, grader, _probe(row), today, only=[scheme])
    if not found:
        return None
    current = found[0]
    return result_view(current.result) if current.result is not None else grade_view(
        current.row)


async def viewer_of(conn: asyncpg.Connection, principal: Principal,
                    subject_id: str) -> Audience:
    """Which measures ``principal`` may see applied to ``subject_id`` (``Measure.visible_to``):
    departments and operators every one, the merchant who claimed the business its own, anyone
    else the public ones."""
    if principal.role in ("department", "operator"):
        return "departments"
    if principal.role == "merchant" and await merchant_owns(conn, principal.sub, subject_id):
        return "business"
    return "public"


async def applicable_measures(conn: asyncpg.Connection, registry: ScenarioRegistry,
                              grader: Grader, subject_id: str, today: date,
                              viewer: Audience = "public") -> list[schemas.SubjectMeasures]:
    """The business measures that apply to the subject now, per scenario, with their bases:
    those ``viewer`` may see."""
    out = []
    for item in await scenario_grades(conn, registry, grader, subject_id, today):
        scenario = registry.get(item.scenario)
        assert scenario is not None
        grade = item.grade.grade
        out.append(schemas.SubjectMeasures(
            scenario=scenario.key, scenario_name=scenario.name_zh, grade=grade,
            grade_label=GRADE_LABELS[grade], rule_version=item.grade.rule_version,
            measures=[schemas.measure_view(m) for m in scenario.measures_for(grade, "business")
                      if m.visible_to(viewer)],
        ))
    return out


async def scenario_badges(conn: asyncpg.Connection, registry: ScenarioRegistry, grader: Grader,
                          subject_id: str, today: date,
                          holds: Callable[[date | None], None] | None = None,
                          ) -> list[schemas.ScenarioBadge]:
    """Badges (e.g. 诚信示范店) the subject earns now, for the 诚信码 scan page: from its current
    scenario grades (stored, or graded now while a scheme's refresh has not reached it); an
    unknown subject simply has no badges. ``holds`` hears the last day a grade graded now stays
    what it is (the day before its ``review_on``); stored grades are regraded and announced."""
    row = await conn.fetchrow(q.subject_coverage, subject_id)
    if row is None:
        return []
    return _badges(await current_grades(conn, registry, grader, _probe(row), today), holds)


def _badges(grades: list[CurrentGrade],
            holds: Callable[[date | None], None] | None) -> list[schemas.ScenarioBadge]:
    badges: list[schemas.ScenarioBadge] = []
    for current in grades:
        scenario, grade = current.scenario, current.grade
        if holds is not None and current.result is not None:
            review_on = current.result.review_on
            holds(None if review_on is None else review_on - timedelta(days=1))
        for m in scenario.measures_for(grade, "business"):
            if isinstance(m.effect, Badge) and m.visible_to("public"):
                badges.append(schemas.ScenarioBadge(
                    scenario=scenario.key, scenario_name=scenario.name_zh, code=m.effect.code,
                    label_zh=m.effect.label_zh, grade=grade, measure=m.key, basis=m.basis,
                ))
    return sorted(badges, key=lambda b: (b.scenario, b.code))


def scan_measure(m: Measure) -> codes_schemas.ScanMeasure:
    """A measure as the scan shows it: title, condition and basis in words. A person measure's
    condition starts with the personal grades it needs (个人信用 A/B 级可享)."""
    condition = m.condition
    if m.target == "person":
        condition = f"个人信用 {'/'.join(m.grades)} 级可享,出示动态个人信用码" + (
            f";{m.condition}" if m.condition else "")
    basis = None if m.basis is None else codes_schemas.ScanBasis(document=m.basis.document,
                                                                   article=m.basis.article)
    return codes_schemas.ScanMeasure(key=m.key, kind=m.kind, kind_label=schemas.KIND_LABELS[m.kind],
                                     target=m.target, title=m.title_zh, condition=condition,
                                     basis=basis)


def add_scan_scenario(draft: ProfileDraft, entry: codes_schemas.ScanScenario) -> None:
    """Put a scenario on a profile being built, merging with an entry of the same scenario a
    contributor added before (a grade with its measures, person offers …); kept in key order."""
    for i, seen in enumerate(draft.scenarios):
        if seen.key == entry.key:
            graded = seen if seen.grade is not None else entry
            draft.scenarios[i] = msgspec.structs.replace(
                graded, measures=[*seen.measures, *entry.measures])
            return
    draft.scenarios.append(entry)
    draft.scenarios.sort(key=lambda e: e.key)


def scan_scenarios(grades: list[CurrentGrade]) -> list[codes_schemas.ScanScenario]:
    """Each covering scenario's grade and the measures in force at it that the public may see
    (``Measure.visible_to``): incentives, and constraints a scenario made public."""
    out = []
    for current in grades:
        scenario, grade = current.scenario, current.grade
        rule_version = (current.result.rule_version if current.result is not None
                        else current.row["rule_version"] if current.row is not None else "")
        out.append(codes_schemas.ScanScenario(
            key=scenario.key, name=scenario.name_zh, department=scenario.department,
            grade=grade, grade_label=GRADE_LABELS[grade], rule_version=rule_version,
            measures=[scan_measure(m) for m in scenario.measures_for(grade, "business")
                      if m.visible_to("public")]))
    return out


def scheme_grade_reader(registry: ScenarioRegistry, grader: Grader) -> SchemeGradeReader:
    """``scheme_grade`` for the registry and grader of an app (``app.state.scheme_grades``)."""

    async def read(conn: asyncpg.Connection, subject_id: str, scheme: str,
                   today: date) -> GradeView | None:
        return await scheme_grade(conn, registry, grader, subject_id, scheme, today)

    return read


def definitions_fingerprint(registry: ScenarioRegistry) -> str:
    """A digest of what the enabled scenarios declare that scan profiles show (names, coverage,
    rule versions, measures, dimensions): stored profiles built under other definitions are
    rebuilt (``xinyi_api.codes.materialise``)."""
    parts = [repr((s.key, s.name_zh, s.rule_version, s.subject_types, s.industries, s.measures,
                   s.dimensions)) for s in registry.scenarios]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


def badge_contributor(registry: ScenarioRegistry, grader: Grader) -> Contributor:
    """A scan-profile contributor (``app.state.profile_contributors``) adding, for every scenario
    covering the subject, its grade and public measures (``draft.scenarios``) and its badges.

    Both follow stored grades, and the ``grades`` table announces its changes, so a cached
    scan profile is rebuilt when a scenario grade (and so a measure) changes; a grade graded on
    read (a scheme's refresh has not reached the subject) bounds how long the profile holds.
    Its batch form reads the grades of a whole batch in one query.
    """

    def add(draft: ProfileDraft, grades: list[CurrentGrade]) -> None:
        for b in _badges(grades, draft.holds_until):
            basis = "" if b.basis is None else f"{b.basis.document} {b.basis.article}"
            draft.badges.append(codes_schemas.Badge(
                scenario=b.scenario, key=b.code, label=b.label_zh, kind="badge",
                description=f"{b.scenario_name} {b.grade}级", basis=basis,
            ))
        for entry in scan_scenarios(grades):
            add_scan_scenario(draft, entry)

    async def contribute(conn: asyncpg.Connection, draft: ProfileDraft) -> None:
        row = await conn.fetchrow(q.subject_coverage, draft.subject_id)
        if row is not None:
            add(draft, await current_grades(conn, registry, grader, _probe(row), draft.today))

    async def contribute_many(conn: asyncpg.Connection, drafts: Sequence[ProfileDraft]) -> None:
        by_day: dict[date, list[ProfileDraft]] = {}
        for draft in drafts:
            by_day.setdefault(draft.today, []).append(draft)
        for today, same_day in by_day.items():
            files = [CreditFile(subject_id=d.subject_id, subject_type=d.subject_type,
                                industry=d.industry, region_code=d.region_code, closed=d.closed)
                     for d in same_day]
            grades = await current_grades_of(conn, registry, grader, files, today)
            for draft in same_day:
                add(draft, grades.get(draft.subject_id, []))

    return Contributor(contribute, many=contribute_many,
                       fingerprint=definitions_fingerprint(registry), date_aware=True)
