"""信用+医保 (medical insurance): DIP designated medical institutions and retail pharmacies.

Seed 003 annex: "建立DIP试点医疗机构信用评价指标,从履约情况、处罚情况、服务资格、媒体曝光等渠道
进行数据采集,按照评价结果的不同等级开展分级分类监管,进一步优化评价指标,减少线下指标,增加线上
指标". Owned by 市医保局 (``ybj``). The four channels are the four main indicators; online
(智能监控) inspection results are a fifth, so offline data weighs less.

Besides credit records this scenario keeps its own data — the 医保服务协议 status and 媒体曝光
reports — in its own tables (``migrations/``), loaded by ``data.py`` and written by ``ybj``
through its own endpoints (``routes.py``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from xinyi_api.scenarios.kit import (
    Basis,
    CreditFile,
    Eligibility,
    IndicatorResult,
    InspectionFrequency,
    Priority,
    Reason,
    Scenario,
    Supervision,
    Suspension,
    indicator,
)
from xinyi_scenarios import _common as c
from xinyi_scenarios._common import business
from xinyi_scenarios._policy import (
    GRADED_SUPERVISION,
    HUAINAN_PLAN,
    JIANGSU_PLAN,
    KEY_ATTENTION,
    RECTIFICATION,
)
from xinyi_scenarios.medical_insurance.data import (
    INDUSTRIES,
    KEY,
    SUBJECT_TYPES,
    load_medical_insurance_data,
)
from xinyi_scenarios.medical_insurance.routes import MedicalInsuranceController

ANNEX = Basis(HUAINAN_PLAN, "附件 “信用+”场景·信用+医保",
              "按照评价结果的不同等级开展分级分类监管")
FUND_LINK = Basis(
    JIANGSU_PLAN, "九(二) 强化医疗卫生行业信用建设",
    "将医疗卫生机构信用评价结果与监督检查、等级评审、评优评先、预算管理、定点医保单位协议管理和"
    "医保基金拨付等相关联,实施守信激励和失信惩戒",
)

BREACH = {"minor": -50, "general": -100, "serious": -200, "severe": -300}
FUND_PENALTY = {"minor": -50, "general": -120, "serious": -250, "severe": -400}
OTHER_PENALTY = {"minor": -30, "general": -80, "serious": -150, "severe": -300}
EXPOSURE = {"minor": -20, "general": -50, "serious": -100, "severe": -200}
INSPECTION_FAIL = {"minor": -40, "general": -80, "serious": -160, "severe": -300}
FUND_DEPARTMENTS = ("ybj", "yb")


def _own(file: CreditFile) -> dict[str, Any]:
    data: dict[str, Any] = file.extra.get(KEY) or {"agreement": None, "exposures": []}
    return data


@indicator("performance", "履约情况", "agreement performance")
def performance(file: CreditFile, today: date) -> IndicatorResult:
    """履约情况: 医保服务协议 performance records — +15 per 履约 (up to +60), a 违约 costs
    50–300 points by severity; a 较重/严重 breach grades alone."""
    records = file.counting(today, "contract")
    if not records:
        return c.nothing_on_file("协议履约记录")
    reasons = [c.reason(r, 15 if r.result == "fulfilled" else BREACH[r.severity or "general"])
               for r in records]
    points, lines = c.capped(reasons, low=-400, high=60)
    decisive = any(r.result == "breached" and r.severity in c.DECISIVE for r in records)
    return IndicatorResult(points, lines, evidence=len(records), decisive=decisive)


@indicator("penalties", "处罚情况", "penalties")
def penalties(file: CreditFile, today: date) -> IndicatorResult:
    """处罚情况: penalties by 医保部门 (fund fraud, 欺诈骗保) cost 50–400 points by severity,
    other departments' 30–300; at most −600."""
    records = file.counting(today, "penalty", "judicial")
    if not records:
        return c.nothing_on_file("行政处罚")
    reasons = [
        c.reason(r, FUND_PENALTY[r.severity or "general"], "(医保基金)")
        if c.from_department(r, FUND_DEPARTMENTS)
        else c.reason(r, OTHER_PENALTY[r.severity or "general"])
        for r in records
    ]
    points, lines = c.capped(reasons, low=-600, high=0)
    return IndicatorResult(points, lines, evidence=len(records),
                           decisive=any(r.severity in c.DECISIVE for r in records))


