"""信用+旅游 (tourism): travel agencies, scenic spots, hotels and 民宿, restaurants, guides.

Seed 003 annex: "聚焦旅行社、景区景点、酒店民宿、餐饮购物、导游服务等核心业态,构建信用采集、分级
评价、差异监管、惠民激励、联合惩戒的全链条管理体系"; seed 004 §二(六)3 lets consumer complaints
feed the evaluation. Owned by 市文旅局 (``wlj``). Complaints weigh about twice what they weigh in
the public grade and tourist ratings up to ±100.

Consumers' side (惠民激励): 信易游 discounts and deposit-free check-in for people with a good
personal grade — declared here as person-targeted measures; redemption comes later.
"""

from __future__ import annotations

from datetime import date

from xinyi_api.scenarios.kit import (
    Badge,
    Basis,
    CreditFile,
    Discount,
    Eligibility,
    IndicatorResult,
    InspectionFrequency,
    RatingDimension,
    Reason,
    Scenario,
    Supervision,
    Waiver,
    indicator,
)
from xinyi_scenarios import _common as c
from xinyi_scenarios._common import business, person
from xinyi_scenarios._policy import (
    FEWER_INSPECTIONS,
    GRADED_SUPERVISION,
    HENAN_PLAN,
    HUAINAN_PLAN,
    JIANGSU_PLAN,
    KEY_ATTENTION,
    RECTIFICATION,
)

ANNEX = Basis(HUAINAN_PLAN, "附件 “信用+”场景·信用+旅游",
              "构建信用采集、分级评价、差异监管、惠民激励、联合惩戒的全链条管理体系")
XINYI_PLUS = Basis(HENAN_PLAN, "二(六)3 拓展“消费+信用”应用场景",
                   "基于消费者信用状况提供差异化商业折扣、减免租金押金等优惠")
COMPLAINTS_IN_RATING = Basis(
    HENAN_PLAN, "二(六)3 拓展“消费+信用”应用场景",
    "将消费者投诉信息纳入景区、涉旅文物单位、文艺院团、旅行社、导游等主体信用评价指标体系")
CULTURE = Basis(JIANGSU_PLAN, "九(二) 推进文化旅游体育行业信用建设",
                "加强文化旅游体育市场信用监管……建立健全严重失信主体惩戒机制")

COMPLAINT = {"minor": -25, "general": -60, "serious": -130, "severe": -250}
PENALTY = {"minor": -30, "general": -90, "serious": -180, "severe": -350}
INSPECTION_FAIL = {"minor": -40, "general": -90, "serious": -180, "severe": -350}


@indicator("complaints", "游客投诉", "tourist complaints")
def complaints(file: CreditFile, today: date) -> IndicatorResult:
    """查实的游客投诉 weigh heavily: −25 / −60 / −130 / −250 by severity, at most −500;
    a 严重 complaint (e.g. 强迫购物) grades alone."""
    records = file.counting(today, "complaint")
    if not records:
        return c.nothing_on_file("查实游客投诉")
    points, lines = c.capped([c.reason(r, COMPLAINT[r.severity or "general"]) for r in records],
                             low=-500, high=0)
    return IndicatorResult(points, lines, evidence=len(records),
                           decisive=any(r.severity == "severe" for r in records))


@indicator("tourist_ratings", "游客评价", "tourist ratings")
def tourist_ratings(file: CreditFile, today: date) -> IndicatorResult:
    """游客评价: (Bayesian mean − 3) × 50, at most ±100, from 5 published ratings."""
    return c.ratings_points(file, per_star=50, cap=100, min_count=5, who="游客")


@indicator("penalties", "行政处罚", "penalties")
def penalties(file: CreditFile, today: date) -> IndicatorResult:
    """行政处罚与司法 (文旅、市场监管、公安…): −30 / −90 / −180 / −350 by severity, at most −600."""
    records = file.counting(today, "penalty", "judicial")
    if not records:
        return c.nothing_on_file("行政处罚")
    return c.severity_points(records, PENALTY, low=-600)


@indicator("inspections", "文旅市场检查", "tourism-market inspections")
def inspections(file: CreditFile, today: date) -> IndicatorResult:
    """文旅市场检查: +15 per 合格 (up to +45), −40 per 责令整改, a 不合格 costs 40–350."""
    return c.inspection_points(file, today, per_pass=15, max_bonus=45, rectify=-40,
                               fail=INSPECTION_FAIL)


