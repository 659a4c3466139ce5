"""Request and response types for accountability: audit, objections, repairs, commitments,
the disclosure board and districts (msgspec structs, validated on decode)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from xinyi_api.grading.kinds import Result, Severity
from xinyi_api.grading.schemas import GradeView
from xinyi_api.inputs import FreeText, PlausibleDate, SingleLineText
from xinyi_api.records.schemas import Content, CreditRecord, LegalBasis, RecordRevision, Title

Reason = Annotated[FreeText, Meta(min_length=1, max_length=500, examples=["已提交整改报告"])]
LongText = Annotated[FreeText, Meta(min_length=1, max_length=2000)]
DepartmentCode = Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]{1,39}$", examples=["scjg"])]
StoreId = Annotated[str, Meta(pattern=r"^S[0-9]{8}$", examples=["S00000420"])]
RegionCode = Annotated[str, Meta(pattern=r"^[0-9]{6}$", examples=["340403"])]

# ---------------------------------------------------------------- attachments


class Attachment(Struct, forbid_unknown_fields=True, kw_only=True):
    """Metadata of a supporting document (附件); the file itself stays with the applicant."""

    name: Annotated[SingleLineText, Meta(min_length=1, max_length=200,
                                         examples=["整改报告.pdf"])]
    size: Annotated[int, Meta(ge=0, le=100_000_000, description="bytes")]
    sha256: Annotated[str, Meta(pattern=r"^[0-9a-f]{64}$", description="hex digest of the file")]
    media_type: Annotated[SingleLineText, Meta(max_length=100, examples=["application/pdf"])] = ""


Attachments = Annotated[list[Attachment], Meta(max_length=20)]

# ---------------------------------------------------------------- audit 查询使用登记


class AuditEntry(Struct, kw_only=True):
    """One 查询使用登记 / 操作留痕 entry of the hash chain."""

    id: int
    seq: int | None
    """Position in the hash chain; null until the entry is sealed."""
    at: datetime
    actor: str
    role: str
    department: str | None
    subject_id: str | None
    action: str
    endpoint: str
    purpose: str | None
    detail: dict[str, Any]
    prev_hash: str | None
    hash: str | None


class AuditPage(Struct, kw_only=True):
    items: list[AuditEntry]
    next_cursor: int | None


class AccessEntry(Struct, kw_only=True):
    """Who looked at a subject's non-public file, when, and why (查询事由)."""

    id: int
    at: datetime
    actor: str
    role: str
    department: str | None
    action: str
    endpoint: str
    purpose: str | None


class AccessLogPage(Struct, kw_only=True):
    items: list[AccessEntry]
    next_cursor: int | None


class AuditVerification(Struct, kw_only=True):
    ok: bool
    checked: int
    """Sealed entries verified."""
    last_seq: int
    """Chain position of the last entry that verified."""
    last_id: int
    """Id of that entry (0 for an empty chain)."""
    first_bad_seq: int | None
    first_bad_id: int | None
    """Id of the first bad entry (for a deleted one: the id recorded for it, when known)."""
    problem: str | None
    unsealed: int
    """Entries committed but not sealed yet: listed, but not tamper-evident until sealed."""
    oldest_unsealed_at: datetime | None


# ---------------------------------------------------------------- objections 异议

ObjectionStatus = Literal["open", "corrected", "withdrawn", "upheld"]
OBJECTION_STATUS_LABELS = {"open": "处理中", "corrected": "已更正", "withdrawn": "已撤销记录",
                           "upheld": "维持原记录"}


class ObjectionCreate(Struct, forbid_unknown_fields=True, kw_only=True):
    """File an objection (异议申请) against a record of one's own enterprise or store."""

    reason: LongText
    attachments: Attachments = []


PROVISIONAL = ("true while open when the deadline reaches into a year without an official "
               "holiday schedule: only weekends were skipped there; recomputed when the State "
               "Council schedule is loaded (xinyi-api holidays load)")


class Objection(Struct, kw_only=True):
    id: Annotated[str, Meta(examples=["O0000000012"])]
    record_id: str
    subject_id: str
    merchant_id: str
    reason: str
    attachments: list[Attachment]
    status: ObjectionStatus
    status_label: str
    filed_on: date
    due_on: Annotated[date, Meta(description="last day to decide: 5 working days (seed 002 §5)")]
    overdue: bool
    working_days_left: int
    deadline_provisional: Annotated[bool, Meta(description=PROVISIONAL)]
    decided_at: datetime | None
    decided_by: str | None
    decision_reason: str | None
    record: CreditRecord