@indicator("qualification", "服务资格", "service qualification")
def qualification(file: CreditFile, today: date) -> IndicatorResult:
    """服务资格: 医保服务协议 in force +40, suspended (暂停) −200, terminated (解除) −400 (both
    decisive); a 执业许可 on file +20."""
    reasons: list[Reason] = []
    evidence = 0
    decisive = False
    agreement = _own(file)["agreement"]
    if agreement is None:
        reasons.append(Reason(0, "未登记医保服务协议 no agreement on file"))
    else:
        points = {"in_force": 40, "suspended": -200, "terminated": -400}[agreement["status"]]
        label = {"in_force": "有效", "suspended": "暂停", "terminated": "解除"}
        reasons.append(Reason(points, f"医保服务协议 {agreement['agreement_no']} "
                                      f"{label[agreement['status']]}"
                                      f"(自 {agreement['status_since'].isoformat()})"))
        evidence += 1
        decisive = agreement["status"] != "in_force"
    licences = file.counting(today, "licence")
    if licences:
        reasons.append(c.reason(licences[0], 20))
        evidence += 1
    return IndicatorResult(sum(r.points for r in reasons), tuple(reasons), evidence=evidence,
                           decisive=decisive)


@indicator("media", "媒体曝光", "media exposure")
def media(file: CreditFile, today: date) -> IndicatorResult:
    """媒体曝光: verified reports of the last 12 months cost 20–200 points by severity (at most
    −300); unverified reports are listed but do not count until 核实."""
    exposures = _own(file)["exposures"]
    if not exposures:
        return IndicatorResult(0, (Reason(0, "近12个月无媒体曝光 no media exposure"),))
    reasons = []
    for e in exposures:
        text = f"媒体曝光「{e['title']}」({e['outlet']}, {e['reported_on'].isoformat()})"
        if e["verified"]:
            reasons.append(Reason(EXPOSURE[e["severity"]], text))
        else:
            reasons.append(Reason(0, text + " 待核实,不计分"))
    points, lines = c.capped(reasons, low=-300, high=0)
    return IndicatorResult(points, lines, evidence=sum(1 for e in exposures if e["verified"]))


@indicator("online_monitoring", "智能监控与检查", "online monitoring and inspections")
def online_monitoring(file: CreditFile, today: date) -> IndicatorResult:
    """智能监控与检查: +10 per 合格 check (up to +40), −30 per 责令整改, a 不合格 costs 40–300
    by severity."""
    return c.inspection_points(file, today, per_pass=10, max_bonus=40, rectify=-30,
                               fail=INSPECTION_FAIL)


SCENARIO = Scenario(
    key=KEY,
    name_zh="信用+医保",
    name_en="Credit + medical insurance (DIP)",
    department="ybj",
    description="DIP 定点医药机构医保信用评价,按等级分级分类监管,与协议管理和医保基金拨付挂钩。",
    subject_types=SUBJECT_TYPES,
    industries=INDUSTRIES,
    rule_version="1",
    base_score=750,
    indicators=(performance, penalties, qualification, media, online_monitoring),
    thresholds=(("A", 850), ("B", 720), ("C", 580)),
    measures=(
        business("inspections_a", "incentive", ("A",), "降低现场检查频次,每年不超过1次",
                 InspectionFrequency(per_year=1), ANNEX),
        business("settlement_priority_a", "incentive", ("A",), "医保基金优先拨付(预付金优先)",
                 Priority(service="medical_insurance_fund_settlement"), FUND_LINK),
        business("agreement_renewal_a", "incentive", ("A", "B"),
                 "协议续签简化程序、优先纳入DIP试点",
                 Eligibility(programme="dip_pilot", eligible=True), FUND_LINK),
        business("inspections_b", "incentive", ("B",), "常规检查,每年不超过2次",
                 InspectionFrequency(per_year=2), ANNEX),
        business("inspections_c", "constraint", ("C",), "提高检查频次,每年4次",
                 InspectionFrequency(per_year=4), GRADED_SUPERVISION),
        business("interview_c", "constraint", ("C",), "协议管理:约谈医药机构负责人",
                 Supervision(action="interview"), RECTIFICATION),
        business("inspections_d", "constraint", ("D",), "重点检查,每年6次",
                 InspectionFrequency(per_year=6), GRADED_SUPERVISION),
        business("rectification_d", "constraint", ("D",), "协议管理:限期整改",
                 Supervision(action="rectification"), FUND_LINK),
        business("key_supervision_d", "constraint", ("D",), "列为医保基金重点监管对象",
                 Supervision(action="key_supervision"), KEY_ATTENTION),
        business("prepayment_suspended_d", "constraint", ("D",), "暂停医保基金预付(整改合格后恢复)",
                 Suspension(service="medical_insurance_fund_prepayment"), FUND_LINK),
    ),
    loader=load_medical_insurance_data,
    migrations=Path(__file__).with_name("migrations"),
    route_handlers=(MedicalInsuranceController,),
)
