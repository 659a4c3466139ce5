"""Request and response types of 诚信码 codes: the scan profile 扫码信息, code info, statistics."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from msgspec import Meta, Struct, field

from xinyi_api.grading.engine import RatingSummary
from xinyi_api.inputs import FreeText

Grade = Literal["A", "B", "C", "D", "unrated"]
SubjectType = Literal["enterprise", "individual", "store"]


class ScanEnterprise(Struct, kw_only=True, frozen=True):
    """The enterprise or 个体工商户 behind the code (for a store code: the store's owner)."""

    id: Annotated[str, Meta(examples=["E00000042"])]
    name: str
    kind: Literal["enterprise", "individual"]
    uscc: Annotated[str, Meta(description="统一社会信用代码")]
    closed: bool


class ScanStore(Struct, kw_only=True, frozen=True):
    """The store 门店 a store code belongs to (一店一档)."""

    id: Annotated[str, Meta(examples=["S00000420"])]
    name: str
    closed: bool


class ScanReason(Struct, kw_only=True, frozen=True):
    points: int
    text: str


class ScanIndicator(Struct, kw_only=True, frozen=True):
    """One indicator that moved the score (指标), with the reasons behind it."""

    key: str
    name: str
    points: int
    reasons: tuple[ScanReason, ...]


class GradeBand(Struct, kw_only=True, frozen=True):
    """One line of the grade legend 等级说明: a grade and the scores that give it."""

    grade: Literal["A", "B", "C", "D"]
    label: Annotated[str, Meta(examples=["B级 较诚信"])]
    min_score: Annotated[int, Meta(examples=[650])]
    max_score: Annotated[int, Meta(examples=[799])]


class ScanGrade(Struct, kw_only=True, frozen=True):
    """The live public grade 实时信用等级 and a summary of why (评价依据)."""

    grade: Grade
    grade_label: str
    score: int | None
    rule_version: str
    computed_at: Annotated[datetime, Meta(description="when this grade was computed")]
    graded_on: Annotated[date, Meta(description="the grade's date (Asia/Shanghai)")]
    unrated_reason: str | None
    summary: Annotated[
        tuple[ScanIndicator, ...],
        Meta(description="indicators that moved the score, largest effect first"),
    ]
    legend: Annotated[
        tuple[GradeBand, ...],
        Meta(description="等级说明: the score range of each grade under this rule (0–1000)"),
    ] = ()


class ScanRecord(Struct, kw_only=True, frozen=True):
    """A public credit record 信用记录 inside its display period 公示期."""

    id: str
    kind: str
    kind_label: str
    severity_label: str | None
    result_label: str | None
    title: str
    source_department: Annotated[str, Meta(description="部门 code of who recorded it",
                                           examples=["scjg"])]
    source_department_name: Annotated[str, Meta(examples=["淮南市市场监督管理局"])] = ""
    legal_basis: str
    occurred_on: date
    public_until: date
    status_label: str


class Badge(Struct, kw_only=True, frozen=True):
    """An incentive 守信激励 or constraint 失信约束 a scenario attaches to the subject."""

    scenario: Annotated[str, Meta(examples=["beef_soup"])]
    key: str
    label: Annotated[str, Meta(examples=["诚信经营示范店"])]
    kind: Literal["incentive", "constraint", "badge"] = "badge"
    description: str = ""
    basis: Annotated[str, Meta(description="legal or policy basis 依据")] = ""


class Dimension(Struct, kw_only=True, frozen=True):
    """One rating dimension 评价维度 of a store and its mean stars (``None`` before any)."""

    key: str
    name_zh: str
    name_en: str
    mean: float | None = None
    count: int = 0


class StoreRatingSummary(RatingSummary, frozen=True, kw_only=True):
    """Published ratings of a store: count, mean, Bayesian mean, star distribution, dimensions.

    Bayesian mean = (m·C + Σ stars) / (m + n) with the prior m = 5 ratings at C = 3.5 stars, so a
    store with two 5-star ratings shows 3.93, not 5.
    """

    distribution: Annotated[dict[str, int], Meta(description="stars '1'…'5' → count")]
    dimensions: list[Dimension]


class ScanBasis(Struct, kw_only=True, frozen=True):
    """依据: the policy document and article a measure rests on."""

    document: str
    article: str


class ScanMeasure(Struct, kw_only=True, frozen=True):
    """A 守信激励 or 失信约束 in force for this subject, or offered here to people by grade."""

    key: Annotated[str, Meta(examples=["key_supervision_d"])]
    kind: Literal["incentive", "constraint"]
    kind_label: Annotated[str, Meta(examples=["失信约束"])]
    target: Annotated[Literal["business", "person"], Meta(
        description="business: applies to this business by its scenario grade; person: "
        "offered here to a consumer by their personal credit grade (个人信用)")]
    title: Annotated[str, Meta(examples=["列为重点监管对象"])]
    condition: Annotated[str, Meta(
        description="what besides the grade must hold, in words (empty: nothing)",
        examples=["个人信用 A/B 级可享,出示动态个人信用码"])] = ""
    basis: ScanBasis | None = None


class ScanScenario(Struct, kw_only=True, frozen=True):
    """A 信用+ scenario covering the subject: its grade and the public measures in force."""

    key: Annotated[str, Meta(examples=["beef_soup"])]
    name: Annotated[str, Meta(examples=["信用+牛肉汤"])]
    department: Annotated[str, Meta(examples=["scjg"])]
    department_name: Annotated[str, Meta(examples=["淮南市市场监督管理局"])] = ""
    grade: Annotated[Grade | None, Meta(
        description="the subject's grade in this scenario; null when the scenario does not grade "
        "it and only offers person measures here")] = None
    grade_label: str = ""
    rule_version: str = ""
    measures: list[ScanMeasure] = []


class Contact(Struct, kw_only=True, frozen=True):
    """A department to turn to about this subject (records on file, scenarios covering it)."""

    department: Annotated[str, Meta(examples=["scjg"])]
    name: Annotated[str, Meta(examples=["淮南市市场监督管理局"])]
    phone: Annotated[str | None, Meta(examples=["0554-6662315"])] = None


class MiniProgramLink(Struct, kw_only=True, frozen=True):
    """Open the WeChat mini-program 微信小程序 at this subject, to rate or complain."""

    appid: Annotated[str, Meta(examples=["wx1234567890abcdef"])]
    path: Annotated[str, Meta(examples=["pages/store/index"])]
    query: Annotated[str, Meta(examples=["subject_id=S00000420"])]
    url: Annotated[str, Meta(
        description="the 明文 URL Scheme that opens it from a phone browser",
        examples=["weixin://dl/business/?appid=wx1234567890abcdef&path=pages%2Fstore%2Findex"
                  "&query=subject_id%3DS00000420"])]


class NextSteps(Struct, kw_only=True, frozen=True):
    """What a consumer can do next 下一步: rate or complain in the mini-program, call a
    department, or the national 12315 hotline."""

    mini_program: MiniProgramLink | None = None
    contacts: list[Contact] = []
    hotline: Annotated[str, Meta(description="全国12315 consumer hotline")] = "12315"


class ScanProfile(Struct, kw_only=True):
    """What a consumer sees after scanning a 诚信码: the subject's public credit profile, live."""

    subject_id: Annotated[str, Meta(description="the graded subject: the store, or the "
                                    "enterprise for an enterprise code")]
    subject_type: SubjectType
    enterprise: ScanEnterprise
    store: ScanStore | None
    name: Annotated[str, Meta(description="display name (store name, or enterprise name)")]
    address: str
    region_code: str
    industry: str
    closed: Annotated[bool, Meta(description="已歇业: the subject or its enterprise is closed")]
    closed_reason: str | None
    grade: ScanGrade | None
    records: list[ScanRecord]
    ratings: Annotated[StoreRatingSummary | None,
                       Meta(description="consumer ratings (消费者评价); null before the first")]
    badges: list[Badge]
    scenarios: Annotated[list[ScanScenario], Meta(
        description="every 信用+ scenario covering the subject, its grade and every public "
        "measure in force (incentives and constraints) with condition and basis")] = []
    authority: Annotated[str, Meta(description="发证机关: who issues the codes",
                                   examples=["淮南市发展和改革委员会"])] = ""
    next_steps: NextSteps = field(default_factory=NextSteps)
    code_status: Literal["active"] = "active"
    as_of: Annotated[date, Meta(description="the day the records were selected for")]
    personal: Annotated[
        dict[str, Any] | None,
        Meta(description="what on_scan hooks return for a logged-in consumer (e.g. a visit "
             "proof); always null for anonymous scans"),
    ] = None


class CodeInfo(Struct, kw_only=True):
    """A subject's current code 诚信码 and where to get its images."""

    subject_id: str
    serial: Annotated[int, Meta(description="码序号 code serial")]
    key_id: Annotated[str, Meta(description="JWKS kid of the key that signs it", examples=[
        "code-1"])]
    token: str
    code_url: Annotated[str, Meta(description="the URL in the QR (upper case)")]
    png_url: str
    svg_url: str
    poster_url: str
    issued_at: datetime
    replaced_serials: Annotated[
        list[int], Meta(description="serials this subject's earlier codes had (now replaced)")
    ]


class ReissueRequest(Struct, forbid_unknown_fields=True, kw_only=True):
    """Reissue 重新发码: the current code is replaced (e.g. its sticker was copied)."""

    reason: Annotated[FreeText, Meta(min_length=1, max_length=500,
                                     examples=["贴纸被复制到其他店铺"])]


class ScanDay(Struct, kw_only=True):
    day: date
    count: int


class ScanStats(Struct, kw_only=True):
    """Scans of a subject's codes per day 扫码统计 (flushed every ~1 s, so up to ~2 s behind)."""

    subject_id: str
    since: date
    until: date
    total: int
    days: list[ScanDay]
