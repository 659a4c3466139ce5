"""信用+牛肉汤产业 (Huainan beef-soup industry): one credit file per shop (一店一档).

Seed 003 annex: "归集牛肉汤企业的信用信息,建立'一店一档'信用档案。制定信用评价指标,将评价结果与
监管频次、评优推荐、政策扶持挂钩". Owned by 市场监管 (``scjg``). Indicators weigh food-safety
inspections and the 食品经营许可 most, then penalties, consumer ratings, upheld complaints and the
shop's 诚信经营承诺. Grade A earns the 诚信示范店 badge shown when a consumer scans the code.
"""

from __future__ import annotations

from datetime import date

from xinyi_api.scenarios.kit import (
    Badge,
    Basis,
    CreditFile,
    Eligibility,
    IndicatorResult,
    InspectionFrequency,
    RatingDimension,
    Reason,
    Scenario,
    Supervision,
    indicator,
)
from xinyi_scenarios import _common as c
from xinyi_scenarios._common import business
from xinyi_scenarios._policy import (
    FEWER_INSPECTIONS,
    GRADED_SUPERVISION,
    HUAINAN_PLAN,
    KEY_ATTENTION,
    RECTIFICATION,
)

ANNEX = Basis(HUAINAN_PLAN, "附件 “信用+”场景·信用+牛肉汤产业",
              "制定信用评价指标,将评价结果与监管频次、评优推荐、政策扶持挂钩")

FOOD_FAIL = {"minor": -40, "general": -90, "serious": -180, "severe": -350}
PENALTY = {"minor": -30, "general": -90, "serious": -180, "severe": -350}
COMPLAINT = {"minor": -15, "general": -35, "serious": -80, "severe": -150}


@indicator("food_inspections", "食品安全监督检查", "food-safety inspections")
def food_inspections(file: CreditFile, today: date) -> IndicatorResult:
    """食品安全监督检查: +20 per 合格 (up to +60), −50 per 责令整改, a 不合格 costs 40–350 points
    by severity; a 较重/严重 failure grades alone."""
    return c.inspection_points(file, today, per_pass=20, max_bonus=60, rectify=-50,
                               fail=FOOD_FAIL)


@indicator("food_licence", "食品经营许可", "food business licence")
def food_licence(file: CreditFile, today: date) -> IndicatorResult:
    """食品经营许可: +40 with a licence in its display period, −60 without one (a soup shop must
    hold one)."""
    records = file.counting(today, "licence")
    if not records:
        return IndicatorResult(-60, (Reason(-60, "未见在公示期内的食品经营许可 no licence"),))
    return IndicatorResult(40, (c.reason(records[0], 40),), evidence=len(records))


@indicator("penalties", "行政处罚", "penalties")
def penalties(file: CreditFile, today: date) -> IndicatorResult:
    """行政处罚与司法: −30 / −90 / −180 / −350 by severity (轻微/一般/较重/严重), at most −600."""
    records = file.counting(today, "penalty", "judicial")
    if not records:
        return c.nothing_on_file("行政处罚")
    return c.severity_points(records, PENALTY, low=-600)


@indicator("consumer_ratings", "消费者评价", "consumer ratings")
def consumer_ratings(file: CreditFile, today: date) -> IndicatorResult:
    """消费者评价 (口味/卫生/服务/明码标价): (Bayesian mean − 3) × 40, at most ±80, from 5
    published ratings."""
    return c.ratings_points(file, per_star=40, cap=80, min_count=5)


@indicator("complaints", "消费投诉", "upheld complaints")
def complaints(file: CreditFile, today: date) -> IndicatorResult:
    """查实的消费投诉: −15 / −35 / −80 / −150 by severity, at most −300."""
    records = file.counting(today, "complaint")
    if not records:
        return c.nothing_on_file("查实投诉")
    points, lines = c.capped([c.reason(r, COMPLAINT[r.severity or "general"]) for r in records],
                             low=-300, high=0)
    return IndicatorResult(points, lines, evidence=len(records))


@indicator("commitments", "诚信经营承诺", "integrity commitments")
def commitments(file: CreditFile, today: date) -> IndicatorResult:
    """诚信经营承诺: +15 signed and being kept, +25 kept, −80 broken (at most +40)."""
    records = file.counting(today, "commitment")
    if not records:
        return c.nothing_on_file("诚信经营承诺")
    points_by_result = {"pending": 15, "kept": 25, "broken": -80}
    reasons = [c.reason(r, points_by_result.get(r.result or "pending", 0)) for r in records]
    points, lines = c.capped(reasons, low=-240, high=40)
    return IndicatorResult(points, lines, evidence=len(records))


SCENARIO = Scenario(
    key="beef_soup",
    name_zh="信用+牛肉汤产业",
    name_en="Credit + Huainan beef soup",
    department="scjg",
    description="淮南牛肉汤店一店一档信用评价,结果与监管频次、评优推荐、政策扶持挂钩。",
    subject_types=("store", "individual", "enterprise"),
    industries=("beef_soup",),
    rule_version="1",
    base_score=700,
    indicators=(food_inspections, food_licence, penalties, consumer_ratings, complaints,
                commitments),
    thresholds=(("A", 820), ("B", 680), ("C", 540)),
    dimensions=(
        RatingDimension("taste", "口味", "taste"),
        RatingDimension("hygiene", "卫生", "hygiene"),
        RatingDimension("service", "服务", "service"),
        RatingDimension("pricing", "明码标价", "clear pricing"),
    ),
    measures=(
        business("inspections_a", "incentive", ("A",), "双随机抽查每年不超过1次",
                 InspectionFrequency(per_year=1), FEWER_INSPECTIONS),
        business("model_store_badge", "incentive", ("A",), "授予“诚信示范店”标识,扫码可见",
                 Badge(code="beef_soup_model_store", label_zh="诚信示范店"), ANNEX),
        business("excellence_a", "incentive", ("A",), "优先推荐参加评优评先(淮南牛肉汤名店)",
                 Eligibility(programme="excellence_recommendation", eligible=True), ANNEX),
        business("support_ab", "incentive", ("A", "B"), "可申请产业政策扶持(品牌推广、展会补贴)",
                 Eligibility(programme="industry_policy_support", eligible=True), ANNEX),
        business("inspections_b", "incentive", ("B",), "常规频次抽查,每年不超过2次",
                 InspectionFrequency(per_year=2), GRADED_SUPERVISION),
        business("inspections_c", "constraint", ("C",), "提高抽查频次,每年4次",
                 InspectionFrequency(per_year=4), GRADED_SUPERVISION),
        business("interview_c", "constraint", ("C",), "提示约谈,督促整改",
                 Supervision(action="interview"), RECTIFICATION),
        business("inspections_d", "constraint", ("D",), "列入重点检查,每年6次",
                 InspectionFrequency(per_year=6), GRADED_SUPERVISION),
        # 重点关注对象名单 is a list the plan publishes: consumers see it on the scan.
        business("key_supervision_d", "constraint", ("D",), "列为重点监管对象",
                 Supervision(action="key_supervision"), KEY_ATTENTION, audience="public"),
        business("no_excellence_cd", "constraint", ("C", "D"), "暂停评优推荐资格",
                 Eligibility(programme="excellence_recommendation", eligible=False), ANNEX),
        business("no_support_d", "constraint", ("D",),
                 "暂不享受产业政策扶持",
                 Eligibility(programme="industry_policy_support", eligible=False), ANNEX),
    ),
)
