"""HTTP endpoints for accountability: audit (查询使用登记), the non-public full file, objections
(异议), credit repair (信用修复), commitments (信用承诺), 失信曝光台 and 信用商圈/信用街区.

Each route declares its roles with ``requires(…)``; the service then checks the scope (the
merchant's enterprise, the record's source department, the department's region). Every
non-public read and every write appends an audit entry in the same transaction.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import ResponseHeader
from litestar.params import FromQuery, JSONBody, PathParameter, QueryParameter

from xinyi_api import audit
from xinyi_api.accountability import public, service
from xinyi_api.accountability import schemas as s
from xinyi_api.auth.guards import requires
from xinyi_api.auth.tokens import Principal
from xinyi_api.deps import DB, ClockDep, CursorsDep, GraderDep
from xinyi_api.errors import BadRequest, Conflict, Forbidden, NotFound, Unauthorized, Unprocessable
from xinyi_api.grading import service as grading
from xinyi_api.grading.schemas import GradeView, grade_view
from xinyi_api.inputs import INT64_MAX, PlausibleDateTime
from xinyi_api.inputs.cursor import CURSOR as PAGE_CURSOR
from xinyi_api.inputs.cursor import DEFAULT_LIMIT, next_link
from xinyi_api.inputs.cursor import LIMIT as PAGE_LIMIT

SUBJECT_ID = PathParameter(pattern=r"^[ES][0-9]{8}$", description="enterprise or store id")
RECORD_ID = PathParameter(pattern=r"^R[0-9]{10}$", description="record id")
OBJECTION_ID = PathParameter(pattern=r"^O[0-9]{10}$", description="objection id")
REPAIR_ID = PathParameter(pattern=r"^P[0-9]{10}$", description="repair application id")
COMMITMENT_ID = PathParameter(pattern=r"^C[0-9]{10}$", description="commitment id")
DISTRICT_ID = PathParameter(pattern=r"^D[0-9]{10}$", description="district id")
STORE_ID = PathParameter(pattern=r"^S[0-9]{8}$", description="store id")
REGION = QueryParameter(pattern=r"^[0-9]{6}$", description="行政区划 code; a city covers its "
                        "districts")
LIMIT = PAGE_LIMIT
PAGED = ("Cursor-paged: when there are more, the `Link` header names the next page "
         "(`rel=\"next\"`) and `X-Next-Cursor` holds its cursor; pass it as `cursor` with the "
         "same filters. 400 `invalid-cursor` for a cursor of another list or filter.")
PAGE_HEADERS = [
    ResponseHeader(name="Link", documentation_only=True,
                   description='`<…?cursor=…>; rel="next"` while there is a next page'),
    ResponseHeader(name="X-Next-Cursor", documentation_only=True,
                   description="the cursor of the next page, while there is one"),
]
PAGE = QueryParameter(ge=1, le=10_000)
CURSOR = QueryParameter(ge=1, le=INT64_MAX, description="`next_cursor` of the previous page")
PURPOSE_MIN = 2

Req = Request[Principal, Any, Any]
GUARDED = [Unauthorized, Forbidden]


async def _public_grade(conn: Any, subject_id: str) -> GradeView:
    row = await conn.fetchrow(grading.q.get_grade, subject_id, "public")
    if row is None:
        raise NotFound(f"no public grade for {subject_id}")
    return grade_view(row)


def _purpose(purpose: str | None) -> str:
    text = (purpose or "").strip()
    if len(text) < PURPOSE_MIN:
        raise BadRequest("reading a non-public credit file needs its purpose (查询事由): pass "
                         "?purpose=… (e.g. 双随机抽查, 行政许可审查)", slug="purpose-required")
    return text


def _paged(request: Req, items: list[Any], next_cursor: str | None) -> Response[list[Any]]:
    """A page whose body is a bare list (kept for existing clients): the next page in headers."""
    link = next_link(request, next_cursor)
    headers = {} if link is None or next_cursor is None else {
        "Link": f'<{link}>; rel="next"', "X-Next-Cursor": next_cursor}
    return Response(items, headers=headers)


class AuditController(Controller):
    path = "/api/v1/audit"
    tags = ("accountability 问责",)

    @get(
        "/",
        guards=[requires("operator")],
        summary="Search the audit log (查询使用登记 / 操作留痕)",
        description="Operators only. Newest first; pass `next_cursor` as `cursor`. The search "
        "is itself logged. Every committed entry is listed at once; `seq`, `prev_hash` and "
        "`hash` are null until the entry is sealed into the hash chain (usually within a "
        "fraction of a second).",
        raises=GUARDED,
    )
    async def search(
        self, request: Req, db: DB,
        subject_id: Annotated[str | None, QueryParameter(pattern=r"^[ES][0-9]{8}$")] = None,
        actor: Annotated[str | None, QueryParameter(max_length=100)] = None,
        department: Annotated[str | None, QueryParameter(pattern=r"^[a-z][a-z0-9_]{1,39}$")]
        = None,
        action: Annotated[str | None, QueryParameter(pattern=r"^[a-z][a-z0-9_.]{0,60}$",
                                                     description="action prefix")] = None,
        since: FromQuery[PlausibleDateTime | None] = None,
        until: FromQuery[PlausibleDateTime | None] = None,
        cursor: Annotated[int | None, CURSOR] = None,
        limit: Annotated[int, LIMIT] = 50,
    ) -> s.AuditPage:
        async with db.write.acquire() as conn:
            await audit.append(conn, request.user, action="audit.read",
                               subject_id=subject_id, endpoint=audit.endpoint_of(request))
            # Seal what is committed first, unless another sealer is at it right now: either
            # way every committed entry is listed, sealed or not (seq and hashes still null).
            await audit.seal(conn, wait=False)
            rows = await conn.fetch(audit.q.search_entries, subject_id, actor, department,
                                    action, since, until, cursor, limit + 1)
        items = [s.AuditEntry(**dict(r)) for r in rows[:limit]]
        return s.AuditPage(items=items,
                           next_cursor=items[-1].id if len(rows) > limit else None)

    @get(
        "/verification",
        guards=[requires("operator")],
        summary="Verify the audit hash chain",
        description="Seals the committed entries, then re-computes every sealed entry's sha256 "
        "and link in chain order; reports the first changed or missing entry, and how many "
        "entries are not sealed yet (committed during the check). The same check as "
        "`xinyi-api audit verify`.",
        raises=GUARDED,
    )
    async def verification(self, db: DB) -> s.AuditVerification:
        async with db.write.acquire() as conn:
            result = await audit.verify(conn)
        return s.AuditVerification(
            ok=result.ok, checked=result.checked, last_seq=result.last_seq,
            last_id=result.last_id, first_bad_seq=result.first_bad_seq,
            first_bad_id=result.first_bad_id, problem=result.problem, unsealed=result.unsealed,
            oldest_unsealed_at=result.oldest_unsealed_at)


class SubjectFileController(Controller):
    path = "/api/v1/subjects/{subject_id:str}"
    tags = ("accountability 问责",)

    @get(
        "/file",
        guards=[requires("department", "operator")],
        summary="A subject's full, non-public credit file (needs a purpose)",
        description="Every record incl. repaired, withdrawn and expired ones, with objections, "
        "repairs and commitments. The caller must state the purpose (查询事由) as "
        "`?purpose=…`; the read is registered (查询使用登记) before the data is returned, and "
        "the subject can see it in its access log. Departments only inside their region.",
        raises=[*GUARDED, BadRequest, NotFound],
    )
    async def full_file(
        self, request: Req, subject_id: Annotated[str, SUBJECT_ID], db: DB, clock: ClockDep,
        purpose: Annotated[str | None, QueryParameter(max_length=200,
                                                      description="查询事由, required")] = None,
    ) -> s.SubjectFile:
        reason = _purpose(purpose)
        async with db.write.acquire() as conn:
            return await service.read_full_file(conn, request.user, subject_id, reason,
                                                clock.today(), endpoint=audit.endpoint_of(request))

    @get(
        "/access-log",
        guards=[requires("merchant", "operator")],
        summary="Who looked at this subject's non-public file (查询使用登记)",
        description="For the merchant of the enterprise (and its stores) and operators: every "
        "registered read of the subject's non-public data, with the department and purpose.",
        raises=[*GUARDED, NotFound],
    )
    async def access_log(
        self, request: Req, subject_id: Annotated[str, SUBJECT_ID], db: DB,
        cursor: Annotated[int | None, CURSOR] = None,
        limit: Annotated[int, LIMIT] = 50,
    ) -> s.AccessLogPage:
        async with db.write.acquire() as conn:
            if await conn.fetchrow(service.q.subject_brief, subject_id) is None:
                raise NotFound(f"no subject {subject_id}")
            await service.ensure_merchant_of(conn, request.user, subject_id)
            rows = await conn.fetch(audit.q.reads_of_subject, subject_id, cursor, limit + 1)
            await audit.append(conn, request.user, action="access_log.view",
                               subject_id=subject_id, endpoint=audit.endpoint_of(request))
        items = [s.AccessEntry(**dict(r)) for r in rows[:limit]]
        return s.AccessLogPage(items=items,
                               next_cursor=items[-1].id if len(rows) > limit else None)


class RecordHistoryController(Controller):
    tags = ("accountability 问责",)

    @get(
        "/api/v1/records/{record_id:str}/history",
        guards=[requires("department", "merchant", "operator")],
        summary="A record and every change to it (修改留痕)",
        description="Corrections (更正) and withdrawals (撤销) with the department's reason, "
        "objections filed and decided (异议), approved repairs (信用修复): who, when, why and "
        "each changed field before and after, oldest first. For the record's source department "
        "(inside its region), the merchant of its subject and operators; other departments read "
        "it in the full file (`GET /api/v1/subjects/{id}/file?purpose=…`). The read is audited.",
        raises=[*GUARDED, NotFound],
    )
    async def history(
        self, request: Req, record_id: Annotated[str, RECORD_ID], db: DB,
    ) -> s.RecordHistory:
        async with db.write.acquire() as conn:
            return await service.record_history(conn, request.user, record_id,
                                                endpoint=audit.endpoint_of(request))


class ObjectionController(Controller):
    tags = ("accountability 问责",)

    @post(
        "/api/v1/records/{record_id:str}/objections",
        guards=[requires("merchant")],
        summary="Dispute a record (异议申请)",
        description="The merchant of the record's enterprise gives a reason and attachment "
        "metadata. The record shows 异议处理中 on public views until the source department "
        "decides, within 5 working days (holidays and 调休 per the State Council schedule).",
        raises=[*GUARDED, NotFound, Conflict],
    )
    async def file(
        self, request: Req, record_id: Annotated[str, RECORD_ID],
        data: JSONBody[s.ObjectionCreate], db: DB, grader: GraderDep, clock: ClockDep,
    ) -> s.Objection:
        async with db.write.acquire() as conn:
            objection_id = await service.file_objection(
                conn, grader, request.user, record_id, data, clock.today(),
                endpoint=audit.endpoint_of(request))
            row = await conn.fetchrow(service.q.get_objection, objection_id)
            return (await service.objection_views(conn, [row], clock.today()))[0]

    @get(
        "/api/v1/objections",
        guards=[requires("department", "merchant", "operator")],
        summary="Objection queue (异议处理)",
        description="A department sees objections to its own records: overdue ones first, then "
        "by deadline. A merchant sees those it filed; an operator sees all. " + PAGED,
        raises=[*GUARDED, BadRequest],
        response_headers=PAGE_HEADERS,
    )
    async def queue(
        self, request: Req, db: DB, clock: ClockDep, cursors: CursorsDep,
        open_only: FromQuery[bool] = True,
        cursor: Annotated[str | None, PAGE_CURSOR] = None,
        limit: Annotated[int, LIMIT] = DEFAULT_LIMIT,
    ) -> Response[list[s.Objection]]:
        async with db.write.acquire() as conn:
            items, next_cursor = await service.objection_queue(
                conn, cursors, request.user, clock.today(), open_only=open_only, cursor=cursor,
                limit=limit, endpoint=audit.endpoint_of(request))
        return _paged(request, items, next_cursor)

    @get(
        "/api/v1/objections/{objection_id:str}",
        guards=[requires("department", "merchant", "operator")],
        summary="One objection",
        description="For the filing merchant, the record's source department and operators.",
        raises=[*GUARDED, NotFound],
    )
    async def read(
        self, request: Req, objection_id: Annotated[str, OBJECTION_ID], db: DB, clock: ClockDep,
    ) -> s.Objection:
        async with db.write.acquire() as conn:
            return await service.get_objection(conn, request.user, objection_id, clock.today(),
                                               endpoint=audit.endpoint_of(request))

    @post(
        "/api/v1/objections/{objection_id:str}/decision",
        guards=[requires("department")],
        status_code=200,
        summary="Decide an objection: correct, withdraw or uphold the record",
        description="Only the record's source department. `correct` needs `correction` with the "
        "changed fields; `withdraw` (撤销) removes the record from public view; `uphold` (维持) "
        "restores it. The grade is recomputed in the same transaction.",
        raises=[*GUARDED, NotFound, Conflict, Unprocessable],
    )
    async def decide(
        self, request: Req, objection_id: Annotated[str, OBJECTION_ID],
        data: JSONBody[s.ObjectionDecision], db: DB, grader: GraderDep, clock: ClockDep,
    ) -> s.ObjectionDecided:
        async with db.write.acquire() as conn:
            await service.decide_objection(conn, grader, request.user, objection_id, data,
                                           clock.today(), endpoint=audit.endpoint_of(request))
            row = await conn.fetchrow(service.q.get_objection, objection_id)
            view = (await service.objection_views(conn, [row], clock.today()))[0]
            return s.ObjectionDecided(objection=view,
                                      grade=await _public_grade(conn, row["subject_id"]))


class RepairController(Controller):
    tags = ("accountability 问责",)

    @post(
        "/api/v1/records/{record_id:str}/repairs",
        guards=[requires("merchant")],
        summary="Apply for credit repair (信用修复申请)",
        description="After the minimum public period (最短公示期: 一般 3 months, 严重 1 year, "
        "see docs/accountability.md) the merchant applies with evidence and a 信用修复型 "
        "commitment, both in one request (一次申请). Too early is a 422 naming the first day.",
        raises=[*GUARDED, NotFound, Conflict, Unprocessable],
    )
    async def apply(
        self, request: Req, record_id: Annotated[str, RECORD_ID],
        data: JSONBody[s.RepairCreate], db: DB, clock: ClockDep,
    ) -> s.Repair:
        async with db.write.acquire() as conn:
            repair_id = await service.apply_repair(conn, request.user, record_id, data,
                                                   clock.today(),
                                                   endpoint=audit.endpoint_of(request))
            row = await conn.fetchrow(service.q.get_repair, repair_id)
            return (await service.repair_views(conn, [row], clock.today()))[0]

    @get(
        "/api/v1/repairs",
        guards=[requires("department", "merchant", "operator")],
        summary="Repair queue (信用修复办理)",
        description="A department sees applications on its records, overdue first; a merchant "
        "its own; an operator all. " + PAGED,
        raises=[*GUARDED, BadRequest],
        response_headers=PAGE_HEADERS,
    )
    async def queue(
        self, request: Req, db: DB, clock: ClockDep, cursors: CursorsDep,
        open_only: FromQuery[bool] = True,
        cursor: Annotated[str | None, PAGE_CURSOR] = None,
        limit: Annotated[int, LIMIT] = DEFAULT_LIMIT,
    ) -> Response[list[s.Repair]]:
        async with db.write.acquire() as conn:
            items, next_cursor = await service.repair_queue(
                conn, cursors, request.user, clock.today(), open_only=open_only, cursor=cursor,
                limit=limit, endpoint=audit.endpoint_of(request))
        return _paged(request, items, next_cursor)

    @get(
        "/api/v1/repairs/{repair_id:str}",
        guards=[requires("department", "merchant", "operator")],
        summary="One repair application",
        description="For the applying merchant, the record's source department and operators.",
        raises=[*GUARDED, NotFound],
    )
    async def read(
        self, request: Req, repair_id: Annotated[str, REPAIR_ID], db: DB, clock: ClockDep,
    ) -> s.Repair:
        async with db.write.acquire() as conn:
            return await service.get_repair(conn, request.user, repair_id, clock.today(),
                                            endpoint=audit.endpoint_of(request))

    @post(
        "/api/v1/repairs/{repair_id:str}/decision",
        guards=[requires("department")],
        status_code=200,
        summary="Approve or refuse a repair",
        description="Only the record's source department, with a reason. Approval marks the "
        "record 已修复 (repaired): it leaves every public view (records, grade, 失信曝光台, "
        "scan) at once and the grade is recomputed in the same transaction.",
        raises=[*GUARDED, NotFound, Conflict],
    )
    async def decide(
        self, request: Req, repair_id: Annotated[str, REPAIR_ID],
        data: JSONBody[s.RepairDecision], db: DB, grader: GraderDep, clock: ClockDep,
    ) -> s.RepairDecided:
        async with db.write.acquire() as conn:
            await service.decide_repair(conn, grader, request.user, repair_id, data,
                                        clock.today(), endpoint=audit.endpoint_of(request))
            row = await conn.fetchrow(service.q.get_repair, repair_id)
            view = (await service.repair_views(conn, [row], clock.today()))[0]
            return s.RepairDecided(repair=view,
                                   grade=await _public_grade(conn, row["subject_id"]))


class CommitmentController(Controller):
    tags = ("accountability 问责",)

    @post(
        "/api/v1/subjects/{subject_id:str}/commitments",
        guards=[requires("merchant")],
        summary="Sign a credit commitment (信用承诺)",
        description="Types 审批替代型, 证明替代型, 信用修复型, 主动公示型, 行业自律型, addressed "
        "to a department, which later marks it kept or broken. Public once signed.",
        raises=[*GUARDED, NotFound, Unprocessable],
    )
    async def sign(
        self, request: Req, subject_id: Annotated[str, SUBJECT_ID],
        data: JSONBody[s.CommitmentCreate], db: DB, clock: ClockDep,
    ) -> s.Commitment:
        async with db.write.acquire() as conn:
            return await service.sign_commitment(conn, request.user, subject_id, data,
                                                 clock.today(),
                                                 endpoint=audit.endpoint_of(request))

    @get(
        "/api/v1/subjects/{subject_id:str}/commitments",
        summary="A subject's public credit commitments",
        description="Every commitment the subject signed, newest first, with whether it was "
        "kept (公开承诺, 践诺情况).",
        raises=[NotFound],
    )
    async def public_list(
        self, subject_id: Annotated[str, SUBJECT_ID], db: DB,
        limit: Annotated[int, LIMIT] = 50,
    ) -> list[s.Commitment]:
        async with db.read.acquire() as conn:
            return await service.public_commitments(conn, subject_id, limit)

    @get(
        "/api/v1/commitments",
        guards=[requires("department")],
        summary="Commitments awaiting assessment (信用承诺待评估)",
        description="Commitments addressed to the caller's department, of subjects inside its "
        "region. `status=awaiting_assessment` (default): those still in force, whose "
        "`valid_until` has passed (`ended: true`) or comes first at the top, open-ended ones "
        "last; `assessed`: kept or broken; `all`. Cursor-paged: pass `next_cursor` as `cursor` "
        "with the same `status` (or follow `next`); 400 `invalid-cursor` for a cursor of "
        "another list or filter. The read is audited.",
        raises=[*GUARDED, BadRequest],
    )
    async def queue(
        self, request: Req, db: DB, clock: ClockDep, cursors: CursorsDep,
        status: Annotated[Literal["awaiting_assessment", "assessed", "all"], QueryParameter(
            description="which commitments")] = "awaiting_assessment",
        cursor: Annotated[str | None, PAGE_CURSOR] = None,
        limit: Annotated[int, LIMIT] = DEFAULT_LIMIT,
    ) -> s.CommitmentQueue:
        async with db.write.acquire() as conn:
            page = await service.commitment_queue(conn, cursors, request.user, status,
                                                  clock.today(), cursor=cursor, limit=limit,
                                                  endpoint=audit.endpoint_of(request))
        page.next = next_link(request, page.next_cursor)
        return page

    @post(
        "/api/v1/commitments/{commitment_id:str}/assessment",
        guards=[requires("department")],
        status_code=200,
        summary="Mark a commitment kept or broken",
        description="Only the department the commitment is addressed to. Either way the result "
        "becomes a `commitment` credit record (broken: an adverse record that needs severity "
        "and legal basis) and the subject is regraded.",
        raises=[*GUARDED, NotFound, Conflict, Unprocessable],
    )
    async def assess(
        self, request: Req, commitment_id: Annotated[str, COMMITMENT_ID],
        data: JSONBody[s.CommitmentAssessment], db: DB, grader: GraderDep, clock: ClockDep,
    ) -> s.CommitmentAssessed:
        async with db.write.acquire() as conn:
            commitment, record = await service.assess_commitment(
                conn, grader, request.user, commitment_id, data, clock.today(),
                endpoint=audit.endpoint_of(request))
            return s.CommitmentAssessed(commitment=commitment, record=record,
                                        grade=await _public_grade(conn, record.subject_id))


class DisclosureController(Controller):
    path = "/api/v1/disclosures"
    tags = ("accountability 问责",)

    @get(
        "/",
        summary="失信曝光台: public disclosure of serious dishonesty",
        description="Severe (严重) adverse records inside their display period, newest first, "
        "with reason and legal basis. A record leaves the board when repaired, withdrawn or "
        "expired. Search by subject / enterprise name, title or exact USCC.",
    )
    async def board(
        self, db: DB, clock: ClockDep,
        q: Annotated[str | None, QueryParameter(max_length=50)] = None,
        region: Annotated[str | None, REGION] = None,
        page: Annotated[int, PAGE] = 1,
        page_size: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    ) -> s.DisclosurePage:
        async with db.read.acquire() as conn:
            return await public.disclosures(conn, clock.today(),
                                            q_text=q.strip() if q and q.strip() else None,
                                            region=region, page=page, page_size=page_size)


class DepartmentController(Controller):
    path = "/api/v1/departments"
    tags = ("accountability 问责",)

    @get(
        "/",
        summary="Departments 部门: the names and telephones records and scans cite by code",
        description="Public. Each department's code (as in `source_department`, a scenario's "
        "`department`), its full Chinese name, the region it covers and its public telephone "
        "(咨询电话, null until set). `region`: only the departments covering that region "
        "(its own, its city's, its province's and those without a region).",
    )
    async def index(self, db: DB,
                    region: Annotated[str | None, REGION] = None) -> list[s.Department]:
        async with db.read.acquire() as conn:
            return await public.list_departments(conn, region=region)


class DistrictController(Controller):
    path = "/api/v1/districts"
    tags = ("accountability 问责",)

    @post(
        "/",
        guards=[requires("department")],
        summary="Set up a 信用商圈 / 信用街区",
        description="Inside the department's region; add stores afterwards.",
        raises=[*GUARDED, Unprocessable],
    )
    async def create(self, request: Req, data: JSONBody[s.DistrictCreate],
                     db: DB) -> s.District:
        async with db.write.acquire() as conn:
            district_id = await public.create_district(conn, request.user, data,
                                                       endpoint=audit.endpoint_of(request))
            return await public.get_district(conn, district_id)

    @get(
        "/",
        summary="信用商圈 / 信用街区 list",
        description="Each with its store count and the grade distribution of its open stores.",
    )
    async def index(
        self, db: DB, region: Annotated[str | None, REGION] = None,
        page: Annotated[int, PAGE] = 1,
        page_size: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    ) -> list[s.DistrictSummary]:
        async with db.read.acquire() as conn:
            return await public.list_districts(conn, region=region, page=page,
                                               page_size=page_size)

    @get(
        "/{district_id:str}",
        summary="A district with its grade distribution and stores",
        raises=[NotFound],
    )
    async def read(self, district_id: Annotated[str, DISTRICT_ID], db: DB) -> s.District:
        async with db.read.acquire() as conn:
            return await public.get_district(conn, district_id)

    @post(
        "/{district_id:str}/stores",
        guards=[requires("department")],
        status_code=200,
        summary="Add stores to a district",
        description="Only the department that set it up; stores must lie in its region.",
        raises=[*GUARDED, NotFound, Unprocessable],
    )
    async def add_stores(
        self, request: Req, district_id: Annotated[str, DISTRICT_ID],
        data: JSONBody[s.DistrictStoresAdd], db: DB,
    ) -> s.District:
        async with db.write.acquire() as conn:
            await public.add_stores(conn, request.user, district_id, data,
                                    endpoint=audit.endpoint_of(request))
            return await public.get_district(conn, district_id)

    @delete(
        "/{district_id:str}/stores/{store_id:str}",
        guards=[requires("department")],
        summary="Take a store out of a district",
        raises=[*GUARDED, NotFound],
    )
    async def remove_store(
        self, request: Req, district_id: Annotated[str, DISTRICT_ID],
        store_id: Annotated[str, STORE_ID], db: DB,
    ) -> None:
        async with db.write.acquire() as conn:
            await public.remove_store(conn, request.user, district_id, store_id,
                                      endpoint=audit.endpoint_of(request))


CONTROLLERS = [
    AuditController,
    SubjectFileController,
    RecordHistoryController,
    ObjectionController,
    RepairController,
    CommitmentController,
    DisclosureController,
    DepartmentController,
    DistrictController,
]
