"""信用+物业 (property services): property-service companies rated from several departments.

Seed 003 annex: "打通住建、市场监管、消防、城管等多部门数据链路开展信用评价……对信用等级高的物业
服务企业给予政策支持等激励措施,鼓励业主积极参与小区治理,按时交纳物业费". Owned by 市住建局
(``zjj``). Each department's records form one indicator, so the explanation shows where a grade
comes from; owners' ratings (业主评价) and 物业服务合同 performance complete it.

Residents' side: owners who pay the 物业费 on time earn personal-credit points — declared here as
a person-targeted measure; the personal-credit engine that applies it comes later.
"""

from __future__ import annotations

from datetime import date

from xinyi_api.scenarios.kit import (
    Basis,
    CreditFile,
    CreditPoints,
    Eligibility,
    IndicatorResult,
    InspectionFrequency,
    Priority,
    RatingDimension,
    RecordFact,
    Scenario,
    Supervision,
    indicator,
)
from xinyi_scenarios import _common as c
from xinyi_scenarios._common import business, person
from xinyi_scenarios._policy import (
    FEWER_INSPECTIONS,
    GRADED_SUPERVISION,
    HUAINAN_PLAN,
    KEY_ATTENTION,
    RECTIFICATION,
)

ANNEX = Basis(HUAINAN_PLAN, "附件 “信用+”场景·信用+物业",
              "对信用等级高的物业服务企业给予政策支持等激励措施")
OWNERS = Basis(HUAINAN_PLAN, "附件 “信用+”场景·信用+物业",
               "鼓励业主积极参与小区治理,按时交纳物业费,遵守小区规章制度")

# Department code prefixes of the four data sources (a district office shares the prefix).
HOUSING = ("zjj",)  # 住建
MARKET = ("scjg",)  # 市场监管
FIRE = ("xfjy",)  # 消防救援
URBAN = ("cgj",)  # 城管
ADVERSE = {"minor": -30, "general": -80, "serious": -160, "severe": -300}
FIRE_ADVERSE = {"minor": -50, "general": -120, "serious": -240, "severe": -400}


def _department_indicator(file: CreditFile, today: date, prefixes: tuple[str, ...],
                          what: str, table: dict[str, int]) -> IndicatorResult:
    records = [r for r in file.counting(today, "penalty", "inspection", "reward", "judicial")
               if c.from_department(r, prefixes)]
    if not records:
        return c.nothing_on_file(f"{what}记录")
    reasons = [c.reason(r, _points(r, table)) for r in records]
    points, lines = c.capped(reasons, low=-600, high=60)
    decisive = any(r.severity in c.DECISIVE and r.kind != "reward" for r in records)
    return IndicatorResult(points, lines, evidence=len(records), decisive=decisive)


def _points(r: RecordFact, table: dict[str, int]) -> int:
    if r.kind == "reward":
        return 30
    if r.kind == "inspection":
        if r.result == "pass":
            return 10
        if r.result == "rectify":
            return -30
    return table[r.severity or "general"]


@indicator("housing", "住建行业监管", "housing-authority supervision")
def housing(file: CreditFile, today: date) -> IndicatorResult:
    """住建部门记录 (资质、项目检查、处罚、表彰): 合格 +10, 表彰 +30, 整改 −30, penalties 30–300
    by severity; at most +60 / −600."""
    return _department_indicator(file, today, HOUSING, "住建部门", ADVERSE)


@indicator("market", "市场监管", "market regulation")
def market(file: CreditFile, today: date) -> IndicatorResult:
    """市场监管记录 (收费公示、合同格式条款、处罚): same points as 住建."""
    return _department_indicator(file, today, MARKET, "市场监管部门", ADVERSE)


@indicator("fire_safety", "消防安全", "fire safety")
def fire_safety(file: CreditFile, today: date) -> IndicatorResult:
    """消防部门记录 (消防通道、设施维护): weighs more — penalties and failures cost 50–400."""
    return _department_indicator(file, today, FIRE, "消防部门", FIRE_ADVERSE)


@indicator("urban_management", "城市管理", "urban management")
def urban_management(file: CreditFile, today: date) -> IndicatorResult:
    """城管记录 (垃圾分类、违章搭建、环境卫生): same points as 住建."""
    return _department_indicator(file, today, URBAN, "城管部门", ADVERSE)


