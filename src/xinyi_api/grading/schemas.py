"""Response types for grades and their explanations."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any, Literal

import asyncpg
import msgspec
from msgspec import Struct

from xinyi_api.grading.engine import (
    GRADE_LABELS,
    Explanation,
    GradeResult,
    Reason,
    indicator_description,
)

Grade = Literal["A", "B", "C", "D", "unrated"]


class IndicatorView(Struct, kw_only=True):
    """One indicator (评价指标) of a grade: the points it moved, why, and what it measures."""

    key: str
    name: str
    points: int
    reasons: tuple[Reason, ...]
    description: str
    """What the indicator measures and how it scores (the indicator's documentation)."""


class ExplanationView(Struct, kw_only=True):
    """Why a subject has its grade: the base score, every indicator, the thresholds."""

    base: int
    indicators: tuple[IndicatorView, ...]
    thresholds: dict[str, int]
    evidence: int
    unrated_reason: str | None = None


def explanation_view(explanation: Explanation, scheme: str) -> ExplanationView:
    """The stored explanation with each indicator's description added back."""
    return ExplanationView(
        base=explanation.base,
        indicators=tuple(IndicatorView(key=i.key, name=i.name, points=i.points,
                                       reasons=i.reasons,
                                       description=indicator_description(scheme, i.key))
                         for i in explanation.indicators),
        thresholds=explanation.thresholds, evidence=explanation.evidence,
        unrated_reason=explanation.unrated_reason)


class GradeView(Struct, kw_only=True):
    """A stored grade with the explanation of every indicator (信用评价及其依据)."""

    subject_id: str
    scheme: str
    rule_version: str
    grade: Grade
    grade_label: str
    score: int | None
    computed_at: datetime | None
    review_on: date | None
    explanation: ExplanationView


class GradeHistoryItem(Struct, kw_only=True):
    scheme: str
    rule_version: str
    grade: Grade
    score: int | None
    computed_at: datetime


SchemeGradeReader = Callable[[asyncpg.Connection, str, str, date], Awaitable[GradeView | None]]
"""``(conn, subject_id, scheme, today) → the current grade under a scenario scheme, or None``:
what ``GET /subjects/{id}/grade?scheme=KEY`` asks the scenarios package (which knows which
scenarios are enabled, what they cover and whether a stored grade is current)."""


def grade_view(row: Any) -> GradeView:
    return GradeView(
        subject_id=row["subject_id"],
        scheme=row["scheme"],
        rule_version=row["rule_version"],
        grade=row["grade"],
        grade_label=GRADE_LABELS[row["grade"]],
        score=row["score"],
        computed_at=row["computed_at"],
        review_on=row["review_on"],
        explanation=explanation_view(msgspec.convert(row["explanation"], Explanation),
                                     row["scheme"]),
    )


def result_view(result: GradeResult, computed_at: datetime | None = None) -> GradeView:
    return GradeView(
        subject_id=result.subject_id,
        scheme=result.scheme,
        rule_version=result.rule_version,
        grade=result.grade,
        grade_label=GRADE_LABELS[result.grade],
        score=result.score,
        computed_at=computed_at,
        review_on=result.review_on,
        explanation=explanation_view(result.explanation, result.scheme),
    )
