"""信用+医保 own endpoints: 市医保局 records agreement status and media exposures.

Both write the scenario's own tables and regrade the subject in the same transaction, so the
信用+医保 grade (and the measures that follow from it) change at once.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec
from litestar import Controller, post, put
from litestar.params import JSONBody, PathParameter

from xinyi_api.scenarios.kit import (
    GRADE_LABELS,
    ContextDep,
    Forbidden,
    FreeText,
    GradeResult,
    NotFound,
    PlausibleDate,
    SingleLineText,
    Unauthorized,
    Unprocessable,
    requires,
)
from xinyi_scenarios.medical_insurance.data import q

OWNER = "ybj"
SUBJECT_ID = PathParameter(pattern=r"^[ES][0-9]{8}$", description="enterprise or store id")
Severity = Literal["minor", "general", "serious", "severe"]


class AgreementPut(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """医保服务协议 of a designated institution (定点医药机构)."""

    agreement_no: Annotated[SingleLineText, msgspec.Meta(min_length=1, max_length=60)]
    status: Literal["in_force", "suspended", "terminated"]
    signed_on: Annotated[PlausibleDate, msgspec.Meta(description="not after today")]
    status_since: Annotated[PlausibleDate, msgspec.Meta(
        description="from signed_on to today")]
    note: Annotated[FreeText, msgspec.Meta(max_length=500)] = ""


class Agreement(msgspec.Struct, kw_only=True):
    subject_id: str
    agreement_no: str
    status: str
    signed_on: date
    status_since: date
    note: str
    updated_by: str
    updated_at: datetime
    grade: str
    """The subject's 信用+医保 grade after the change."""
    grade_label: str


class ExposureCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A 媒体曝光 report; ``verified`` once the bureau has checked it (经核实)."""

    subject_id: Annotated[str, msgspec.Meta(pattern=r"^[ES][0-9]{8}$")]
    outlet: Annotated[SingleLineText, msgspec.Meta(min_length=1, max_length=100)]
    title: Annotated[SingleLineText, msgspec.Meta(min_length=1, max_length=200)]
    reported_on: Annotated[PlausibleDate, msgspec.Meta(description="not after today")]
    severity: Severity
    verified: bool = False


class Exposure(msgspec.Struct, kw_only=True):
    id: int
    subject_id: str
    outlet: str
    title: str
    reported_on: date
    severity: str
    verified: bool
    recorded_by: str
    created_at: datetime
    grade: str
    grade_label: str


def _grade(grades: dict[str, GradeResult], subject_id: str) -> str:
    """The subject's 信用+医保 grade after the change."""
    result = grades.get(subject_id)
    return result.grade if result is not None else "unrated"


class MedicalInsuranceController(Controller):
    path = "/"

    @put(
        "/agreements/{subject_id:str}",
        guards=[requires("department")],
        summary="Set a designated institution's 医保服务协议 status (信用+医保)",
        description="服务资格 indicator data: in force, suspended (暂停) or terminated (解除). "
        "Only 市医保局 (`ybj`) or a department token carrying the scenario may call it; the "
        "subject is regraded in the same transaction.",
        raises=[Unauthorized, Forbidden, NotFound, Unprocessable],
    )
    async def put_agreement(
        self, ctx: ContextDep, subject_id: Annotated[str, SUBJECT_ID],
        data: JSONBody[AgreementPut],
    ) -> Agreement:
        ctx.ensure_owner()
        if data.status_since < data.signed_on:
            raise Unprocessable("status_since is before signed_on", slug="invalid-dates")
        if data.status_since > ctx.today:
            raise Unprocessable("status_since lies in the future", slug="invalid-dates")
        async with ctx.transaction() as conn:
            await ctx.covered_subject(conn, subject_id, open_only=False)
            row = await conn.fetchrow(q.upsert_agreement, subject_id, data.agreement_no,
                                      data.status, data.signed_on, data.status_since, data.note,
                                      ctx.principal.department)
            grade = _grade(await ctx.regrade(conn, [subject_id]), subject_id)
            await ctx.audit(conn, "agreement.put", subject_id=subject_id,
                            detail={"status": data.status})
        return Agreement(**dict(row), grade=grade, grade_label=GRADE_LABELS[grade])

    @post(
        "/media-exposures",
        guards=[requires("department")],
        summary="Record a 媒体曝光 report about an institution (信用+医保)",
        description="Verified reports of the last 12 months lower the 媒体曝光 indicator; "
        "unverified ones are shown in the explanation but score nothing. Reports are never "
        "deleted.",
        raises=[Unauthorized, Forbidden, NotFound, Unprocessable],
    )
    async def add_exposure(self, ctx: ContextDep, data: JSONBody[ExposureCreate]) -> Exposure:
        ctx.ensure_owner()
        if data.reported_on > ctx.today:
            raise Unprocessable("reported_on is in the future", slug="invalid-dates")
        async with ctx.transaction() as conn:
            await ctx.covered_subject(conn, data.subject_id, open_only=False)
            row = await conn.fetchrow(q.insert_exposure, data.subject_id, data.outlet,
                                      data.title, data.reported_on, data.severity,
                                      data.verified, ctx.principal.department)
            grade = _grade(await ctx.regrade(conn, [data.subject_id]), data.subject_id)
            await ctx.audit(conn, "exposure.add", subject_id=data.subject_id,
                            detail={"verified": data.verified})
        return Exposure(**dict(row), grade=grade, grade_label=GRADE_LABELS[grade])