@indicator("service_contracts", "物业服务合同履约", "service-contract performance")
def service_contracts(file: CreditFile, today: date) -> IndicatorResult:
    """物业服务合同: +10 per 履约 (up to +30), a 违约 costs 50–300 by severity."""
    records = file.counting(today, "contract")
    if not records:
        return c.nothing_on_file("合同履约记录")
    breach = {"minor": -50, "general": -100, "serious": -200, "severe": -300}
    reasons = [c.reason(r, 10 if r.result == "fulfilled" else breach[r.severity or "general"])
               for r in records]
    points, lines = c.capped(reasons, low=-400, high=30)
    return IndicatorResult(points, lines, evidence=len(records))


@indicator("owner_ratings", "业主评价", "owners' ratings")
def owner_ratings(file: CreditFile, today: date) -> IndicatorResult:
    """业主评价: (Bayesian mean − 3) × 50, at most ±100, from 10 published ratings; upheld
    owner complaints cost 20–150 each (at most −300)."""
    rated = c.ratings_points(file, per_star=50, cap=100, min_count=10, who="业主")
    complaints = file.counting(today, "complaint")
    table = {"minor": -20, "general": -40, "serious": -80, "severe": -150}
    complaint_points, complaint_lines = c.capped(
        [c.reason(r, table[r.severity or "general"]) for r in complaints], low=-300, high=0)
    return IndicatorResult(rated.points + complaint_points, rated.reasons + complaint_lines,
                           evidence=rated.evidence + len(complaints))


SCENARIO = Scenario(
    key="property",
    name_zh="信用+物业",
    name_en="Credit + property services",
    department="zjj",
    description="物业服务企业多部门联合信用评价;信用好的企业获政策支持、招投标优先,按时交费的业主"
                "获个人信用加分。",
    subject_types=("enterprise",),
    industries=("property_management",),
    rule_version="1",
    base_score=700,
    indicators=(housing, market, fire_safety, urban_management, service_contracts,
                owner_ratings),
    thresholds=(("A", 820), ("B", 680), ("C", 540)),
    dimensions=(
        RatingDimension("cleaning", "保洁绿化", "cleaning and greenery"),
        RatingDimension("security", "秩序维护", "security"),
        RatingDimension("repairs", "维修响应", "repairs"),
        RatingDimension("transparency", "收支公开", "fee transparency"),
    ),
    measures=(
        business("inspections_a", "incentive", ("A",), "减少日常检查,每年不超过1次",
                 InspectionFrequency(per_year=1), FEWER_INSPECTIONS),
        business("policy_support_a", "incentive", ("A",), "优先享受物业行业扶持政策、评优推荐",
                 Eligibility(programme="property_policy_support", eligible=True), ANNEX),
        business("bidding_priority_ab", "incentive", ("A", "B"),
                 "物业项目招投标中信用加分、同等条件下优先",
                 Priority(service="property_project_bidding"), ANNEX),
        business("inspections_b", "incentive", ("B",), "常规检查,每年不超过2次",
                 InspectionFrequency(per_year=2), GRADED_SUPERVISION),
        business("inspections_c", "constraint", ("C",), "提高检查频次,每年4次",
                 InspectionFrequency(per_year=4), GRADED_SUPERVISION),
        business("interview_cd", "constraint", ("C", "D"), "约谈企业负责人,限期整改",
                 Supervision(action="interview"), RECTIFICATION),
        business("inspections_d", "constraint", ("D",), "重点检查,每年6次",
                 InspectionFrequency(per_year=6), GRADED_SUPERVISION),
        business("key_supervision_d", "constraint", ("D",), "列为重点监管对象",
                 Supervision(action="key_supervision"), KEY_ATTENTION),
        business("no_policy_support_d", "constraint", ("D",), "暂停享受物业行业扶持政策",
                 Eligibility(programme="property_policy_support", eligible=False), ANNEX),
        person("fee_on_time_bonus", "incentive", ("A", "B", "C", "D", "unrated"),
               "按时交纳物业费的业主获个人信用加分", CreditPoints(points=5), OWNERS,
               condition="连续12个月按时足额交纳物业费(物业企业报送、业主确认)"),
    ),
)
