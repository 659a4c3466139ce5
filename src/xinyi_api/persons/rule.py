"""The personal credit rule 个人信用评价规则: a person's score and grade from their own records.

A person is graded with the same engine as a business (``GradingRule``), scheme ``personal``.
Base 700 with nothing on file — a person without any adverse record is B (较诚信) — and:

- ``payments`` 按时还款: a pay-later bill (先医后付 …) settled by its due date +10 (up to +60);
  settled late −40; still unpaid after its due date (逾期未结清) −300, which alone decides the
  grade (D), so every scenario's D-grade constraints (e.g. 先医后付 额度暂停) follow at once;
- ``scenario_points`` 场景加分: records a scenario rewards with a ``CreditPoints`` person measure
  (物业费按时交纳 …) add that measure's points (up to +30 per scenario); overdue ones −60;
- ``malicious_ratings`` 恶意评价: each rating moderation removed as malicious −150 for a year.

Thresholds: A ≥ 760, B ≥ 650, C ≥ 550, below is D.
"""

from __future__ import annotations

from collections.abc import Mapping
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

SCHEME = "personal"
VERSION = "1"
BASE_SCORE = 700
THRESHOLDS = (("A", 760), ("B", 650), ("C", 550))

PAYMENT_KIND = "payment"
MALICIOUS_KIND = "malicious_rating"
RESULT_LABELS = {"on_time": "按时", "late": "逾期后已结清", "overdue": "逾期未结清"}


def _line(r: RecordFact, points: int) -> Reason:
    return Reason(points, f"{r.title}({RESULT_LABELS.get(r.result or '', r.result)},"
                          f"{r.occurred_on.isoformat()})", r.id)


def _payments(file: CreditFile, today: date) -> IndicatorResult:
    """按时还款: settled by the due date +10 each (up to +60); settled late −40 each; unpaid after
    the due date −300 each, which alone decides the grade."""
    records = file.counting(today, PAYMENT_KIND)
    if not records:
        return IndicatorResult(0, (Reason(0, "无先医后付等还款记录 no pay-later bills"),))
    points = {"on_time": 10, "late": -40, "overdue": -300}
    reasons = [_line(r, points[r.result or "overdue"]) for r in records]
    total, lines = capped(reasons, low=-1000, high=60)
    return IndicatorResult(total, lines, evidence=len(records),
                           decisive=any(r.result == "overdue" for r in records))


def _malicious(file: CreditFile, today: date) -> IndicatorResult:
    """恶意评价: each rating that moderation removed as malicious −150, for a year."""
    records = file.counting(today, MALICIOUS_KIND)
    if not records:
        return IndicatorResult(0, (Reason(0, "无恶意评价记录 no malicious ratings"),))
    reasons = [Reason(-150, f"{r.title}({r.occurred_on.isoformat()})", r.id) for r in records]
    total, lines = capped(reasons, low=-450, high=0)
    return IndicatorResult(total, lines, evidence=len(records))


def points_kind(scenario_key: str) -> str:
    """The ``RecordFact.kind`` of a ``scenario_points`` record of ``scenario_key``."""
    return f"scenario_points:{scenario_key}"


def _scenario_points(bonuses: Mapping[str, tuple[str, int]]) -> Indicator:
    """The ``scenario_points`` indicator for ``{scenario key: (scenario name, points)}``."""

    def compute(file: CreditFile, today: date) -> IndicatorResult:
        reasons: list[Reason] = []
        total, evidence = 0, 0
        for key, (name, points) in sorted(bonuses.items()):
            records = file.counting(today, points_kind(key))
            evidence += len(records)
            lines = [_line(r, points if r.result == "on_time" else -60) for r in records]
            gained, capped_lines = capped(lines, low=-300, high=30)
            total += gained
            reasons.extend(Reason(x.points, f"{name}: {x.text}", x.record_id)
                           for x in capped_lines)
        if not reasons:
            reasons.append(Reason(0, "无场景加分记录 nothing a scenario rewards"))
        return IndicatorResult(total, tuple(reasons), evidence=evidence)

    kinds = "、".join(f"{name} {points:+d}" for _, (name, points)
                     in sorted(bonuses.items())) or "none enabled"
    return Indicator(
        key="scenario_points", name_zh="场景加分", name_en="scenario credit points",
        description="Records a scenario rewards with a CreditPoints person measure add its points "
                    f"(up to +30 per kind), overdue ones −60: {kinds}.",
        compute=compute,
    )


def _doc(fn: object) -> str:
    return " ".join((getattr(fn, "__doc__", None) or "").split())


def personal_rule(bonuses: Mapping[str, tuple[str, int]]) -> GradingRule:
    """The personal rule; ``bonuses`` maps a scenario key to (its name, its CreditPoints)."""
    return GradingRule(
        scheme=SCHEME, version=VERSION, name_zh="个人信用", base_score=BASE_SCORE,
        indicators=(
            Indicator("payments", "按时还款", "paying on time", _doc(_payments),
                      _payments),
            _scenario_points(bonuses),
            Indicator("malicious_ratings", "恶意评价", "malicious ratings", _doc(_malicious),
                      _malicious),
        ),
        thresholds=THRESHOLDS,  # type: ignore[arg-type]
        min_evidence=0,
    )
