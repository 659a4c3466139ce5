"""信用+家政 (housekeeping services): a department's own xinyi-api scenario — the tutorial.

Seed 003 lists 信用+家政 among the scenarios departments will add. This package is what
``xinyi-api scenarios new housekeeping --name-zh 信用+家政 --name-en "Credit + housekeeping
services" --department swj`` writes, filled in (docs/scenario-kit.md, "From skeleton to
tutorial"): the bases of its measures, two more indicators (upheld complaints, licence), its
thresholds, names and badge. Everything it uses of xinyi-api comes from
``xinyi_api.scenarios.kit``: 市商务局 (``swj``) records staff reports through its own endpoint
(``routes.py``) into its own table (``data.py``, ``migrations/``), and the grades carry the
放心家政 badge, fewer inspections or an interview.
"""

from __future__ import annotations

from datetime import date

from xinyi_api.scenarios.kit import (
    Badge,
    Basis,
    CreditFile,
    IndicatorResult,
    Industry,
    InspectionFrequency,
    Measure,
    Reason,
    Scenario,
    Supervision,
    indicator,
)

from xinyi_scenario_housekeeping.data import (
    INDUSTRIES,
    KEY,
    MIGRATIONS,
    Settings,
    load_worker_checks,
)
from xinyi_scenario_housekeeping.routes import WorkerCheckController

__all__ = ["KEY", "SCENARIO"]

# 依据 (basis): the policy document, with its number, and the article that grant each measure
# (于法于规有据). `xinyi-api scenarios check` and xinyi-api itself refuse the scenario while a
# basis still reads 待填写.
XINYI_PLUS = Basis(document="安徽省推进社会信用体系建设高质量发展行动方案",
                   article="二(一)3",
                   quote="在医疗养老、家政服务、体育健身、旅游购物等领域创新“信易+”产品服务")
GRADED = Basis(document="国务院办公厅关于加快推进社会信用体系建设构建以信用为基础的新型监管机制"
                        "的指导意见(国办发〔2019〕35号)",
               article="三(七) 大力推进信用分级分类监管")


@indicator("certified_staff", "持证上岗率", "certified staff")
def certified_staff(file: CreditFile, today: date) -> IndicatorResult:
    """持证上岗率 from the latest staff report: ≥ 90 % +60, ≥ 60 % +20, below −60."""
    report = file.extra.get(KEY)
    if report is None:
        return IndicatorResult(0, (Reason(0, "未报送从业人员情况 no staff report"),))
    ratio = report["certified_workers"] / report["workers"]
    points = 60 if ratio >= 0.9 else 20 if ratio >= 0.6 else -60
    text = (f"持证上岗 {report['certified_workers']}/{report['workers']} 人 ({ratio:.0%}),"
            f"{report['reported_on'].isoformat()} 报送")
    return IndicatorResult(points, (Reason(points, text),), evidence=1)


@indicator("complaints", "服务投诉", "upheld complaints")
def complaints(file: CreditFile, today: date) -> IndicatorResult:
    """查实的服务投诉: −30 / −60 / −120 / −240 by severity."""
    table = {"minor": -30, "general": -60, "serious": -120, "severe": -240}
    records = file.counting(today, "complaint")
    reasons = tuple(Reason(table[r.severity or "general"], f"投诉「{r.title}」", r.id)
                    for r in records)
    return IndicatorResult(sum(r.points for r in reasons), reasons, evidence=len(records))


@indicator("licence", "营业执照与许可", "licence")
def licence(file: CreditFile, today: date) -> IndicatorResult:
    """A licence in its display period: +40."""
    records = file.counting(today, "licence")
    if not records:
        return IndicatorResult(0, (Reason(0, "无行政许可"),))
    return IndicatorResult(40, (Reason(40, f"许可「{records[0].title}」", records[0].id),),
                           evidence=1)


SCENARIO = Scenario(
    key=KEY,
    name_zh="信用+家政",
    name_en="Credit + housekeeping services",
    department="swj",
    description="家政服务企业信用评价:持证上岗、服务投诉、许可;放心家政标识。",
    subject_types=("enterprise", "individual", "store"),
    industries=INDUSTRIES,
    new_industries=(
        Industry(KEY, "家政服务", "housekeeping"),
    ),
    rule_version="1",
    base_score=700,
    indicators=(certified_staff, complaints, licence),
    # Minimum score per grade, best first; below the last is D.
    thresholds=(("A", 780), ("B", 650), ("C", 520)),
    # Facts a grade needs (else 暂无评级): two of staff report, complaints and licence.
    min_evidence=2,
    measures=(
        Measure(key="trusted_badge", kind="incentive", target="business", grades=("A",),
                title_zh="“放心家政”标识",
                effect=Badge(code=f"{KEY}_trusted",
                             label_zh="放心家政"),
                basis=XINYI_PLUS),
        Measure(key="inspections_a", kind="incentive", target="business", grades=("A",),
                title_zh="每年检查不超过1次", effect=InspectionFrequency(per_year=1),
                basis=GRADED),
        Measure(key="interview_cd", kind="constraint", target="business", grades=("C", "D"),
                title_zh="约谈整改", effect=Supervision(action="interview"), basis=GRADED),
    ),
    loader=load_worker_checks,
    migrations=MIGRATIONS,
    route_handlers=(WorkerCheckController,),
    settings=Settings,
)
