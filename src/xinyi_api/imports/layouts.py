"""The import layouts (版式): the national 双公示 data standard for 行政许可 and 行政处罚, and our
own layouts for 监督检查 inspections and 行政奖励 rewards.

A layout is a list of columns, each with its Chinese header (what the national template and
department systems write), an English key (what NDJSON batches use), the other headers it is
known by, and whether it must be present. ``docs/imports.md`` lists every column; a test checks
that it does. Columns of the standard that this service does not keep — the other 相对人代码, and
every personal identity document number (证件号码) — are *known* (a file that has them is fine)
and ignored: nothing of them is stored.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

LayoutName = Literal["licence", "penalty", "inspection", "reward"]
LAYOUTS: tuple[LayoutName, ...] = ("penalty", "licence", "inspection", "reward")

ColumnKind = Literal["text", "free", "date", "uscc", "amount", "ignored"]


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a layout."""

    key: str
    """English key (NDJSON field name)."""
    zh: str
    """The header as the standard (or our template) writes it."""
    required: bool = False
    """The column must be present, and its cells filled (except where ``may_be_blank``)."""
    kind: ColumnKind = "text"
    max_length: int = 200
    aliases: tuple[str, ...] = ()
    description: str = ""
    may_be_blank: bool = False
    """Required as a column, but a cell may be left empty (e.g. 处罚有效期)."""


@dataclass(frozen=True, slots=True)
class Layout:
    name: LayoutName
    kind: str
    """The record kind the rows become."""
    title_zh: str
    key_column: str
    """The natural key of a row (决定文书号 and its like): with the source department, what makes
    a row exactly-once."""
    columns: tuple[Column, ...]
    description: str = ""
    _index: dict[str, Column] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for column in self.columns:
            for header in (column.zh, column.key, *column.aliases):
                self._index[normalize_header(header)] = column

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    def find(self, header: str) -> Column | None:
        """The column a header names (Chinese name, alias or English key), if any."""
        return self._index.get(normalize_header(header))

    @property
    def required(self) -> list[Column]:
        return [c for c in self.columns if c.required]

    @property
    def headers(self) -> list[str]:
        """The template's header row (required columns marked ``*``? no: plain names)."""
        return [c.zh for c in self.columns if c.kind != "ignored"]


_SPACES = re.compile(r"\s+")


def normalize_header(text: str) -> str:
    """How headers are compared: NFKC (full-width brackets and letters become ASCII), without
    whitespace, the ``*`` that marks a required column, or case."""
    folded = unicodedata.normalize("NFKC", text).replace("*", "").replace("＊", "")
    return _SPACES.sub("", folded).lower()


# --- columns shared by every layout ------------------------------------------------------------

PARTY = (
    Column("subject_name", "行政相对人名称", required=True, aliases=("相对人名称", "主体名称"),
           description="name of the business as registered"),
    Column("party_category", "行政相对人类别", aliases=("相对人类别",),
           description="法人及非法人组织 / 个体工商户 / 自然人 (自然人 rows are refused: this "
                       "service keeps businesses only); blank: from the code (92… is a "
                       "个体工商户)"),
    Column("uscc", "统一社会信用代码", required=True,
           aliases=("行政相对人代码_1(统一社会信用代码)", "行政相对人代码_1", "相对人代码",
                    "行政相对人统一社会信用代码"),
           kind="uscc", max_length=40,
           description="统一社会信用代码 of the business (GB 32100-2015); rows map to subjects "
                       "by it"),
    Column("registration_no", "工商注册号", kind="ignored",
           aliases=("行政相对人代码_2(工商注册号)", "行政相对人代码_2")),
    Column("organisation_code", "组织机构代码", kind="ignored",
           aliases=("行政相对人代码_3(组织机构代码)", "行政相对人代码_3")),
    Column("tax_no", "税务登记号", kind="ignored",
           aliases=("行政相对人代码_4(税务登记号)", "行政相对人代码_4")),
    Column("institution_no", "事业单位证书号", kind="ignored",
           aliases=("行政相对人代码_5(事业单位证书号)", "行政相对人代码_5")),
    Column("social_organisation_no", "社会组织登记证号", kind="ignored",
           aliases=("行政相对人代码_6(社会组织登记证号)", "行政相对人代码_6")),
    Column("legal_representative", "法定代表人", aliases=("法定代表人(负责人)",),
           description="kept with the record, as published"),
    Column("legal_representative_id_type", "法定代表人证件类型", kind="ignored"),
    Column("legal_representative_id_no", "法定代表人证件号码", kind="ignored",
           description="never stored (personal data)"),
    Column("id_type", "证件类型", kind="ignored"),
    Column("id_no", "证件号码", kind="ignored", description="never stored (personal data)"),
)

