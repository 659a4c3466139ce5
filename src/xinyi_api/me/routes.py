"""HTTP endpoints of a consumer's own data: 我的评价, 我的投诉, 个人信息导出."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, delete, get
from litestar.params import PathParameter

from xinyi_api import audit
from xinyi_api.auth.guards import requires
from xinyi_api.auth.tokens import Principal
from xinyi_api.consumers import service
from xinyi_api.deps import DB, ClockDep, GraderDep
from xinyi_api.errors import Forbidden, NotFound, Unauthorized
from xinyi_api.me import schemas
from xinyi_api.persons.deps import PersonsDep
from xinyi_api.persons.schemas import record_view
from xinyi_api.ratings import complaints as complaint_service
from xinyi_api.ratings import schemas as rating_schemas
from xinyi_api.ratings import service as rating_service
from xinyi_api.state import platform_of

AUTH_TAG = "consumers 消费者与经营者"
GUARDED = [Unauthorized, Forbidden]
Req = Request[Principal, Any, Any]
RATING_ID = PathParameter(pattern=r"^T[0-9]{10}$", description="rating id")
COMPLAINT_ID = PathParameter(pattern=r"^Q[0-9]{10}$", description="complaint id")


class MeController(Controller):
    path = "/api/v1/me"
    tags = (AUTH_TAG,)

    @get(
        "/ratings",
        guards=[requires("consumer")],
        summary="My ratings (我的评价), whatever their status",
        raises=GUARDED,
    )
    async def my_ratings(self, request: Req, db: DB) -> list[rating_schemas.MyRating]:
        async with db.write.acquire() as conn:
            return await rating_service.mine(conn, request.user.sub)

    @delete(
        "/ratings/{rating_id:str}",
        guards=[requires("consumer")],
        summary="Delete one of my ratings for good",
        description="The rating, its reply and its votes are deleted; the store is regraded if "
        "it counted. A moderation decision about it (e.g. found malicious) is kept.",
        raises=[*GUARDED, NotFound],
    )
    async def delete_rating(
        self, request: Req, rating_id: Annotated[str, RATING_ID], db: DB, grader: GraderDep,
        clock: ClockDep,
    ) -> None:
        async with db.write.acquire() as conn:
            await rating_service.delete_mine(conn, grader, request.user, rating_id,
                                             clock.today(), endpoint=audit.endpoint_of(request))

    @get(
        "/complaints",
        guards=[requires("consumer")],
        summary="My complaints (我的投诉) and their outcomes",
        raises=GUARDED,
    )
    async def my_complaints(self, request: Req, db: DB) -> list[rating_schemas.Complaint]:
        async with db.write.acquire() as conn:
            return await complaint_service.mine(conn, request.user.sub)

    @delete(
        "/complaints/{complaint_id:str}",
        guards=[requires("consumer")],
        summary="Delete one of my complaints",
        description="An open complaint is withdrawn. For an upheld one, the credit record the "
        "department added stays in the store's file (it holds the department's finding, not "
        "the complaint text).",
        raises=[*GUARDED, NotFound],
    )
    async def delete_complaint(
        self, request: Req, complaint_id: Annotated[str, COMPLAINT_ID], db: DB,
    ) -> None:
        async with db.write.acquire() as conn:
            await complaint_service.delete_mine(conn, request.user, complaint_id,
                                                endpoint=audit.endpoint_of(request))

    @get(
        "/export",
        guards=[requires("consumer")],
        summary="Export everything stored about me (个人信息导出), as JSON",
        description="The account (pseudonymous id, created, last login), all my ratings, "
        "complaints, visit proofs and my personal credit records (个人信用记录).",
        raises=GUARDED,
    )
    async def export(self, request: Req, db: DB, persons: PersonsDep) -> schemas.Export:
        sub = request.user.sub
        async with db.write.acquire() as conn, conn.transaction(isolation="repeatable_read",
                                                                 readonly=True):
            account = await conn.fetchrow(service.q.account, sub)
            ratings = await rating_service.mine(conn, sub)
            complaints = await complaint_service.mine(conn, sub)
            visits = await conn.fetch(service.q.my_visits, sub)
            records = await persons.records(conn, sub)
        return schemas.Export(
            account=schemas.Account(
                id=sub, role=request.user.role,
                created_at=account["created_at"] if account else None,
                last_login_at=account["last_login_at"] if account else None),
            ratings=ratings, complaints=complaints,
            visits=[schemas.Visit(**dict(v)) for v in visits],
            personal_records=[record_view(r) for r in records],
            exported_at=platform_of(request.app).clock.now())


CONTROLLERS = [MeController]
