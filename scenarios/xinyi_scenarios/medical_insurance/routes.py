"""信用+医保 own endpoints: 市医保局 records agreement status and media exposures.

Both write the scenario's own tables and regrade the subject in the same transaction, so the
信用+医保 grade (and the measures that follow from it) change at once.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import asyncpg
import msgspec
from litestar import Controller, Request, post, put
from litestar.params import JSONBody, PathParameter

from xinyi_api.accountability import audit
from xinyi_api.auth.guards import ensure_acts_for, ensure_region, requires
from xinyi_api.auth.tokens import Principal
from xinyi_api.deps import DB, ClockDep, GraderDep
from xinyi_api.errors import Forbidden, NotFound, Unauthorized, Unprocessable
from xinyi_api.grading.engine import GRADE_LABELS
from xinyi_api.grading.service import Grader
from xinyi_api.inputs import FreeText, PlausibleDate, SingleLineText
from xinyi_scenarios.medical_insurance.data import INDUSTRIES, KEY, SUBJECT_TYPES, q

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


def _ensure_owner(principal: Principal) -> None:
    ensure_acts_for(principal, OWNER, KEY)


async def _covered_subject(conn: asyncpg.Connection, principal: Principal,
                           subject_id: str) -> None:
    row = await conn.fetchrow(q.subject_for_scenario, subject_id)
    if row is None:
        raise NotFound(f"no subject {subject_id}")
    ensure_region(principal, row["region_code"])
    if row["industry"] not in INDUSTRIES or row["type"] not in SUBJECT_TYPES:
        raise Unprocessable(f"{subject_id} ({row['industry']}) is not a designated medical "
                            f"institution covered by {KEY}", slug="not-covered")


async def _regrade(conn: asyncpg.Connection, grader: Grader, subject_id: str,
                   today: date) -> str:
    results = await grader.regrade(conn, [subject_id], today)
    return next((r.grade for r in results if r.scheme == KEY), "unrated")


class MedicalInsuranceController(Controller):
    path = f"/api/v1/scenarios/{KEY}"
    tags = ("scenarios 信用+场景",)

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
        self, request: Request[Principal, Any, Any], subject_id: Annotated[str, SUBJECT_ID],
        data: JSONBody[AgreementPut], db: DB, grader: GraderDep, clock: ClockDep,
    ) -> Agreement:
        _ensure_owner(request.user)
        if data.status_since < data.signed_on:
            raise Unprocessable("status_since is before signed_on", slug="invalid-dates")
        if data.status_since > clock.today():
            raise Unprocessable("status_since lies in the future", slug="invalid-dates")
        async with db.write.acquire() as conn, conn.transaction():
            await _covered_subject(conn, request.user, subject_id)
            row = await conn.fetchrow(q.upsert_agreement, subject_id, data.agreement_no,
                                      data.status, data.signed_on, data.status_since, data.note,
                                      request.user.department)
            grade = await _regrade(conn, grader, subject_id, clock.today())
            await audit.append(conn, request.user, action="medical_insurance.agreement.put",
                               endpoint=audit.endpoint_of(request), subject_id=subject_id,
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
    async def add_exposure(
        self, request: Request[Principal, Any, Any], data: JSONBody[ExposureCreate], db: DB,
        grader: GraderDep, clock: ClockDep,
    ) -> Exposure:
        _ensure_owner(request.user)
        if data.reported_on > clock.today():
            raise Unprocessable("reported_on is in the future", slug="invalid-dates")
        async with db.write.acquire() as conn, conn.transaction():
            await _covered_subject(conn, request.user, data.subject_id)
            row = await conn.fetchrow(q.insert_exposure, data.subject_id, data.outlet,
                                      data.title, data.reported_on, data.severity,
                                      data.verified, request.user.department)
            grade = await _regrade(conn, grader, data.subject_id, clock.today())
            await audit.append(conn, request.user, action="medical_insurance.exposure.add",
                               endpoint=audit.endpoint_of(request), subject_id=data.subject_id,
                               detail={"verified": data.verified})
        return Exposure(**dict(row), grade=grade, grade_label=GRADE_LABELS[grade])
