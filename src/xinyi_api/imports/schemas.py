"""Response and request types of the import endpoints."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

from xinyi_api.inputs import FreeText, SingleLineText

JobState = Literal["queued", "validating", "validated", "committing", "regrading", "done",
                   "failed"]


class Counts(Struct, kw_only=True):
    rows: int
    refused: Annotated[int, Meta(description="rows with at least one problem (not written)")]
    inserted: int
    corrected: int
    withdrawn: int
    unchanged: int
    registered: Annotated[int, Meta(description="businesses registered by the import")]
    subjects_affected: int
    subjects_regraded: int


class Failure(Struct, kw_only=True):
    code: str
    message: str


class ProblemView(Struct, kw_only=True):
    row: Annotated[int, Meta(description="spreadsheet row (the header is row 1) or NDJSON line")]
    column: str
    code: str
    message: Annotated[str, Meta(examples=["统一社会信用代码校验位错误"])]
    value: str


class ImportJob(Struct, kw_only=True):
    """An import job: poll it until ``state`` is ``validated`` (a dry run), ``done`` or
    ``failed``."""

    id: int
    state: JobState
    department: str
    source: Literal["upload", "batch", "cli"]
    layout: str | None
    dry_run: bool
    register_unknown: bool
    file_name: str | None
    file_bytes: int
    file_sha256: str | None
    idempotency_key: str | None
    counts: Counts
    problems_listed: int
    problems: list[ProblemView]
    """The first problems (all: ``GET …/problems``, ``…/report.csv``, ``…/report.xlsx``)."""
    failure: Failure | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    links: dict[str, str]


class ProblemPage(Struct, kw_only=True):
    items: list[ProblemView]
    next_cursor: int | None


class JobPage(Struct, kw_only=True):
    items: list[ImportJob]
    next_cursor: int | None


class LayoutColumn(Struct, kw_only=True):
    key: str
    zh: str
    required: bool
    stored: bool
    aliases: list[str]
    description: str


class LayoutView(Struct, kw_only=True):
    name: str
    title_zh: str
    kind: str
    key_column: str
    description: str
    columns: list[LayoutColumn]


class TimelinessKind(Struct, kw_only=True):
    kind: str
    records: int
    on_time: int


class TimelinessRow(Struct, kw_only=True):
    department: str
    month: Annotated[str, Meta(examples=["2026-11"])]
    records: int
    on_time: int
    late: int
    on_time_share: Annotated[float, Meta(description="on_time / records, 0–1")]
    kinds: list[TimelinessKind]


class TimelinessReport(Struct, kw_only=True):
    rule: str
    provisional: Annotated[bool, Meta(description="a deadline crossed a year without an official "
                                                  "holiday schedule (only weekends skipped)")]
    rows: list[TimelinessRow]


class LateRecord(Struct, kw_only=True):
    id: str
    department: str
    kind: str
    source_key: str | None
    title: str
    subject_id: str
    occurred_on: date
    published_on: date
    due_on: date
    working_days_late: int


class LatePage(Struct, kw_only=True):
    items: list[LateRecord]
    next_cursor: str | None


class CodeReview(Struct, kw_only=True):
    id: int
    kind: Literal["bad_check_character", "name_with_several_codes", "code_with_several_names",
                  "individual_code_reused"]
    kind_label: str
    key: str
    department: str | None
    subject_ids: list[str]
    codes: list[str]
    names: list[str]
    evidence: list[Any]
    found_by: str
    status: Literal["open", "merged", "corrected", "dismissed"]
    resolution: dict[str, Any] | None
    reason: str | None
    resolved_by: str | None
    found_at: datetime
    resolved_at: datetime | None


class CodeReviewPage(Struct, kw_only=True):
    items: list[CodeReview]
    next_cursor: int | None


SubjectId = Annotated[str, Meta(pattern=r"^E[0-9]{8}$", description="enterprise or 个体工商户 id")]


class Resolution(Struct, forbid_unknown_fields=True, kw_only=True):
    """How a department resolves a review item: ``dismiss`` (not a problem), ``correct`` (a
    subject's code or name: ``subject_id`` with ``uscc`` and/or ``name``), or ``merge`` (``merge``
    is the same business as ``keep``: its records are re-pointed, it is marked merged and
    closed; nothing is deleted)."""

    action: Literal["dismiss", "correct", "merge"]
    reason: Annotated[FreeText, Meta(min_length=1, max_length=500)]
    subject_id: SubjectId | None = None
    uscc: Annotated[SingleLineText, Meta(min_length=1, max_length=40)] | None = None
    name: Annotated[SingleLineText, Meta(min_length=1, max_length=200)] | None = None
    keep: SubjectId | None = None
    merge: SubjectId | None = None


class Revision(Struct, kw_only=True):
    id: int
    revised_at: datetime
    previous: dict[str, Any]
    """The record as it was before this change."""
