"""The grading engine: a rule is a base score, indicators and thresholds, with a version.

A ``GradingRule`` turns a subject's ``CreditFile`` into a ``GradeResult``: a score from 0 to 1000,
a grade (A/B/C/D, or ``unrated`` 暂无评级 when too little is known) and an ``Explanation`` that
lists every indicator, the points it moved and the records behind them. The default public rule
lives in ``public_rule.py``; scenario plugins build their own rules from the same parts.

Indicators are pure functions of the file and the day: the engine never touches the database,
so the same code grades one subject inside a write transaction and a million in a batch.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import msgspec

Grade = Literal["A", "B", "C", "D", "unrated"]
GRADES: tuple[Grade, ...] = ("A", "B", "C", "D")
MAX_SCORE = 1000


class RecordFact(msgspec.Struct, frozen=True):
    """What grading needs to know about one credit record."""

    id: str
    kind: str
    severity: str | None
    result: str | None
    title: str
    occurred_on: date
    public_until: date
    status: str
    source_department: str

    def counts_on(self, day: date) -> bool:
        """Inside its display period and not repaired or withdrawn."""
        live = self.status in ("active", "objected")
        return live and self.occurred_on <= day <= self.public_until


class RatingSummary(msgspec.Struct, frozen=True):
    """Published consumer ratings of a subject (filled in by the ratings module)."""

    count: int
    mean: float
    bayesian_mean: float


class CreditFile(msgspec.Struct):
    """信用档案: a subject's facts as grading sees them."""

    subject_id: str
    subject_type: str
    industry: str
    region_code: str
    closed: bool
    records: tuple[RecordFact, ...] = ()
    ratings: RatingSummary | None = None
    extra: dict[str, Any] = msgspec.field(default_factory=dict)
    """Data a scenario's file loader adds for its own indicators."""
    reviews: list[date] = msgspec.field(default_factory=list)
    """Days a loader knows the grade may change with no new record (a star rating that lapses);
    the earliest one after today becomes the grade's ``review_on``."""

    def counting(self, day: date, *kinds: str) -> list[RecordFact]:
        return [r for r in self.records if r.counts_on(day) and (not kinds or r.kind in kinds)]


class Reason(msgspec.Struct, frozen=True):
    """One line of an explanation: what moved the score, by how much."""

    points: int
    text: str
    record_id: str | None = None


class IndicatorResult(msgspec.Struct, frozen=True):
    points: int
    reasons: tuple[Reason, ...] = ()
    evidence: int = 0
    """How many facts (records, rating batches) the indicator used; feeds the unrated rule."""
    decisive: bool = False
    """True when the indicator alone is enough to grade (e.g. a 严重 penalty)."""
    review_on: date | None = None
    """The first day this indicator would give another result with no new record (e.g. the
    day a scenario's own data expires); ``regrade --due`` grades the subject again then."""


@dataclass(frozen=True, slots=True)
class Indicator:
    """A named, documented function of a credit file → points, with reasons."""

    key: str
    name_zh: str
    name_en: str
    description: str
    compute: Callable[[CreditFile, date], IndicatorResult]


class IndicatorOutcome(msgspec.Struct, frozen=True):
    key: str
    name: str
    points: int
    reasons: tuple[Reason, ...]


class Explanation(msgspec.Struct, frozen=True):
    """Why a subject has its grade."""

    base: int
    indicators: tuple[IndicatorOutcome, ...]
    thresholds: dict[str, int]
    evidence: int
    unrated_reason: str | None = None


class GradeResult(msgspec.Struct, frozen=True):
    subject_id: str
    scheme: str
    rule_version: str
    score: int | None
    grade: Grade
    explanation: Explanation
    review_on: date | None
    """The first day the grade may change with no new record — a counted record leaves its
    display period, an indicator's or a loader's data lapses: grade again then."""


