"""One row of a layout → a record candidate, or the row's problems (row, column, problem).

Everything that needs only the row itself is checked here: required cells, text, dates (not in
the future, not before 1990, validity periods in order), amounts, codes (check character), the
kind / severity / result of the record and its legal basis. What needs the database — does the
subject exist, is it in the department's region, does the name fit the code, is the key already
on file — is checked by ``pipeline`` in batches.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import msgspec

from xinyi_api.grading import kinds
from xinyi_api.imports import values
from xinyi_api.imports.layouts import Column, Layout
from xinyi_api.imports.values import CellError


@dataclass(frozen=True, slots=True)
class Problem:
    """One line of the row-level report."""

    row: int
    column: str
    """The column's Chinese header (or ``行`` for the row as a whole)."""
    code: str
    message: str
    value: str = ""


@dataclass(slots=True)
class Candidate:
    """A valid row, ready to be matched to its subject and staged."""

    row: int
    layout: str
    kind: str
    source_key: str
    uscc: str
    subject_name: str
    party_category: str
    store_id: str
    store_name: str
    industry: str
    severity: str | None
    result: str | None
    title: str
    content: str
    legal_basis: str
    occurred_on: date
    public_until: date
    withdraw: bool
    withdraw_reason: str
    fields: str
    """JSON text of the layout's other columns."""
    fingerprint: str
    check_problem: str | None = None
    """Set by the pipeline: a bad check character of a code that is otherwise well-formed."""


SEVERITIES = {"轻微": "minor", "一般": "general", "较重": "serious", "严重": "severe",
              "minor": "minor", "general": "general", "serious": "serious", "severe": "severe"}
RESULTS = {"合格": "pass", "责令整改": "rectify", "不合格": "fail",
           "pass": "pass", "rectify": "rectify", "fail": "fail"}
PARTY_CATEGORIES = {"法人及非法人组织": "organisation", "法人": "organisation",
                    "非法人组织": "organisation", "个体工商户": "individual",
                    "自然人": "person"}
LICENCE_CATEGORIES = frozenset({"普通", "特许", "认可", "核准", "登记", "其他"})
PENALTY_CATEGORIES = frozenset({
    "警告", "通报批评", "罚款", "没收违法所得", "没收非法财物", "没收违法所得、没收非法财物",
    "暂扣许可证件", "降低资质等级", "吊销许可证件", "暂扣或者吊销许可证", "暂扣或者吊销执照",
    "限制开展生产经营活动", "责令停产停业", "责令关闭", "限制从业", "行政拘留", "其他"})
MINOR_ONLY = frozenset({"警告", "通报批评"})
SERIOUS_ANY = frozenset({"吊销许可证件", "暂扣或者吊销许可证", "暂扣或者吊销执照", "责令关闭",
                         "限制从业", "责令停产停业", "限制开展生产经营活动", "降低资质等级",
                         "行政拘留"})
ACTIVE = frozenset({"", "有效", "1", "正常"})
WITHDRAWN = frozenset({"撤销", "无效", "2", "已撤销", "撤回"})
_CATEGORY_SPLIT = re.compile(r"[;；,，/、|]+")
STORE_ID = re.compile(r"S[0-9]{8}")
_NOT_IN_FIELDS = frozenset({"doc_no", "uscc", "subject_name", "status", "store_id", "store_name",
                            "industry", "basis", "decided_on"})
"""Columns that have a place of their own (the rest go to ``source_fields``)."""


def derive_severity(categories: list[str]) -> str:
    """失信严重程度 of a penalty that does not state it (docs/imports.md): 轻微 when it is only a
    警告 / 通报批评, 较重 when it takes a licence or stops the business, else 一般."""
    found = set(categories)
    if found and found <= MINOR_ONLY:
        return "minor"
    if found & SERIOUS_ANY:
        return "serious"
    return "general"


