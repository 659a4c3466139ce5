"""信用+先医后付 (treat first, pay later): hospitals and their patients.

Seed 004 §(七)2: "探索实施'信易医'便民措施,选取医院和诊疗项目分批开展试点,采用医保电子凭证和
预授权扣款等模式,提供'信用+先医后付''零等待支付'等服务". Owned by 市卫健委 (``wjw``).

The business side grades hospitals: only a well-run hospital is a 先医后付 pilot. Indicators
cover medical penalties, settlement performance of pay-later bills (refunds and reconciliation
with 医保), patients' complaints and ratings, and inspections.

The person side sets each patient's credit line by personal grade (个人信用) and suspends it
after an overdue bill: the person measures below are what ``bills.line_of`` reads. A pilot hospital
scans the patient's 动态个人信用码 and pre-authorises within the line (``routes.py``); the bills
live in this scenario's own tables (``migrations/``); ``bills.sync_overdue`` is the scenario's
``person_sync``, writing an overdue record on the patient's file once a bill is past due.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from xinyi_api.scenarios.kit import (
    Basis,
    CreditFile,
    CreditLine,
    Eligibility,
    IndicatorResult,
    InspectionFrequency,
    Priority,
    RatingDimension,
    Reason,
    Scenario,
    Supervision,
    Suspension,
    indicator,
)
from xinyi_scenarios import _common as c
from xinyi_scenarios._common import business, person
from xinyi_scenarios._policy import GRADED_SUPERVISION, HENAN_PLAN, JIANGSU_PLAN, RECTIFICATION
from xinyi_scenarios.pay_later.bills import person_data, sync_overdue
from xinyi_scenarios.pay_later.routes import PayLaterController

PAY_LATER = Basis(HENAN_PLAN, "二(七)2 加强医疗卫生行业信用建设",
                  "采用医保电子凭证和预授权扣款等模式,提供“信用+先医后付”“零等待支付”等服务")
MEDICAL_CREDIT = Basis(
    JIANGSU_PLAN, "九(二) 强化医疗卫生行业信用建设",
    "将医疗卫生机构信用评价结果与监督检查、等级评审、评优评先……相关联,实施守信激励和失信惩戒",
)

PENALTY = {"minor": -40, "general": -100, "serious": -200, "severe": -400}
BREACH = {"minor": -40, "general": -90, "serious": -180, "severe": -300}
COMPLAINT = {"minor": -15, "general": -40, "serious": -90, "severe": -180}
INSPECTION_FAIL = {"minor": -40, "general": -90, "serious": -180, "severe": -350}


@indicator("medical_penalties", "医疗行政处罚", "medical penalties")
def medical_penalties(file: CreditFile, today: date) -> IndicatorResult:
    """医疗行政处罚与司法 (卫健、医保、市场监管): −40 / −100 / −200 / −400 by severity,
    at most −600."""
    records = file.counting(today, "penalty", "judicial")
    if not records:
        return c.nothing_on_file("行政处罚")
    return c.severity_points(records, PENALTY, low=-600)


@indicator("settlement", "先医后付结算履约", "pay-later settlement performance")
def settlement(file: CreditFile, today: date) -> IndicatorResult:
    """结算履约: pay-later settlements reconciled on time +10 each (up to +40); a 违约 (wrong
    pre-authorisation, late refund to a patient) costs 40–300 by severity."""
    records = file.counting(today, "contract")
    if not records:
        return c.nothing_on_file("结算履约记录")
    reasons = [c.reason(r, 10 if r.result == "fulfilled" else BREACH[r.severity or "general"])
               for r in records]
    points, lines = c.capped(reasons, low=-400, high=40)
    return IndicatorResult(points, lines, evidence=len(records))


@indicator("patient_voice", "患者评价与投诉", "patients' ratings and complaints")
def patient_voice(file: CreditFile, today: date) -> IndicatorResult:
    """患者评价: (Bayesian mean − 3) × 40, at most ±80, from 10 ratings; upheld complaints cost
    15–180 by severity, at most −300."""
    rated = c.ratings_points(file, per_star=40, cap=80, min_count=10, who="患者")
    records = file.counting(today, "complaint")
    points, lines = c.capped([c.reason(r, COMPLAINT[r.severity or "general"]) for r in records],
                             low=-300, high=0)
    return IndicatorResult(rated.points + points, rated.reasons + lines,
                           evidence=rated.evidence + len(records))


@indicator("inspections", "医疗质量检查", "medical-quality inspections")
def inspections(file: CreditFile, today: date) -> IndicatorResult:
    """医疗质量与院感检查: +15 per 合格 (up to +45), −40 per 责令整改, a 不合格 costs 40–350."""
    return c.inspection_points(file, today, per_pass=15, max_bonus=45, rectify=-40,
                               fail=INSPECTION_FAIL)


@indicator("licence", "医疗机构执业许可", "practice licence")
def licence(file: CreditFile, today: date) -> IndicatorResult:
    """医疗机构执业许可证: +30 on file; without one the hospital cannot be a pilot (−100)."""
    records = file.counting(today, "licence")
    if not records:
        return IndicatorResult(-100, (Reason(-100, "未见医疗机构执业许可 no practice licence"),))
    return IndicatorResult(30, (c.reason(records[0], 30),), evidence=len(records))


SCENARIO = Scenario(
    key="pay_later",
    name_zh="信用+先医后付",
    name_en="Credit + treat first, pay later",
    department="wjw",
    description="信用好的医院开展“先医后付”试点;信用好的患者凭个人信用码先就医、后付费,"
                "额度按个人信用等级确定,逾期暂停。",
    subject_types=("enterprise", "store"),
    industries=("hospital",),
    rule_version="1",
    base_score=720,
    indicators=(medical_penalties, settlement, patient_voice, inspections, licence),
    thresholds=(("A", 830), ("B", 700), ("C", 560)),
    dimensions=(
        RatingDimension("treatment", "诊疗服务", "treatment"),
        RatingDimension("billing", "收费透明", "billing transparency"),
        RatingDimension("waiting", "候诊效率", "waiting time"),
    ),
    measures=(
        business("pilot_ab", "incentive", ("A", "B"), "纳入“先医后付”试点医院",
                 Eligibility(programme="pay_later_pilot", eligible=True), PAY_LATER),
        business("zero_wait_a", "incentive", ("A",), "优先开通“零等待支付”",
                 Priority(service="zero_wait_payment"), PAY_LATER),
        business("inspections_a", "incentive", ("A",), "减少医疗质量检查,每年不超过1次",
                 InspectionFrequency(per_year=1), MEDICAL_CREDIT),
        business("inspections_b", "incentive", ("B",), "常规检查,每年不超过2次",
                 InspectionFrequency(per_year=2), GRADED_SUPERVISION),
        business("no_pilot_cd", "constraint", ("C", "D"), "暂停“先医后付”试点资格",
                 Eligibility(programme="pay_later_pilot", eligible=False), MEDICAL_CREDIT),
        business("inspections_c", "constraint", ("C",), "提高检查频次,每年4次",
                 InspectionFrequency(per_year=4), GRADED_SUPERVISION),
        business("inspections_d", "constraint", ("D",), "重点检查,每年6次",
                 InspectionFrequency(per_year=6), GRADED_SUPERVISION),
        business("rectification_d", "constraint", ("D",), "限期整改结算问题",
                 Supervision(action="rectification"), RECTIFICATION),
        person("credit_line_a", "incentive", ("A",), "先医后付信用额度 3000 元",
               CreditLine(yuan=3000, service="pay_later"), PAY_LATER,
               condition="在试点医院出示动态个人信用码并授权预授权扣款"),
        person("credit_line_b", "incentive", ("B",), "先医后付信用额度 1000 元",
               CreditLine(yuan=1000, service="pay_later"), PAY_LATER,
               condition="在试点医院出示动态个人信用码并授权预授权扣款"),
        person("line_suspended_d", "constraint", ("D",), "逾期未结清:暂停先医后付额度,结清后恢复",
               Suspension(service="pay_later"), PAY_LATER,
               condition="先医后付账单逾期未结清(记入个人信用记录)"),
    ),
    migrations=Path(__file__).with_name("migrations"),
    route_handlers=(PayLaterController,),
    person_sync=sync_overdue,
    person_data=person_data,
)
