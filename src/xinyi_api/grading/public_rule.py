"""The default public grade (公共信用评价) every subject gets, rule ``public@1``.

Score = 700 + the indicators below, clamped to 0..1000. A ≥ 800, B ≥ 650, C ≥ 500, else D.
Only records inside their display period and not repaired or withdrawn count (a record under
objection, 异议处理中, still counts until the objection is decided). A subject is 暂无评级
(unrated) until at least two facts count, unless a 较重/严重 adverse record decides alone.
``docs/grading.md`` explains the same weights with worked examples; keep the two in step.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from xinyi_api.grading.engine import (
    CreditFile,
    GradingRule,
    Indicator,
    IndicatorResult,
    Reason,
    RecordFact,
    capped,
)
from xinyi_api.grading.kinds import KIND_LABELS, RESULT_LABELS, SEVERITY_LABELS

PENALTY_POINTS = {"minor": -30, "general": -80, "serious": -150, "severe": -300}
COMPLAINT_POINTS = {"minor": -10, "general": -25, "serious": -60, "severe": -120}
BREACH_POINTS = {"minor": -20, "general": -50, "serious": -100, "severe": -200}
DECISIVE = frozenset({"serious", "severe"})


def _label(r: RecordFact) -> str:
    parts = [KIND_LABELS.get(r.kind, r.kind)]
    if r.severity:
        parts.append(SEVERITY_LABELS[r.severity])
    if r.result:
        parts.append(RESULT_LABELS[r.result])
    return f"{'·'.join(parts)}「{r.title}」({r.occurred_on.isoformat()})"


def _reason(r: RecordFact, points: int) -> Reason:
    return Reason(points, _label(r), r.id)


def penalties(file: CreditFile, today: date) -> IndicatorResult:
    records = file.counting(today, "penalty", "judicial")
    reasons = [_reason(r, PENALTY_POINTS[r.severity or "general"]) for r in records]
    points, lines = capped(reasons, low=-600, high=0)
    decisive = any(r.severity in DECISIVE for r in records)
    return IndicatorResult(points, lines, evidence=len(records), decisive=decisive)


def inspections(file: CreditFile, today: date) -> IndicatorResult:
    records = file.counting(today, "inspection")
    reasons: list[Reason] = []
    passes = 0
    for r in records:
        if r.result == "pass":
            passes += 1
            # Three recent clean inspections say as much as more would.
            reasons.append(_reason(r, 15 if passes <= 3 else 0))
        elif r.result == "rectify":
            reasons.append(_reason(r, -40))
        else:
            reasons.append(_reason(r, PENALTY_POINTS[r.severity or "general"]))
    points, lines = capped(reasons, low=-600, high=45)
    decisive = any(r.result == "fail" and r.severity in DECISIVE for r in records)
    return IndicatorResult(points, lines, evidence=len(records), decisive=decisive)


def licences(file: CreditFile, today: date) -> IndicatorResult:
    records = file.counting(today, "licence")
    if not records:
        return IndicatorResult(0, (Reason(0, "无在公示期内的行政许可 no licence on file"),))
    reasons = [_reason(r, 30 if i == 0 else 0) for i, r in enumerate(records)]
    return IndicatorResult(30, tuple(reasons), evidence=len(records))


def rewards(file: CreditFile, today: date) -> IndicatorResult:
    records = file.counting(today, "reward")
    points, lines = capped([_reason(r, 40) for r in records], low=0, high=120)
    return IndicatorResult(points, lines, evidence=len(records))


def commitments(file: CreditFile, today: date) -> IndicatorResult:
    records = file.counting(today, "commitment")
    reasons = []
    for r in records:
        if r.result == "kept":
            reasons.append(_reason(r, 20))
        elif r.result == "broken":
            reasons.append(_reason(r, -60))
        else:
            reasons.append(_reason(r, 0))
    points, lines = capped(reasons, low=-300, high=40)
    return IndicatorResult(points, lines, evidence=len(records))


def contracts(file: CreditFile, today: date) -> IndicatorResult:
    records = file.counting(today, "contract")
    reasons = [
        _reason(r, 10 if r.result == "fulfilled" else BREACH_POINTS[r.severity or "general"])
        for r in records
    ]
    points, lines = capped(reasons, low=-400, high=30)
    return IndicatorResult(points, lines, evidence=len(records))


def complaints(file: CreditFile, today: date) -> IndicatorResult:
    records = file.counting(today, "complaint")
    reasons = [_reason(r, COMPLAINT_POINTS[r.severity or "general"]) for r in records]
    points, lines = capped(reasons, low=-240, high=0)
    return IndicatorResult(points, lines, evidence=len(records))


def consumer_ratings(file: CreditFile, today: date) -> IndicatorResult:
    """Bayesian-adjusted mean of published ratings: (mean − 3) × 40, at most ±80, from 5 ratings."""
    summary = file.ratings
    if summary is None or summary.count < 5:
        count = 0 if summary is None else summary.count
        return IndicatorResult(0, (Reason(0, f"消费者评价 {count} 条,不足 5 条不计分"),))
    points = max(-80, min(80, round((summary.bayesian_mean - 3.0) * 40)))
    text = (
        f"消费者评价 {summary.count} 条,平均 {summary.mean:.2f} 星,"
        f"贝叶斯调整后 {summary.bayesian_mean:.2f} 星"
    )
    return IndicatorResult(points, (Reason(points, text),), evidence=1)


def _indicator(
    key: str, zh: str, en: str, fn: Callable[[CreditFile, date], IndicatorResult]
) -> Indicator:
    return Indicator(key=key, name_zh=zh, name_en=en, description=(fn.__doc__ or en).strip(),
                     compute=fn)


PUBLIC_RULE = GradingRule(
    scheme="public",
    version="1",
    name_zh="公共信用综合评价",
    base_score=700,
    indicators=(
        _indicator("penalties", "行政处罚与司法", "penalties and judicial records", penalties),
        _indicator("inspections", "监督检查", "inspections", inspections),
        _indicator("licences", "行政许可", "licences held", licences),
        _indicator("rewards", "行政奖励", "rewards", rewards),
        _indicator("commitments", "信用承诺履行", "credit commitments", commitments),
        _indicator("contracts", "合同履约", "contract performance", contracts),
        _indicator("complaints", "投诉", "upheld complaints", complaints),
        _indicator("ratings", "消费者评价", "consumer ratings", consumer_ratings),
    ),
    thresholds=(("A", 800), ("B", 650), ("C", 500)),
    min_evidence=2,
)
