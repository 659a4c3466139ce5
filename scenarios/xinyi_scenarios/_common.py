"""Helpers the built-in scenarios share: record labels and severity point tables.

A third-party scenario needs none of this; it only shows one way of writing indicators.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from xinyi_api.scenarios.kit import (
    KIND_LABELS,
    RESULT_LABELS,
    SEVERITY_LABELS,
    Audience,
    Basis,
    CreditFile,
    Effect,
    Grade,
    IndicatorResult,
    Measure,
    MeasureKind,
    Reason,
    RecordFact,
    Target,
)
from xinyi_api.scenarios.kit import capped as capped  # the scenarios call c.capped

# Points an adverse record costs, by severity (轻微 / 一般 / 较重 / 严重).
Points = dict[str, int]
DECISIVE = frozenset({"serious", "severe"})


def label(r: RecordFact) -> str:
    """「title」 with kind, severity, result and date, as in the public grade."""
    parts = [KIND_LABELS.get(r.kind, r.kind)]
    if r.severity:
        parts.append(SEVERITY_LABELS.get(r.severity, r.severity))
    if r.result:
        parts.append(RESULT_LABELS.get(r.result, r.result))
    return f"{'·'.join(parts)}「{r.title}」({r.occurred_on.isoformat()})"


def reason(r: RecordFact, points: int, note: str = "") -> Reason:
    return Reason(points, label(r) + (f" {note}" if note else ""), r.id)


def from_department(r: RecordFact, prefixes: Iterable[str]) -> bool:
    """Whether the record came from a department whose code starts with one of ``prefixes``
    (a district office ``scjg_tja`` counts as ``scjg``)."""
    return any(r.source_department.startswith(p) for p in prefixes)


def severity_points(records: list[RecordFact], table: Points, *, low: int,
                    note: str = "") -> IndicatorResult:
    """Adverse records scored by severity; 较重/严重 decide a grade alone."""
    reasons = [reason(r, table[r.severity or "general"], note) for r in records]
    points, lines = capped(reasons, low=low, high=0)
    return IndicatorResult(points, lines, evidence=len(records),
                           decisive=any(r.severity in DECISIVE for r in records))


def inspection_points(file: CreditFile, today: date, *, per_pass: int, max_bonus: int,
                      rectify: int, fail: Points, low: int = -600) -> IndicatorResult:
    """Inspections: a bonus per 合格 up to ``max_bonus``, a cost per 责令整改 or 不合格."""
    reasons: list[Reason] = []
    bonus = 0
    records = file.counting(today, "inspection")
    for r in records:
        if r.result == "pass":
            gain = min(per_pass, max_bonus - bonus)
            bonus += gain
            reasons.append(reason(r, gain))
        elif r.result == "rectify":
            reasons.append(reason(r, rectify))
        else:
            reasons.append(reason(r, fail[r.severity or "general"]))
    points, lines = capped(reasons, low=low, high=max_bonus)
    decisive = any(r.result == "fail" and r.severity in DECISIVE for r in records)
    if not records:
        lines = (Reason(0, "无在公示期内的监督检查记录 no inspection on file"),)
    return IndicatorResult(points, lines, evidence=len(records), decisive=decisive)


def ratings_points(file: CreditFile, *, per_star: int, cap: int, min_count: int,
                   who: str = "消费者") -> IndicatorResult:
    """Published ratings: (Bayesian mean − 3) × ``per_star``, at most ±``cap``.

    Ratings are filled in by the ratings module; until then ``file.ratings`` is ``None`` and the
    indicator scores nothing, saying so.
    """
    summary = file.ratings
    if summary is None or summary.count < min_count:
        count = 0 if summary is None else summary.count
        return IndicatorResult(0, (Reason(0, f"{who}评价 {count} 条,不足 {min_count} 条不计分"),))
    points = max(-cap, min(cap, round((summary.bayesian_mean - 3.0) * per_star)))
    text = (f"{who}评价 {summary.count} 条,平均 {summary.mean:.2f} 星,"
            f"贝叶斯调整后 {summary.bayesian_mean:.2f} 星")
    return IndicatorResult(points, (Reason(points, text),), evidence=1)


def nothing_on_file(what: str) -> IndicatorResult:
    return IndicatorResult(0, (Reason(0, f"无在公示期内的{what}"),))


def business(key: str, kind: MeasureKind, grades: tuple[Grade, ...], title_zh: str,
             effect: Effect, basis: Basis, condition: str = "",
             audience: Audience | None = None) -> Measure:
    """A measure for the graded business (经营主体); ``audience``: see ``Measure.audience``."""
    return measure(key, kind, "business", grades, title_zh, effect, basis, condition, audience)


def person(key: str, kind: MeasureKind, grades: tuple[Grade, ...], title_zh: str,
           effect: Effect, basis: Basis, condition: str = "") -> Measure:
    """A measure for a natural person, by their personal credit grade (个人信用等级)."""
    return measure(key, kind, "person", grades, title_zh, effect, basis, condition)


def measure(key: str, kind: MeasureKind, target: Target, grades: tuple[Grade, ...],
            title_zh: str, effect: Effect, basis: Basis, condition: str = "",
            audience: Audience | None = None) -> Measure:
    return Measure(key=key, kind=kind, target=target, grades=grades, title_zh=title_zh,
                   effect=effect, basis=basis, condition=condition, audience=audience)