class RecordCorrection(Struct, forbid_unknown_fields=True, kw_only=True):
    """The corrected fields of a record (omitted fields stay as they are)."""

    title: Title | UnsetType = UNSET
    content: Content | UnsetType = UNSET
    legal_basis: LegalBasis | UnsetType = UNSET
    severity: Severity | UnsetType = UNSET
    result: Result | UnsetType = UNSET


class ObjectionDecision(Struct, forbid_unknown_fields=True, kw_only=True):
    """异议处理决定: correct the record, withdraw it (撤销), or uphold it (维持), with a reason."""

    decision: Literal["correct", "withdraw", "uphold"]
    reason: Reason
    correction: RecordCorrection | None = None


class ObjectionDecided(Struct, kw_only=True):
    objection: Objection
    grade: GradeView


# ---------------------------------------------------------------- repairs 信用修复

RepairStatus = Literal["pending", "approved", "refused"]
REPAIR_STATUS_LABELS = {"pending": "审核中", "approved": "已修复", "refused": "不予修复"}


class RepairCreate(Struct, forbid_unknown_fields=True, kw_only=True):
    """信用修复申请: what was corrected, the evidence, and the 信用修复承诺书 text."""

    statement: LongText
    evidence: Annotated[list[Attachment], Meta(min_length=1, max_length=20)]
    commitment: Annotated[FreeText, Meta(min_length=1, max_length=4000,
                                    description="信用修复型 commitment, signed with the "
                                    "application and published")]


class Repair(Struct, kw_only=True):
    id: Annotated[str, Meta(examples=["P0000000007"])]
    record_id: str
    subject_id: str
    merchant_id: str
    statement: str
    evidence: list[Attachment]
    commitment_id: str
    status: RepairStatus
    status_label: str
    applied_on: date
    due_on: Annotated[date, Meta(description="限时办结: decide by this day")]
    overdue: bool
    deadline_provisional: Annotated[bool, Meta(description=PROVISIONAL)]
    decided_at: datetime | None
    decided_by: str | None
    decision_reason: str | None
    record: CreditRecord


class RepairDecision(Struct, forbid_unknown_fields=True, kw_only=True):
    approve: bool
    reason: Reason


class RepairDecided(Struct, kw_only=True):
    repair: Repair
    grade: GradeView


# ---------------------------------------------------------------- commitments 信用承诺

CommitmentType = Literal["approval_substitute", "certificate_substitute", "credit_repair",
                         "public_disclosure", "self_discipline"]
COMMITMENT_TYPE_LABELS = {
    "approval_substitute": "审批替代型",
    "certificate_substitute": "证明替代型",
    "credit_repair": "信用修复型",
    "public_disclosure": "主动公示型",
    "self_discipline": "行业自律型",
}
CommitmentStatus = Literal["in_force", "kept", "broken"]
COMMITMENT_STATUS_LABELS = {"in_force": "履行中", "kept": "已履行", "broken": "未履行"}


class CommitmentCreate(Struct, forbid_unknown_fields=True, kw_only=True):
    """Sign a 信用承诺 addressed to a department (which later marks it kept or broken)."""

    type: CommitmentType
    department: DepartmentCode
    title: Title
    content: Annotated[FreeText, Meta(min_length=1, max_length=4000)]
    valid_until: Annotated[PlausibleDate | None, Meta(
        description="last day it binds (none: open-ended); not before today")] = None


class Commitment(Struct, kw_only=True):
    """A public 信用承诺 (公开承诺, seed 000 §9)."""

    id: Annotated[str, Meta(examples=["C0000000003"])]
    subject_id: str
    type: CommitmentType
    type_label: str
    department: str
    title: str
    content: str
    signed_on: date
    valid_until: date | None
    status: CommitmentStatus
    status_label: str
    assessed_at: datetime | None
    assessment_reason: str | None
    record_id: str | None


class CommitmentQueueItem(Commitment, kw_only=True):
    """A commitment in the addressee department's queue, with its subject."""

    subject_name: str
    region_code: str
    ended: Annotated[bool, Meta(description="its `valid_until` has passed: due for assessment "
                                "(践诺评估)")]