@indicator("qualifications", "经营资质与荣誉", "licences and honours")
def qualifications(file: CreditFile, today: date) -> IndicatorResult:
    """资质与荣誉: a licence (旅行社业务经营许可, 导游证…) +30; each reward (A级景区, 星级饭店,
    文明旅游示范) +30, at most +90."""
    reasons: list[Reason] = []
    licences = file.counting(today, "licence")
    if licences:
        reasons.append(c.reason(licences[0], 30))
    reasons.extend(c.reason(r, 30) for r in file.counting(today, "reward"))
    if not reasons:
        return c.nothing_on_file("资质或荣誉")
    points, lines = c.capped(reasons, low=0, high=90)
    return IndicatorResult(points, lines, evidence=len(reasons))


@indicator("commitments", "诚信经营承诺", "integrity commitments")
def commitments(file: CreditFile, today: date) -> IndicatorResult:
    """诚信经营承诺 (明码标价、不强迫购物): +20 kept, −80 broken, at most +40."""
    records = file.counting(today, "commitment")
    if not records:
        return c.nothing_on_file("诚信经营承诺")
    table = {"pending": 0, "kept": 20, "broken": -80}
    points, lines = c.capped([c.reason(r, table[r.result or "pending"]) for r in records],
                             low=-240, high=40)
    return IndicatorResult(points, lines, evidence=len(records))


SCENARIO = Scenario(
    key="tourism",
    name_zh="信用+旅游",
    name_en="Credit + tourism",
    department="wlj",
    description="旅行社、景区、酒店民宿、餐饮购物、导游的信用分级评价与差异监管;信用好的游客享受"
                "信易游优惠和免押金入住。",
    subject_types=("enterprise", "individual", "store"),
    industries=("travel_agency", "scenic_spot", "hotel", "homestay", "restaurant", "catering",
                "tourist_shopping", "tour_guide"),
    rule_version="1",
    base_score=700,
    indicators=(complaints, tourist_ratings, penalties, inspections, qualifications,
                commitments),
    thresholds=(("A", 820), ("B", 680), ("C", 540)),
    dimensions=(
        RatingDimension("service", "服务质量", "service"),
        RatingDimension("honesty", "诚信经营", "honest dealing"),
        RatingDimension("value", "物有所值", "value for money"),
        RatingDimension("environment", "环境卫生", "cleanliness"),
    ),
    measures=(
        business("inspections_a", "incentive", ("A",), "减少检查,每年不超过1次",
                 InspectionFrequency(per_year=1), FEWER_INSPECTIONS),
        business("trusted_badge_a", "incentive", ("A",), "授予“诚信旅游经营单位”标识,扫码可见",
                 Badge(code="tourism_trusted", label_zh="诚信旅游经营单位"), ANNEX),
        business("promotion_ab", "incentive", ("A", "B"), "优先纳入文旅惠民消费券、宣传推介",
                 Eligibility(programme="tourism_promotion", eligible=True), ANNEX),
        business("inspections_b", "incentive", ("B",), "常规检查,每年不超过2次",
                 InspectionFrequency(per_year=2), GRADED_SUPERVISION),
        business("inspections_c", "constraint", ("C",), "提高检查频次,每年4次",
                 InspectionFrequency(per_year=4), GRADED_SUPERVISION),
        business("interview_c", "constraint", ("C",), "约谈经营者,督促整改",
                 Supervision(action="interview"), RECTIFICATION),
        business("complaint_commitment_c", "constraint", ("C",),
                 "投诉较多:签署诚信经营承诺并公开",
                 Supervision(action="commitment"), COMPLAINTS_IN_RATING),
        business("inspections_d", "constraint", ("D",), "重点检查,每年6次",
                 InspectionFrequency(per_year=6), GRADED_SUPERVISION),
        business("key_supervision_d", "constraint", ("D",), "列为文旅市场重点监管对象",
                 Supervision(action="key_supervision"), KEY_ATTENTION),
        business("no_promotion_cd", "constraint", ("C", "D"), "暂停纳入惠民消费券和宣传推介",
                 Eligibility(programme="tourism_promotion", eligible=False), CULTURE),
        person("xinyiyou_discount_a", "incentive", ("A",),
               "信易游:参与景区门票九折优惠", Discount(percent=10, item="scenic_spot_ticket"),
               XINYI_PLUS, condition="在参与“信易游”的景区,出示个人信用码"),
        person("deposit_free_ab", "incentive", ("A", "B"), "信易游:参与酒店民宿免押金入住",
               Waiver(item="hotel_deposit"), XINYI_PLUS,
               condition="在参与“信易游”的酒店民宿,出示个人信用码"),
    ),
)
