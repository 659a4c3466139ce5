"""Request and response types for credit records (信用记录)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

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
    """Correct a record, or withdraw it (撤销) with a reason. Records are never deleted."""

    title: Title | UnsetType = UNSET
    content: Content | UnsetType = UNSET
    legal_basis: LegalBasis | UnsetType = UNSET
    severity: Severity | UnsetType = UNSET
    result: Result | UnsetType = UNSET
    withdrawn: bool | UnsetType = UNSET
    reason: Reason | UnsetType = UNSET


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
