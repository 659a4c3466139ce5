"""HTTP endpoints for enterprises (一企一码) and stores (一店一档)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, patch, post
from litestar.params import FromQuery, JSONBody, PathParameter, QueryParameter

from xinyi_api import audit
from xinyi_api.auth.guards import requires
from xinyi_api.auth.tokens import Principal
from xinyi_api.codes.deps import SignerDep
from xinyi_api.deps import DB, ClockDep, GraderDep, IndustriesDep
from xinyi_api.errors import Conflict, Forbidden, NotFound, Unauthorized, Unprocessable
from xinyi_api.subjects import schemas, service

DEPARTMENT_ERRORS = [Unauthorized, Forbidden, NotFound, Unprocessable]
RECLASSIFY = (
    "A department of the subject's region may change its name, address, location and closure. "
    "Its classification — `industry` and `region_code`, which decide the scenarios and measures "
    "that apply — belongs to the department that registered it, or an operator: any other "
    "department gets 403 `not-subject-owner`, and an operator may change nothing else (403 "
    "`forbidden`). A classification change is audited as `enterprise.reclassify` / "
    "`store.reclassify` with the values before and after."
)
ENTERPRISE_ID = PathParameter(pattern=r"^E[0-9]{8}$", description="enterprise id")
STORE_ID = PathParameter(pattern=r"^S[0-9]{8}$", description="store id")


class EnterpriseController(Controller):
    path = "/api/v1/enterprises"
    tags = ("subjects 信用主体",)

    @post(
        "/",
        guards=[requires("department")],
        summary="Register an enterprise or 个体工商户",
        description="Validates the 统一社会信用代码 check character; a code already registered "
        "is a 409 (重错码治理). The new subject starts 暂无评级 until records arrive.",
        raises=[*DEPARTMENT_ERRORS, Conflict],
    )
    async def create(
        self, request: Request[Principal, Any, Any], data: JSONBody[schemas.EnterpriseCreate],
        db: DB, grader: GraderDep, clock: ClockDep, signer: SignerDep, industries: IndustriesDep,
    ) -> schemas.Enterprise:
        service.ensure_known_industry(industries, data.industry)
        async with db.write.acquire() as conn:
            subject_id = await service.create_enterprise(conn, grader, request.user, data,
                                                         clock.today(),
                                                         endpoint=audit.endpoint_of(request))
            return await service.get_enterprise(conn, signer, subject_id)

    @get("/{enterprise_id:str}", summary="An enterprise's public profile", raises=[NotFound])
    async def read(
        self, enterprise_id: Annotated[str, ENTERPRISE_ID], db: DB, signer: SignerDep
    ) -> schemas.Enterprise:
        async with db.read.acquire() as conn:
            return await service.get_enterprise(conn, signer, enterprise_id)

    @patch(
        "/{enterprise_id:str}",
        guards=[requires("department", "operator")],
        summary="Change an enterprise, or mark it closed (歇业)",
        description="Closing an enterprise closes its stores too; nothing is deleted. "
        + RECLASSIFY,
        raises=DEPARTMENT_ERRORS,
    )
    async def update(
        self, request: Request[Principal, Any, Any],
        enterprise_id: Annotated[str, ENTERPRISE_ID], data: JSONBody[schemas.SubjectUpdate],
        db: DB, grader: GraderDep, clock: ClockDep, signer: SignerDep, industries: IndustriesDep,
    ) -> schemas.Enterprise:
        if isinstance(data.industry, str):
            service.ensure_known_industry(industries, data.industry)
        async with db.write.acquire() as conn:
            await service.update_subject(conn, grader, request.user, enterprise_id, data,
                                         store=False, now=clock.now(), today=clock.today(),
                                         endpoint=audit.endpoint_of(request))
            return await service.get_enterprise(conn, signer, enterprise_id)

    @post(
        "/{enterprise_id:str}/stores",
        guards=[requires("department")],
        summary="Open a store (门店) of an enterprise",
        description="Each store gets its own credit file (一店一档) and grade.",
        raises=[*DEPARTMENT_ERRORS, Conflict],
    )
    async def create_store(
        self, request: Request[Principal, Any, Any],
        enterprise_id: Annotated[str, ENTERPRISE_ID], data: JSONBody[schemas.StoreCreate],
        db: DB, grader: GraderDep, clock: ClockDep, signer: SignerDep, industries: IndustriesDep,
    ) -> schemas.Store:
        service.ensure_known_industry(industries, data.industry)
        async with db.write.acquire() as conn:
            store_id = await service.create_store(conn, grader, request.user, enterprise_id,
                                                  data, clock.today(),
                                                  endpoint=audit.endpoint_of(request))
            return await service.get_store(conn, signer, store_id)


class StoreController(Controller):
    path = "/api/v1/stores"
    tags = ("subjects 信用主体",)

    @get(
        "/",
        summary="Search stores (门店查询)",
        description="Paged by cursor: pass the `next_cursor` of a page as `cursor`. Closed "
        "stores are left out unless `include_closed=true`.",
    )
    async def search(
        self,
        db: DB,
        signer: SignerDep,
        q: Annotated[str | None, QueryParameter(max_length=50, description="part of the store or "
                                           "enterprise name")] = None,
        region: Annotated[str | None, QueryParameter(pattern=r"^[0-9]{6}$",
                                                description="行政区划 code; a city code "
                                                "covers its districts")] = None,
        industry: Annotated[str | None, QueryParameter(pattern=r"^[a-z][a-z0-9_]{1,39}$")] = None,
        kind: Annotated[str | None, QueryParameter(pattern=r"^(enterprise|individual)$",
                                              description="owner kind")] = None,
        grade: Annotated[str | None, QueryParameter(pattern=r"^(A|B|C|D|unrated)$")] = None,
        cursor: Annotated[str | None, QueryParameter(pattern=r"^S[0-9]{8}$")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
        include_closed: FromQuery[bool] = False,
    ) -> schemas.StorePage:
        async with db.read.acquire() as conn:
            return await service.search_stores(
                conn, signer, q_text=q.strip() if q else None, region=region, industry=industry,
                kind=kind, grade=grade, cursor=cursor, limit=limit,
                include_closed=include_closed,
            )

    @get("/{store_id:str}", summary="A store's public profile", raises=[NotFound])
    async def read(
        self, store_id: Annotated[str, STORE_ID], db: DB, signer: SignerDep
    ) -> schemas.Store:
        async with db.read.acquire() as conn:
            return await service.get_store(conn, signer, store_id)

    @patch(
        "/{store_id:str}",
        guards=[requires("department", "operator")],
        summary="Change a store, or mark it closed",
        description=RECLASSIFY,
        raises=DEPARTMENT_ERRORS,
    )
    async def update(
        self, request: Request[Principal, Any, Any], store_id: Annotated[str, STORE_ID],
        data: JSONBody[schemas.SubjectUpdate], db: DB, grader: GraderDep, clock: ClockDep,
        signer: SignerDep, industries: IndustriesDep,
    ) -> schemas.Store:
        if isinstance(data.industry, str):
            service.ensure_known_industry(industries, data.industry)
        async with db.write.acquire() as conn:
            await service.update_subject(conn, grader, request.user, store_id, data, store=True,
                                         now=clock.now(), today=clock.today(),
                                         endpoint=audit.endpoint_of(request))
            return await service.get_store(conn, signer, store_id)


class IndustryController(Controller):
    path = "/api/v1/industries"
    tags = ("subjects 信用主体",)

    @get("/", summary="The industries (行业) a subject may be registered with",
         description="The core's common industries and those the enabled scenarios add. A "
         "subject's `industry` must be one of these keys (422 `unknown-industry`); scenarios "
         "cover subjects by these keys.")
    async def list_industries(self, industries: IndustriesDep) -> list[schemas.IndustryView]:
        return [schemas.IndustryView(key=i.key, name_zh=i.name_zh, name_en=i.name_en)
                for i in industries.all()]


CONTROLLERS = [EnterpriseController, StoreController, IndustryController]
