"""Response types of the scenario endpoints (场景、分级措施、主体的场景评价)."""

from __future__ import annotations

from typing import Literal

from msgspec import Struct

from xinyi_api.grading.schemas import GradeView
from xinyi_api.scenarios.model import Basis, Effect, Measure, RatingDimension, Scenario

Grade = Literal["A", "B", "C", "D", "unrated"]
KIND_LABELS = {"incentive": "守信激励", "constraint": "失信约束"}
TARGET_LABELS = {"business": "经营主体", "person": "个人"}


class MeasureView(Struct, kw_only=True):
    """One measure with its machine-readable effect and its basis (依据)."""

    key: str
    kind: Literal["incentive", "constraint"]
    kind_label: str
    target: Literal["business", "person"]
    target_label: str
    grades: tuple[Grade, ...]
    title_zh: str
    effect: Effect
    basis: Basis | None
    condition: str


class IndicatorInfo(Struct, kw_only=True):
    key: str
    name_zh: str
    name_en: str
    description: str


class GradeMeasures(Struct, kw_only=True):
    """What one grade means in a scenario: its minimum score and its measures."""

    grade: Grade
    grade_label: str
    min_score: int | None
    """``None`` for D (anything below C) and for 暂无评级."""
    measures: list[MeasureView]


class ScenarioSummary(Struct, kw_only=True):
    key: str
    name_zh: str
    name_en: str
    department: str
    description: str
    subject_types: tuple[str, ...]
    industries: tuple[str, ...]
    rule_version: str
    distribution: str
    """The Python package the scenario came from (``xinyi-api`` for the built-ins)."""


class ScenarioDetail(ScenarioSummary, kw_only=True):
    """A scenario with its indicators, thresholds and grade → measures table (分级措施表)."""

    base_score: int
    thresholds: dict[str, int]
    indicators: list[IndicatorInfo]
    dimensions: list[RatingDimension]
    grades: list[GradeMeasures]


class SubjectScenarioGrade(Struct, kw_only=True):
    """A subject's grade under one scenario, with the explanation of every indicator."""

    scenario: str
    scenario_name: str
    stored: bool
    """``False`` when computed on the fly (not yet stored, e.g. just enabled)."""
    grade: GradeView


class SubjectMeasures(Struct, kw_only=True):
    """The business measures that apply to a subject now under one scenario."""

    scenario: str
    scenario_name: str
    grade: Grade
    grade_label: str
    rule_version: str
    measures: list[MeasureView]


class ScenarioBadge(Struct, kw_only=True):
    """A badge to show on the 诚信码 scan page (e.g. 诚信示范店), with its basis."""

    scenario: str
    scenario_name: str
    code: str
    label_zh: str
    grade: Grade
    measure: str
    basis: Basis | None


def measure_view(m: Measure) -> MeasureView:
    return MeasureView(key=m.key, kind=m.kind, kind_label=KIND_LABELS[m.kind], target=m.target,
                       target_label=TARGET_LABELS[m.target], grades=m.grades,
                       title_zh=m.title_zh, effect=m.effect, basis=m.basis,
                       condition=m.condition)


def summary(s: Scenario, distribution: str) -> ScenarioSummary:
    return ScenarioSummary(key=s.key, name_zh=s.name_zh, name_en=s.name_en,
                           department=s.department, description=s.description,
                           subject_types=s.subject_types, industries=s.industries,
                           rule_version=s.rule_version, distribution=distribution)