@dataclass(frozen=True, slots=True)
class GradingRule:
    """A versioned grading rule for one scheme (``public`` or a scenario key)."""

    scheme: str
    version: str
    name_zh: str
    base_score: int
    indicators: Sequence[Indicator]
    thresholds: Sequence[tuple[Grade, int]]
    """Minimum score per grade, best first, e.g. ``(("A", 800), ("B", 650), ("C", 500))``;
    anything below the last is ``D``."""
    min_evidence: int = 2
    covers: Callable[[CreditFile], bool] = field(default=lambda _file: True)

    def __post_init__(self) -> None:
        problems = rule_problems(self)
        if problems:
            raise ValueError(f"grading rule {self.scheme}@{self.version}: {'; '.join(problems)}")
        for ind in self.indicators:
            _DESCRIPTIONS[(self.scheme, ind.key)] = ind.description

    def grade_of(self, score: int) -> Grade:
        for grade, minimum in self.thresholds:
            if score >= minimum:
                return grade
        return "D"

    def grade(self, file: CreditFile, today: date) -> GradeResult:
        outcomes: list[IndicatorOutcome] = []
        total = self.base_score
        evidence = 0
        decisive = False
        reviews = [d for d in file.reviews if d > today]
        for indicator in self.indicators:
            result = indicator.compute(file, today)
            total += result.points
            evidence += result.evidence
            decisive = decisive or result.decisive
            if result.review_on is not None and result.review_on > today:
                reviews.append(result.review_on)
            outcomes.append(
                IndicatorOutcome(indicator.key, indicator.name_zh, result.points, result.reasons)
            )
        score = max(0, min(MAX_SCORE, total))
        unrated_reason = None
        if evidence < self.min_evidence and not decisive:
            unrated_reason = (
                f"暂无评级：在案可评价的信用信息 {evidence} 条，至少需要 {self.min_evidence} 条"
            )
        explanation = Explanation(
            base=self.base_score,
            indicators=tuple(outcomes),
            thresholds={g: m for g, m in self.thresholds},
            evidence=evidence,
            unrated_reason=unrated_reason,
        )
        ends = [r.public_until for r in file.records if r.counts_on(today)]
        if ends:
            reviews.append(date.fromordinal(min(ends).toordinal() + 1))
        review_on = min(reviews) if reviews else None
        return GradeResult(
            subject_id=file.subject_id,
            scheme=self.scheme,
            rule_version=self.version,
            score=None if unrated_reason else score,
            grade="unrated" if unrated_reason else self.grade_of(score),
            explanation=explanation,
            review_on=review_on,
        )


_DESCRIPTIONS: dict[tuple[str, str], str] = {}
"""``(scheme, indicator key) → description`` of every rule built in this process: explanations
are stored without them (they would repeat in every grade row) and views add them back."""


def indicator_description(scheme: str, key: str) -> str:
    """The description (docstring) of an indicator of a rule this process knows, or ``""``."""
    return _DESCRIPTIONS.get((scheme, key), "")


def rule_problems(rule: GradingRule) -> list[str]:
    """What is wrong with a rule's shape (used at construction and by plugin validation)."""
    problems: list[str] = []
    if not 0 <= rule.base_score <= MAX_SCORE:
        problems.append(f"base score {rule.base_score} outside 0..{MAX_SCORE}")
    grades = [g for g, _ in rule.thresholds]
    minimums = [m for _, m in rule.thresholds]
    if not grades or grades != list(GRADES[: len(grades)]):
        problems.append(f"thresholds must name grades in order A, B, C…, got {grades}")
    if any(b >= a for a, b in itertools.pairwise(minimums)):
        problems.append(f"thresholds must fall strictly from grade to grade, got {minimums}")
    if any(not 0 < m <= MAX_SCORE for m in minimums):
        problems.append("every threshold must lie in 1..1000")
    keys = [i.key for i in rule.indicators]
    if len(set(keys)) != len(keys):
        problems.append(f"indicator keys repeat: {keys}")
    if rule.min_evidence < 0:
        problems.append("min_evidence must not be negative")
    return problems


def capped(reasons: list[Reason], *, low: int, high: int) -> tuple[int, tuple[Reason, ...]]:
    """Sum reasons' points, clamped to [low, high]; the cap itself becomes a reason line."""
    raw = sum(r.points for r in reasons)
    points = max(low, min(high, raw))
    out = list(reasons)
    if points != raw:
        out.append(Reason(points - raw, f"封顶 capped at {points:+d}"))
    return points, tuple(out)


GRADE_LABELS: dict[str, str] = {
    "A": "A级 诚信",
    "B": "B级 较诚信",
    "C": "C级 基本诚信",
    "D": "D级 失信风险",
    "unrated": "暂无评级",
}
