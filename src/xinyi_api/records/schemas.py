"""Request and response types for credit records (信用记录)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from xinyi_api.grading.kinds import RecordKind, Result, Severity, Status
from xinyi_api.grading.schemas import GradeView
from xinyi_api.inputs import FreeText, PlausibleDate, SingleLineText
from xinyi_api.records.repair_rules import RepairGuidance

Title = Annotated[SingleLineText, Meta(min_length=1, max_length=200, examples=["后厨卫生不达标"])]
Content = Annotated[FreeText, Meta(max_length=4000)]
LegalBasis = Annotated[
    FreeText, Meta(max_length=500, examples=["《中华人民共和国食品安全法》第一百二十六条"])
]
Reason = Annotated[FreeText, Meta(min_length=1, max_length=500)]


class RecordCreate(Struct, forbid_unknown_fields=True, kw_only=True):
    """Add a record to a subject's credit file. The source department is the caller's."""

    kind: RecordKind
    severity: Severity | None = None
    result: Result | None = None
    title: Title
    content: Content = ""
    legal_basis: LegalBasis = ""
    occurred_on: Annotated[PlausibleDate, Meta(
        description="decision / event date; starts the 公示期; not after today")]
    published_on: Annotated[PlausibleDate | None, Meta(
        description="when it was published (default today); from occurred_on to today")] = None


class RecordUpdate(Struct, forbid_unknown_fields=True, kw_only=True):
    """Correct a record (更正) or withdraw it (撤销), always with the reason why: it is kept in
    the record's history (修改留痕). Records are never deleted."""

    title: Title | UnsetType = UNSET
    content: Content | UnsetType = UNSET
    legal_basis: LegalBasis | UnsetType = UNSET
    severity: Severity | UnsetType = UNSET
    result: Result | UnsetType = UNSET
    withdrawn: bool | UnsetType = UNSET
    reason: Annotated[Reason, Meta(
        description="why the record is corrected or withdrawn (更正/撤销理由); required with "
        "any corrected field and with `withdrawn: true` (422 `missing-reason`)",
        examples=["执法文书录入错误,按原处罚决定书更正"])] | UnsetType = UNSET


RevisionAction = Literal["correct", "withdraw", "objection.file", "objection.correct",
                         "objection.withdraw", "objection.uphold", "repair.approve"]
REVISION_LABELS: dict[str, str] = {
    "correct": "更正", "withdraw": "撤销", "objection.file": "提出异议",
    "objection.correct": "异议成立,更正", "objection.withdraw": "异议成立,撤销",
    "objection.uphold": "异议不成立,维持", "repair.approve": "信用修复",
}


class FieldChange(Struct, kw_only=True):
    before: Any
    after: Any


class RecordRevision(Struct, kw_only=True):
    """One change to a record after it was added (修改留痕): what, by whom, when and why."""

    id: int
    record_id: str
    action: RevisionAction
    action_label: Annotated[str, Meta(examples=["更正"])]
    reason: Annotated[str, Meta(description="the department's reason (the merchant's for an "
                                "objection filed)")]
    actor: Annotated[str, Meta(description="who changed it (a department's service token "
                               "subject, or the merchant)")]
    department: str | None
    ref: Annotated[str | None, Meta(description="the objection or repair it came from")]
    changes: Annotated[dict[str, FieldChange], Meta(description="field → value before and after "
                                                    "(title, content, legal_basis, severity, "
                                                    "result, status, status_reason, "
                                                    "public_until)")]
    changed_at: datetime


class CreditRecord(Struct, kw_only=True):
    id: Annotated[str, Meta(examples=["R0000001234"])]
    subject_id: str
    kind: RecordKind
    kind_label: str
    severity: Severity | None
    severity_label: str | None
    result: Result | None
    result_label: str | None
    title: str
    content: str
    source_department: str
    legal_basis: str
    occurred_on: date
    published_on: date
    public_until: Annotated[date, Meta(description="last day of the public display period 公示期")]
    status: Status
    status_label: str
    status_reason: str | None
    created_at: datetime
    updated_at: datetime


class RecordWritten(Struct, kw_only=True):
    """The record as stored and the subject's public grade after it."""

    record: CreditRecord
    grade: GradeView
    repair_guidance: RepairGuidance | None = None
    """两书同达: for a penalty (any adverse record), when and how it can be repaired (信用修复)."""