OURS = (
    Column("store_id", "门店编号", max_length=20,
           description="our store id (S…): the record goes to that store's file (一店一档)"),
    Column("store_name", "门店名称",
           description="or the store's exact name among the business's stores"),
    Column("industry", "行业", max_length=40,
           description="industry key or its Chinese name (GET /api/v1/industries), for a "
                       "business registered by the import"),
    Column("status", "当前状态", max_length=20, aliases=("状态",),
           description="有效 (or 1, blank) / 撤销 (or 无效, 2): a 撤销 row withdraws the record"),
    Column("remark", "备注", kind="free", max_length=500,
           description="free text; on a 撤销 row, the reason"),
)

SOURCE = (
    Column("data_source", "数据来源单位", aliases=("数据来源",)),
    Column("data_source_uscc", "数据来源单位统一社会信用代码", kind="uscc", max_length=40,
           aliases=("数据来源单位代码",)),
)

SEVERITY = Column(
    "severity", "失信严重程度", max_length=10, aliases=("严重程度", "情节轻重"),
    description="轻微 / 一般 / 较重 / 严重 (decides the 公示期); blank: derived from 处罚类别 "
                "(docs/imports.md)")

PENALTY = Layout(
    name="penalty", kind="penalty", title_zh="行政处罚", key_column="doc_no",
    description="国家“双公示”行政处罚信息数据标准",
    columns=(
        *PARTY,
        Column("doc_no", "行政处罚决定书文号", required=True,
               aliases=("决定文书号", "处罚决定书文号", "决定书文号"),
               description="the 决定文书号: with the department, the exactly-once key"),
        Column("violation_type", "违法行为类型", required=True, max_length=200,
               description="becomes the record's title"),
        Column("facts", "违法事实", required=True, kind="free", max_length=2000),
        Column("basis", "处罚依据", required=True, kind="free", max_length=500,
               description="the provisions applied (于法于规有据); a row without it is refused"),
        Column("penalty_category", "处罚类别", required=True, max_length=100,
               description="警告 / 通报批评 / 罚款 / 没收违法所得 / 没收非法财物 / 暂扣许可证件 / "
                           "降低资质等级 / 吊销许可证件 / 限制开展生产经营活动 / 责令停产停业 / "
                           "责令关闭 / 限制从业 / 行政拘留 / 其他, several separated by ; or 、"),
        Column("penalty_content", "处罚内容", required=True, kind="free", max_length=1000),
        Column("fine", "罚款金额(万元)", kind="amount", aliases=("罚款金额",),
               description="in 万元 (10 000 yuan), up to 6 decimals"),
        Column("confiscated", "没收违法所得、没收非法财物的金额(万元)", kind="amount",
               aliases=("没收违法所得没收非法财物的金额(万元)", "没收金额(万元)", "没收金额")),
        Column("suspended_licence", "暂扣或吊销证照名称及编号"),
        Column("decided_on", "处罚决定日期", required=True, kind="date",
               aliases=("决定日期",), description="starts the 公示期; not after today"),
        Column("effective_until", "处罚有效期", kind="date"),
        Column("public_until", "公示截止期", kind="date",
               description="the department's end of publication: the record is shown until "
                           "the earlier of this and the 公示期 of docs/grading.md"),
        Column("authority", "处罚机关", required=True, aliases=("决定机关",)),
        Column("authority_uscc", "处罚机关统一社会信用代码", kind="uscc", max_length=40,
               aliases=("决定机关统一社会信用代码",)),
        *SOURCE,
        SEVERITY,
        *OURS,
    ),
)

LICENCE = Layout(
    name="licence", kind="licence", title_zh="行政许可", key_column="doc_no",
    description="国家“双公示”行政许可信息数据标准",
    columns=(
        *PARTY,
        Column("doc_name", "行政许可决定文书名称", aliases=("许可决定文书名称",)),
        Column("doc_no", "行政许可决定文书号", required=True,
               aliases=("决定文书号", "许可决定文书号"),
               description="the 决定文书号: with the department, the exactly-once key"),
        Column("licence_category", "许可类别", required=True, max_length=20,
               description="普通 / 特许 / 认可 / 核准 / 登记 / 其他"),
        Column("certificate", "许可证书名称",
               description="becomes the record's title (else the 决定文书名称)"),
        Column("licence_no", "许可编号"),
        Column("content", "许可内容", required=True, kind="free", max_length=2000),
        Column("decided_on", "许可决定日期", required=True, kind="date",
               aliases=("决定日期",), description="starts the 公示期; not after today"),
        Column("valid_from", "有效期自", kind="date"),
        Column("valid_to", "有效期至", kind="date"),
        Column("authority", "许可机关", required=True, aliases=("决定机关",)),
        Column("authority_uscc", "许可机关统一社会信用代码", kind="uscc", max_length=40,
               aliases=("决定机关统一社会信用代码",)),
        Column("public_until", "公示截止期", kind="date"),
        *SOURCE,
        *OURS,
    ),
)

