"""信用修复 repair rules: the minimum public period (最短公示期) before a record can be repaired.

Follows 国家发展改革委《失信行为纠正后的信用信息修复管理办法(试行)》(2023, 第58号令): a
行政处罚 for 一般失信 is shown at least 3 months from the decision before repair, one for 严重失信
at least 1 year. 轻微 records may be repaired as soon as the fault is corrected (the national
rules do not publish them at all); 较重 sits between at 6 months. The same minimum applies to
every adverse record of that severity (an adverse record without a severity counts as 一般).
Each minimum is shorter than the display period in ``grading/kinds.py`` (3/12/24/36 months),
so repair always ends a record's public display early. ``docs/accountability.md`` has the table.

``repair_guidance`` is what a department hands over with a penalty (两书同达: the decision and
the repair notice together).
"""

from __future__ import annotations

from datetime import date

import msgspec

from xinyi_api.grading import kinds

MIN_PUBLIC_MONTHS: dict[str, int] = {"minor": 0, "general": 3, "serious": 6, "severe": 12}
BASIS = "国家发展改革委《失信行为纠正后的信用信息修复管理办法(试行)》(2023年第58号令)"


class RepairGuidance(msgspec.Struct, kw_only=True):
    """信用修复告知 repair guidance: when and how the subject can repair this record."""

    repairable: bool
    minimum_public_months: int
    earliest_repair_on: date
    public_until: date
    how: str
    basis: str = BASIS


def minimum_months(severity: str | None) -> int:
    return MIN_PUBLIC_MONTHS[severity or "general"]


def earliest_repair_on(occurred_on: date, severity: str | None) -> date:
    """The first day a repair application is accepted (最短公示期届满)."""
    return kinds.add_months(occurred_on, minimum_months(severity))


def repair_guidance(
    kind: str, severity: str | None, result: str | None, occurred_on: date, public_until: date
) -> RepairGuidance | None:
    """The guidance for an adverse record; ``None`` for records that need no repair."""
    if not kinds.is_adverse(kind, result):
        return None
    months = minimum_months(severity)
    earliest = earliest_repair_on(occurred_on, severity)
    return RepairGuidance(
        repairable=earliest <= public_until,
        minimum_public_months=months,
        earliest_repair_on=earliest,
        public_until=public_until,
        how=(
            f"纠正失信行为、消除不良影响后,自 {earliest.isoformat()} 起可通过 "
            "POST /api/v1/records/{record_id}/repairs 提交信用修复申请(附整改证明材料并签署"
            "信用修复承诺书),由作出决定的部门限时办结;修复后该记录不再公示。"
            f" After correcting the fault, apply from {earliest.isoformat()} with evidence "
            "and a 信用修复型 commitment; once approved the record leaves public view."
        ),
    )
