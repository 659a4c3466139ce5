"""HTTP endpoints for credit records: departments write them, the public reads the public ones."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, patch, post
from litestar.params import JSONBody, PathParameter, QueryParameter

from xinyi_api import audit
from xinyi_api.auth.guards import requires
from xinyi_api.auth.tokens import Principal
from xinyi_api.deps import DB, ClockDep, GraderDep
from xinyi_api.errors import Conflict, Forbidden, NotFound, Unauthorized, Unprocessable
from xinyi_api.grading import service as grading
from xinyi_api.grading.schemas import GradeHistoryItem, GradeView, SchemeGradeReader, grade_view
from xinyi_api.records import schemas, service
from xinyi_api.records.repair_rules import repair_guidance
from xinyi_api.state import platform_of
from xinyi_api.subjects.service import q as subject_queries

SUBJECT_ID = PathParameter(pattern=r"^[ES][0-9]{8}$", description="enterprise or store id")
RECORD_ID = PathParameter(pattern=r"^R[0-9]{10}$", description="record id")
SCHEME = QueryParameter(pattern=r"^[a-z][a-z0-9_]{1,40}$", description="'public' or a scenario key")


async def _public_grade(conn: Any, subject_id: str, scheme: str = "public") -> GradeView:
    row = await conn.fetchrow(grading.q.get_grade, subject_id, scheme)
    if row is None:
        raise NotFound(f"no {scheme} grade for {subject_id}")
    return grade_view(row)


class RecordController(Controller):
    tags = ("records 信用记录",)

    @post(
        "/api/v1/subjects/{subject_id:str}/records",
        guards=[requires("department")],
        summary="Add a credit record to a subject's file",
        description="The caller's department is the record's source. The public display "
        "period (公示期) is derived from kind and severity; the subject is regraded in the same "
        "transaction and the new grade returned. Adverse records need a legal basis.",
        raises=[Unauthorized, Forbidden, NotFound, Unprocessable],
    )
    async def add(
        self, request: Request[Principal, Any, Any], subject_id: Annotated[str, SUBJECT_ID],
        data: JSONBody[schemas.RecordCreate], db: DB, grader: GraderDep, clock: ClockDep,
    ) -> schemas.RecordWritten:
        async with db.write.acquire() as conn:
            row = await service.add_record(conn, grader, request.user, subject_id, data,
                                           clock.today(), endpoint=audit.endpoint_of(request))
            return schemas.RecordWritten(
                record=service.to_record(row), grade=await _public_grade(conn, subject_id),
                repair_guidance=repair_guidance(row["kind"], row["severity"], row["result"],
                                                row["occurred_on"], row["public_until"]),
            )

    @patch(
        "/api/v1/records/{record_id:str}",
        guards=[requires("department")],
        summary="Correct or withdraw (撤销) a record",
        description="Only the source department may change its records. Withdrawn records "
        "leave public view and stop counting; they are kept, never deleted.",
        raises=[Unauthorized, Forbidden, NotFound, Unprocessable, Conflict],
    )
    async def update(
        self, request: Request[Principal, Any, Any], record_id: Annotated[str, RECORD_ID],
        data: JSONBody[schemas.RecordUpdate], db: DB, grader: GraderDep, clock: ClockDep,
    ) -> schemas.RecordWritten:
        async with db.write.acquire() as conn:
            row = await service.update_record(conn, grader, request.user, record_id, data,
                                              clock.today(), endpoint=audit.endpoint_of(request))
            return schemas.RecordWritten(record=service.to_record(row),
                                         grade=await _public_grade(conn, row["subject_id"]))

    @get(
        "/api/v1/subjects/{subject_id:str}/records",
        summary="A subject's public credit records",
        description="Only records inside their display period that were neither repaired nor "
        "withdrawn; a record under objection shows as 异议处理中.",
        raises=[NotFound],
    )
    async def public_file(
        self, subject_id: Annotated[str, SUBJECT_ID], db: DB, clock: ClockDep
    ) -> list[schemas.CreditRecord]:
        async with db.read.acquire() as conn:
            if await conn.fetchrow(subject_queries.get_subject_kind, subject_id) is None:
                raise NotFound(f"no subject {subject_id}")
            return await service.public_records(conn, subject_id, clock.today())


class GradeController(Controller):
    path = "/api/v1/subjects/{subject_id:str}/grade"
    tags = ("grading 信用评价",)

    @get(
        "/",
        summary="A subject's grade with its explanation",
        description="`scheme=public` (default) is the public grade every subject has; a "
        "scenario key gives that scenario's grade.",
        raises=[NotFound],
    )
    async def read(
        self, request: Request[Any, Any, Any], subject_id: Annotated[str, SUBJECT_ID], db: DB,
        clock: ClockDep, scheme: Annotated[str, SCHEME] = "public",
    ) -> GradeView:
        async with db.read.acquire() as conn:
            if scheme == "public":
                return await _public_grade(conn, subject_id)
            # A scenario's grade: only while it is enabled and covers the subject, and never a
            # stored grade older than the scenario's configuration (xinyi_api.scenarios).
            reader: SchemeGradeReader | None = platform_of(request.app).scheme_grades
            assert reader is not None
            view = await reader(conn, subject_id, scheme, clock.today())
            if view is None:
                raise NotFound(f"no {scheme} grade for {subject_id}")
            return view

    @get("/history", summary="How a subject's grade changed", raises=[NotFound])
    async def history(
        self, subject_id: Annotated[str, SUBJECT_ID], db: DB,
        scheme: Annotated[str, SCHEME] = "public",
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> list[GradeHistoryItem]:
        async with db.read.acquire() as conn:
            rows = await conn.fetch(grading.q.grade_history, subject_id, scheme, limit)
            if not rows:
                raise NotFound(f"no {scheme} grade for {subject_id}")
            return [GradeHistoryItem(**dict(r)) for r in rows]