INSPECTION = Layout(
    name="inspection", kind="inspection", title_zh="监督检查", key_column="doc_no",
    description="our layout for 行政检查 / 监督检查 results",
    columns=(
        *PARTY,
        Column("doc_no", "检查编号", required=True, aliases=("检查文书号", "检查记录编号"),
               description="the inspection's number: with the department, the exactly-once key"),
        Column("title", "检查事项", required=True, description="becomes the record's title"),
        Column("decided_on", "检查日期", required=True, kind="date",
               description="not after today"),
        Column("result", "检查结果", required=True, max_length=10,
               description="合格 / 责令整改 / 不合格"),
        Column("content", "检查内容", kind="free", max_length=2000, aliases=("发现问题",)),
        Column("basis", "检查依据", kind="free", max_length=500,
               description="needed for 责令整改 and 不合格"),
        Column("authority", "检查机关", required=True, aliases=("实施机关",)),
        Column("authority_uscc", "检查机关统一社会信用代码", kind="uscc", max_length=40),
        SEVERITY,
        *SOURCE,
        *OURS,
    ),
)

REWARD = Layout(
    name="reward", kind="reward", title_zh="行政奖励", key_column="doc_no",
    description="our layout for 行政奖励 / 表彰 decisions",
    columns=(
        *PARTY,
        Column("doc_no", "奖励文号", required=True, aliases=("奖励决定文书号", "决定文书号"),
               description="the decision's number: with the department, the exactly-once key"),
        Column("title", "奖励名称", required=True, description="becomes the record's title"),
        Column("reward_category", "奖励类别", max_length=50),
        Column("content", "奖励内容", kind="free", max_length=2000),
        Column("basis", "奖励依据", kind="free", max_length=500),
        Column("decided_on", "奖励日期", required=True, kind="date",
               aliases=("奖励决定日期", "决定日期"), description="not after today"),
        Column("authority", "奖励机关", required=True, aliases=("决定机关",)),
        Column("authority_uscc", "奖励机关统一社会信用代码", kind="uscc", max_length=40),
        *SOURCE,
        *OURS,
    ),
)

BY_NAME: dict[str, Layout] = {"penalty": PENALTY, "licence": LICENCE,
                              "inspection": INSPECTION, "reward": REWARD}

# A header that only one layout has tells which layout a file is in.
_SIGNATURES: tuple[tuple[str, LayoutName], ...] = (
    ("行政处罚决定书文号", "penalty"), ("处罚决定日期", "penalty"), ("违法事实", "penalty"),
    ("行政许可决定文书号", "licence"), ("许可决定日期", "licence"), ("许可内容", "licence"),
    ("检查编号", "inspection"), ("检查结果", "inspection"),
    ("奖励文号", "reward"), ("奖励名称", "reward"),
)


def detect(headers: Iterable[str]) -> LayoutName | None:
    """The layout whose distinctive headers the file has, when exactly one fits."""
    seen = {normalize_header(h) for h in headers}
    found = {layout for header, layout in _SIGNATURES if normalize_header(header) in seen}
    return next(iter(found)) if len(found) == 1 else None


@dataclass(frozen=True, slots=True)
class HeaderMap:
    """Which column each position of the file's header row holds (``None``: ignored)."""

    layout: Layout
    positions: tuple[Column | None, ...]

    def index_of(self, key: str) -> int | None:
        for i, column in enumerate(self.positions):
            if column is not None and column.key == key:
                return i
        return None


class HeaderError(ValueError):
    """The header row does not fit the layout: unknown, missing or repeated columns."""

    def __init__(self, message: str, *, unknown: Sequence[str] = (),
                 missing: Sequence[str] = (), repeated: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.unknown = list(unknown)
        self.missing = list(missing)
        self.repeated = list(repeated)


def map_headers(layout: Layout, headers: Sequence[str]) -> HeaderMap:
    """Match a header row to ``layout``; ``HeaderError`` names every unknown, missing or
    repeated column."""
    positions: list[Column | None] = []
    unknown: list[str] = []
    seen: dict[str, str] = {}
    repeated: list[str] = []
    for header in headers:
        text = (header or "").strip()
        if not text:
            positions.append(None)  # an unnamed column (often an empty trailing one)
            continue
        column = layout.find(text)
        if column is None:
            unknown.append(text)
            positions.append(None)
            continue
        if column.key in seen:
            repeated.append(text)
        seen[column.key] = text
        positions.append(None if column.kind == "ignored" else column)
    missing = [c.zh for c in layout.required if c.key not in seen]
    if unknown or missing or repeated:
        parts = []
        if unknown:
            parts.append("未知的列: " + "、".join(unknown))
        if missing:
            parts.append("缺少必填列: " + "、".join(missing))
        if repeated:
            parts.append("重复的列: " + "、".join(repeated))
        raise HeaderError(f"{layout.title_zh}版式: " + ";".join(parts), unknown=unknown,
                          missing=missing, repeated=repeated)
    return HeaderMap(layout, tuple(positions))
