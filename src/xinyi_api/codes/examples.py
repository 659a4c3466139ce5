"""A realistic scan profile for the OpenAPI document, built from the response types themselves.

Built as structs, not written as JSON, so mypy keeps it in step with ``schemas.ScanProfile``: a
field added there fails the type check here until the example shows it too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import msgspec

from xinyi_api.codes import schemas


def scan_profile_example() -> schemas.ScanProfile:
    """A beef-soup store in 田家庵区, graded B, with one penalty on file and a few ratings."""
    return schemas.ScanProfile(
        subject_id="S00000420",
        subject_type="store",
        enterprise=schemas.ScanEnterprise(id="E00000042", name="淮南老韩家牛肉汤有限公司",
                                          kind="enterprise", uscc="91340403MA0000701X",
                                          closed=False),
        store=schemas.ScanStore(id="S00000420", name="老韩家牛肉汤(洞山店)", closed=False),
        name="老韩家牛肉汤(洞山店)",
        address="田家庵区洞山中路 88 号",
        region_code="340403",
        industry="beef_soup",
        closed=False,
        closed_reason=None,
        grade=schemas.ScanGrade(
            grade="B", grade_label="B级 较诚信", score=742, rule_version="1",
            computed_at=datetime(2026, 11, 16, 2, 5, tzinfo=UTC),
            graded_on=date(2026, 11, 16), unrated_reason=None,
            legend=(
                schemas.GradeBand(grade="A", label="A级 诚信", min_score=800, max_score=1000),
                schemas.GradeBand(grade="B", label="B级 较诚信", min_score=650, max_score=799),
                schemas.GradeBand(grade="C", label="C级 基本诚信", min_score=500, max_score=649),
                schemas.GradeBand(grade="D", label="D级 失信风险", min_score=0, max_score=499),
            ),
            summary=(
                schemas.ScanIndicator(key="inspections", name="监督检查", points=40, reasons=(
                    schemas.ScanReason(points=40, text="2026-10-17 日常监督检查 合格"),)),
                schemas.ScanIndicator(key="penalties", name="行政处罚", points=-80, reasons=(
                    schemas.ScanReason(points=-80, text="2026-08-08 后厨卫生不达标(一般)"),)),
            ),
        ),
        records=[schemas.ScanRecord(
            id="R0000000123", kind="penalty", kind_label="行政处罚", severity_label="一般",
            result_label=None, title="后厨卫生不达标", source_department="scjg",
            source_department_name="淮南市市场监督管理局",
            legal_basis="《中华人民共和国食品安全法》第一百二十六条",
            occurred_on=date(2026, 8, 8), public_until=date(2027, 8, 8), status_label="有效")],
        ratings=schemas.StoreRatingSummary(
            count=12, mean=4.42, bayesian_mean=4.09,
            distribution={"1": 0, "2": 1, "3": 1, "4": 2, "5": 8},
            dimensions=[
                schemas.Dimension(key="taste", name_zh="口味", name_en="taste", mean=4.6,
                                  count=12),
                schemas.Dimension(key="hygiene", name_zh="卫生", name_en="hygiene", mean=4.1,
                                  count=11),
            ]),
        badges=[],
        scenarios=[schemas.ScanScenario(
            key="beef_soup", name="信用+牛肉汤", department="scjg",
            department_name="淮南市市场监督管理局", grade="B", grade_label="B级 较诚信",
            rule_version="1",
            measures=[
                schemas.ScanMeasure(
                    key="support_ab", kind="incentive", kind_label="守信激励", target="business",
                    title="可申请产业政策扶持(品牌推广、展会补贴)",
                    basis=schemas.ScanBasis(document="《淮南牛肉汤产业信用评价办法》",
                                            article="附件 分级措施表")),
                schemas.ScanMeasure(
                    key="inspections_b", kind="incentive", kind_label="守信激励",
                    target="business", title="常规频次抽查,每年不超过2次",
                    basis=schemas.ScanBasis(document="《淮南牛肉汤产业信用评价办法》",
                                            article="第十二条 分级分类监管")),
            ])],
        authority="淮南市发展和改革委员会",
        next_steps=schemas.NextSteps(
            mini_program=schemas.MiniProgramLink(
                appid="wx1234567890abcdef", path="pages/store/index", query="subject_id=S00000420",
                url="weixin://dl/business/?appid=wx1234567890abcdef&path=pages%2Fstore%2Findex"
                    "&query=subject_id%3DS00000420"),
            contacts=[schemas.Contact(department="scjg", name="淮南市市场监督管理局",
                                      phone="0554-6660315")]),
        as_of=date(2026, 11, 16),
    )


def scan_profile_example_json() -> dict[str, Any]:
    """The example as JSON-ready builtins (what the scan endpoint answers)."""
    value: dict[str, Any] = msgspec.to_builtins(scan_profile_example())
    return value