class CommitmentQueue(Struct, kw_only=True):
    """A page of commitments addressed to the caller's department."""

    items: list[CommitmentQueueItem]
    next_cursor: Annotated[str | None, Meta(description="pass it as `cursor` for the next "
                                            "page; null on the last page")] = None
    next: Annotated[str | None, Meta(description="the next page's path and query; null on the "
                                     "last page")] = None


class CommitmentAssessment(Struct, forbid_unknown_fields=True, kw_only=True):
    """践诺/违诺: kept, or broken (then with severity and legal basis, as an adverse record)."""

    result: Literal["kept", "broken"]
    reason: Reason
    severity: Severity | None = None
    legal_basis: LegalBasis = ""
    occurred_on: Annotated[PlausibleDate | None, Meta(
        description="when it was kept or broken (default today); from the signing day to "
        "today")] = None


class CommitmentAssessed(Struct, kw_only=True):
    commitment: Commitment
    record: CreditRecord
    grade: GradeView


# ---------------------------------------------------------------- full file (non-public)


class SubjectFile(Struct, kw_only=True):
    """A subject's complete credit file (信用档案): repaired, withdrawn, expired records too."""

    subject_id: str
    records: list[CreditRecord]
    objections: list[Objection]
    repairs: list[Repair]
    commitments: list[Commitment]
    revisions: Annotated[list[RecordRevision], Meta(
        description="修改留痕: every change to these records after they were added (corrections "
        "and withdrawals with their reasons, objections, repairs), oldest first per record")]
    audit_entry: Annotated[int, Meta(description="id of the 查询使用登记 entry of this read")]


class RecordHistory(Struct, kw_only=True):
    """A record as it stands and every change to it since it was added (修改留痕)."""

    record: CreditRecord
    revisions: list[RecordRevision]


# ---------------------------------------------------------------- disclosure 失信曝光台


class DisclosureItem(Struct, kw_only=True):
    record_id: str
    subject_id: str
    subject_type: str
    subject_name: str
    enterprise_id: str
    enterprise_name: str
    uscc: str | None
    region_code: str
    kind: str
    kind_label: str
    title: str
    reason: str
    legal_basis: str
    source_department: str
    occurred_on: date
    public_until: date
    status: str
    status_label: str


class DisclosurePage(Struct, kw_only=True):
    items: list[DisclosureItem]
    total: int
    page: int
    page_size: int


# ---------------------------------------------------------------- districts 信用商圈/信用街区

DistrictKind = Literal["business_district", "street"]
DISTRICT_KIND_LABELS = {"business_district": "信用商圈", "street": "信用街区"}


class DistrictCreate(Struct, forbid_unknown_fields=True, kw_only=True):
    name: Annotated[SingleLineText, Meta(min_length=1, max_length=100,
                                         examples=["八公山信用美食街区"])]
    kind: DistrictKind = "street"
    region_code: RegionCode
    description: Annotated[FreeText, Meta(max_length=1000)] = ""


class DistrictStoresAdd(Struct, forbid_unknown_fields=True, kw_only=True):
    store_ids: Annotated[list[StoreId], Meta(min_length=1, max_length=200)]


class DistrictStore(Struct, kw_only=True):
    id: str
    name: str
    enterprise_name: str
    address: str
    closed: bool
    grade: str
    grade_label: str
    score: int | None


class Department(Struct, kw_only=True, frozen=True):
    """A department 部门 that records credit information or runs a scenario: the names that
    records and scans cite by code."""

    code: Annotated[str, Meta(examples=["scjg"])]
    name: Annotated[str, Meta(examples=["淮南市市场监督管理局"])]
    region_code: Annotated[str | None, Meta(description="行政区划 it covers",
                                            examples=["340400"])]
    phone: Annotated[str | None, Meta(description="public telephone 咨询电话",
                                      examples=["0554-6662315"])]


class DistrictSummary(Struct, kw_only=True):
    id: Annotated[str, Meta(examples=["D0000000001"])]
    name: str
    kind: DistrictKind
    kind_label: str
    region_code: str
    description: str
    created_by: str
    store_count: int
    grade_distribution: dict[str, int]


class District(DistrictSummary, kw_only=True):
    stores: list[DistrictStore]
