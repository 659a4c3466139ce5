"""Record kinds, severities and results, with the public display period (公示期) rule.

The display period starts on the day the record occurred (the decision date of a penalty, the
date of an inspection) and lasts the number of months below. The penalty column follows the
national 信用修复 rules (轻微 at least 3 months, 一般 1 year, 严重 3 years); 较重 sits between at
2 years. A record leaves every public view the day after ``public_until`` and stops counting
towards grades then. ``docs/grading.md`` carries the same table.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Literal

RecordKind = Literal[
    "licence",  # 行政许可
    "penalty",  # 行政处罚
    "reward",  # 行政奖励
    "inspection",  # 监督检查
    "commitment",  # 信用承诺
    "contract",  # 合同履约
    "complaint",  # 投诉 (upheld)
    "judicial",  # 司法
]
Severity = Literal["minor", "general", "serious", "severe"]  # 轻微 / 一般 / 较重 / 严重
Result = Literal["pass", "rectify", "fail", "pending", "kept", "broken", "fulfilled", "breached"]
Status = Literal["active", "objected", "repaired", "withdrawn"]

KIND_LABELS: dict[str, str] = {
    "licence": "行政许可",
    "penalty": "行政处罚",
    "reward": "行政奖励",
    "inspection": "监督检查",
    "commitment": "信用承诺",
    "contract": "合同履约",
    "complaint": "投诉",
    "judicial": "司法",
}
SEVERITY_LABELS: dict[str, str] = {"minor": "轻微", "general": "一般", "serious": "较重",
                                   "severe": "严重"}
RESULT_LABELS: dict[str, str] = {
    "pass": "合格", "rectify": "责令整改", "fail": "不合格", "pending": "履行中",
    "kept": "已履行", "broken": "未履行", "fulfilled": "履约", "breached": "违约",
}
STATUS_LABELS: dict[str, str] = {"active": "有效", "objected": "异议处理中",
                                 "repaired": "已修复", "withdrawn": "已撤销"}

# Which results a kind takes; kinds not listed take none.
RESULTS_BY_KIND: dict[str, frozenset[str]] = {
    "inspection": frozenset({"pass", "rectify", "fail"}),
    "commitment": frozenset({"pending", "kept", "broken"}),
    "contract": frozenset({"fulfilled", "breached"}),
}

SEVERITY_MONTHS: dict[str, int] = {"minor": 3, "general": 12, "serious": 24, "severe": 36}
COMPLAINT_MONTHS: dict[str, int] = {"minor": 3, "general": 6, "serious": 12, "severe": 24}
POSITIVE_MONTHS = 36  # licences, rewards, commitments: shown for three years
INSPECTION_MONTHS = 12
CONTRACT_MONTHS = 12


def is_adverse(kind: str, result: str | None) -> bool:
    """A record that counts against the subject (失信 information)."""
    return kind in {"penalty", "judicial", "complaint"} or result in {"fail", "rectify",
                                                                       "broken", "breached"}


def validate_shape(kind: str, severity: str | None, result: str | None) -> str | None:
    """Return why the kind / severity / result combination is wrong, or ``None`` if it is fine."""
    allowed = RESULTS_BY_KIND.get(kind)
    if allowed is None and result is not None:
        return f"a {kind} record takes no result"
    if allowed is not None:
        if result is None:
            return f"a {kind} record needs a result: one of {', '.join(sorted(allowed))}"
        if result not in allowed:
            return f"result {result!r} does not fit a {kind} record ({', '.join(sorted(allowed))})"
    if is_adverse(kind, result) and kind != "inspection" and severity is None:
        return f"an adverse {kind} record needs a severity (minor/general/serious/severe)"
    return None


def display_months(kind: str, severity: str | None, result: str | None) -> int:
    """Length of the public display period (公示期) in months."""
    if kind in {"penalty", "judicial"}:
        return SEVERITY_MONTHS[severity or "general"]
    if kind == "complaint":
        return COMPLAINT_MONTHS[severity or "general"]
    if kind == "inspection":
        if result == "fail" and severity is not None:
            return max(INSPECTION_MONTHS, SEVERITY_MONTHS[severity])
        return INSPECTION_MONTHS
    if kind == "contract":
        return SEVERITY_MONTHS[severity or "general"] if result == "breached" else CONTRACT_MONTHS
    if kind == "commitment" and result == "broken":
        return SEVERITY_MONTHS[severity or "general"]
    return POSITIVE_MONTHS


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def public_until(occurred_on: date, kind: str, severity: str | None, result: str | None) -> date:
    """Last day the record is shown publicly."""
    end = add_months(occurred_on, display_months(kind, severity, result))
    return date.fromordinal(end.toordinal() - 1)