class RowChecker:
    """Checks rows of one layout for one department on one day."""

    def __init__(self, layout: Layout, today: date) -> None:
        self.layout = layout
        self.today = today
        self._columns = {c.key: c for c in layout.columns if c.kind != "ignored"}
        self._required = [c for c in layout.columns if c.required and not c.may_be_blank]
        self._codes: dict[str, str] = {}
        """Codes already checked (the same business and authority recur row after row)."""

    def check(self, row: int, cells: Mapping[str, Any]) -> Candidate | list[Problem]:
        """``cells``: column key → raw value (absent or blank: empty)."""
        problems: list[Problem] = []
        clean: dict[str, Any] = {}
        for key, raw in cells.items():
            column = self._columns.get(key)
            if column is None or raw is None or raw == "":
                continue
            try:
                value = self._cell(column, raw)
            except CellError as exc:
                problems.append(Problem(row, column.zh, exc.code, exc.message,
                                        values.as_text(raw)[:200]))
                clean[key] = None
                continue
            if value not in ("", None):
                clean[key] = value
        for column in self._required:
            if column.key not in clean:
                code = "missing-value"
                what = "必填项为空"
                if column.key == "basis":
                    code = "missing-legal-basis"
                    what = "缺少处罚依据" if self.layout.kind == "penalty" else "缺少依据"
                problems.append(Problem(row, column.zh, code, what))
        if problems:
            problems.sort(key=lambda p: self.layout.columns.index(self.layout.find(p.column)
                                                                  or self.layout.columns[0]))
            return problems
        return self._record(row, clean, problems)

    def _cell(self, column: Column, raw: Any) -> Any:
        if column.kind == "date":
            return values.parse_date(raw)
        if column.kind == "amount":
            return values.parse_amount(raw)
        if column.kind == "uscc":
            if isinstance(raw, str):
                known = self._codes.get(raw)
                if known is not None:
                    return known
            if raw is None or values.as_text(raw).strip() == "":
                return ""
            code = values.parse_uscc(raw)
            if isinstance(raw, str):
                if len(self._codes) > 100_000:
                    self._codes.clear()
                self._codes[raw] = code
            return code
        return values.text(raw, max_length=column.max_length,
                           single_line=column.kind != "free")

    def _problem(self, problems: list[Problem], row: int, key: str, code: str,
                 message: str, value: object = "") -> None:
        problems.append(Problem(row, self.layout.column(key).zh, code, message,
                                values.as_text(value)[:200]))

    def _record(self, row: int, c: dict[str, Any],
                problems: list[Problem]) -> Candidate | list[Problem]:
        layout, kind = self.layout, self.layout.kind
        decided: date = c["decided_on"]
        if decided > self.today:
            self._problem(problems, row, "decided_on", "date-in-future",
                          f"决定日期 {decided.isoformat()} 晚于今天({self.today.isoformat()})",
                          decided)
        category = c.get("party_category", "")
        party = PARTY_CATEGORIES.get(category) if category else None
        if category and party is None:
            self._problem(problems, row, "party_category", "invalid-category",
                          "行政相对人类别应为 法人及非法人组织、个体工商户 或 自然人", category)
        if party == "person":
            self._problem(problems, row, "party_category", "natural-person",
                          "自然人信息不在本系统归集范围(本系统只归集经营主体)", category)
        status = c.get("status", "")
        if status not in ACTIVE and status not in WITHDRAWN:
            self._problem(problems, row, "status", "invalid-status",
                          "当前状态应为 有效 或 撤销", status)
        withdraw = status in WITHDRAWN
        store_id = c.get("store_id", "")
        if store_id and not STORE_ID.fullmatch(store_id):
            self._problem(problems, row, "store_id", "invalid-store-id",
                          "门店编号应为 S 加 8 位数字,如 S00000042", store_id)
        stated_until: date | None = c.get("public_until")
        if stated_until is not None and stated_until < decided:
            self._problem(problems, row, "public_until", "date-out-of-range",
                          "公示截止期早于决定日期", stated_until)

        severity: str | None = None
        result: str | None = None
        legal_basis = c.get("basis", "")
        fields: dict[str, Any] = {"layout": layout.name}
        if kind == "penalty":
            categories = [p.strip() for p in _CATEGORY_SPLIT.split(c["penalty_category"])
                          if p.strip()]
            unknown = [p for p in categories if p not in PENALTY_CATEGORIES]
            if unknown:
                self._problem(problems, row, "penalty_category", "invalid-category",
                              "未知的处罚类别「" + "、".join(unknown) + "」", c["penalty_category"])
            severity = self._severity(row, c, problems) or derive_severity(categories)
            title = c["violation_type"]
            content = "\n".join(part for part in (
                f"违法事实:{c['facts']}", f"处罚类别:{c['penalty_category']}",
                f"处罚内容:{c['penalty_content']}",
                f"罚款金额:{c['fine']} 万元" if c.get("fine") else "") if part)
        elif kind == "licence":
            if c["licence_category"] not in LICENCE_CATEGORIES:
                self._problem(problems, row, "licence_category", "invalid-category",
                              "许可类别应为 普通、特许、认可、核准、登记 或 其他",
                              c["licence_category"])
            valid_from, valid_to = c.get("valid_from"), c.get("valid_to")
            if valid_from and valid_to and valid_to < valid_from:
                self._problem(problems, row, "valid_to", "date-out-of-range",
                              "有效期至早于有效期自", valid_to)
            title = c.get("certificate") or c.get("doc_name") or \
                f"{c['licence_category']}类行政许可"
            validity = ""
            if valid_from or valid_to:
                validity = (f"有效期:{valid_from.isoformat() if valid_from else '—'} 至 "
                            f"{valid_to.isoformat() if valid_to else '长期'}")
            content = "\n".join(p for p in (c["content"], validity) if p)
        elif kind == "inspection":
            result = RESULTS.get(c["result"])
            if result is None:
                self._problem(problems, row, "result", "invalid-result",
                              "检查结果应为 合格、责令整改 或 不合格", c["result"])
            severity = self._severity(row, c, problems)
            if result != "fail" and severity is not None:
                severity = None  # only a failed inspection counts with a severity
            if kinds.is_adverse(kind, result) and not legal_basis:
                self._problem(problems, row, "basis", "missing-legal-basis",
                              "责令整改或不合格的检查需要检查依据")
            title, content = c["title"], c.get("content", "")
        else:
            title, content = c["title"], c.get("content", "")
        if problems:
            return problems
        shape = kinds.validate_shape(kind, severity, result)
        if shape:  # pragma: no cover - the checks above keep every shape valid
            return [Problem(row, "行", "invalid-record", shape)]
        until = kinds.public_until(decided, kind, severity, result)
        if stated_until is not None and stated_until < until:
            until = stated_until
        for key, value in c.items():
            if key not in _NOT_IN_FIELDS and value is not None:
                fields[key] = value.isoformat() if isinstance(value, date) else value
        fields_json = msgspec.json.encode(fields, order="sorted").decode()
        withdraw_reason = c.get("remark") or f"数据来源部门在导入数据中标记为{status}"
        fingerprint = hashlib.blake2b(msgspec.json.encode([
            kind, c["uscc"], store_id, c.get("store_name", ""), severity, result, title,
            content, legal_basis, decided.isoformat(), until.isoformat(), withdraw,
            fields_json]), digest_size=16).hexdigest()
        return Candidate(
            row=row, layout=layout.name, kind=kind, source_key=c["doc_no"], uscc=c["uscc"],
            subject_name=c["subject_name"], party_category=party or "",
            store_id=store_id, store_name=c.get("store_name", ""),
            industry=c.get("industry", ""), severity=severity, result=result,
            title=title, content=content[:4000], legal_basis=legal_basis, occurred_on=decided,
            public_until=until, withdraw=withdraw,
            withdraw_reason=withdraw_reason[:500], fields=fields_json, fingerprint=fingerprint)

    def _severity(self, row: int, c: dict[str, Any], problems: list[Problem]) -> str | None:
        raw = c.get("severity", "")
        if not raw:
            return None
        severity = SEVERITIES.get(raw)
        if severity is None:
            self._problem(problems, row, "severity", "invalid-severity",
                          "失信严重程度应为 轻微、一般、较重 或 严重", raw)
        return severity
