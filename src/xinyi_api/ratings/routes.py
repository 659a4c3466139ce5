"""HTTP endpoints of ratings 评价, replies 回复, reports 举报, moderation 审核 and
complaints 投诉."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, get, post, put
from litestar.params import JSONBody, PathParameter, QueryParameter

from xinyi_api import audit
from xinyi_api.auth.guards import requires
from xinyi_api.auth.tokens import Principal
from xinyi_api.clock import Clock
from xinyi_api.db.pool import Database
from xinyi_api.deps import DB, ClockDep, GraderDep, SettingsDep
from xinyi_api.errors import (
    Conflict,
    Forbidden,
    NotFound,
    TooManyRequests,
    Unauthorized,
    Unprocessable,
)
from xinyi_api.ratings import complaints, schemas, service
from xinyi_api.scenarios.registry import ScenarioRegistry
from xinyi_api.state import platform_of

TAG = "ratings 消费者评价"
STORE_ID = PathParameter(pattern=r"^S[0-9]{8}$", description="store id")
RATING_ID = PathParameter(pattern=r"^T[0-9]{10}$", description="rating id")
COMPLAINT_ID = PathParameter(pattern=r"^Q[0-9]{10}$", description="complaint id")
GUARDED = [Unauthorized, Forbidden]
Req = Request[Principal, Any, Any]


def _registry(request: Req) -> ScenarioRegistry:
    registry: ScenarioRegistry = platform_of(request.app).scenarios
    return registry


class StoreRatingController(Controller):
    path = "/api/v1/stores/{store_id:str}"
    tags = (TAG,)

    @post(
        "/ratings",
        guards=[requires("consumer")],
        summary="Rate a store after a visit (扫码评信用)",
        description="1–5 stars overall plus the dimensions the store's scenario defines (default "
        "hygiene 卫生, price_integrity 价格诚信, service 服务) and optional text (≤ 500 "
        "characters; phone, ID-card, bank-card numbers and e-mails are masked before storing). "
        "Needs a visit proof: a scan of the store's code by this consumer within "
        "`XINYI_VISIT_WINDOW_HOURS` (403 `no-visit-proof`). One rating per consumer and store "
        "per 30 days: a new submission inside the period edits the earlier one (`edited: "
        "true`). Suspicious ratings (bursts from new accounts, one account rating many stores, "
        "a text repeated across stores) are held for moderation (`status: held`) and count "
        "only once approved. Rate-limited per consumer and per client address (429).",
        raises=[*GUARDED, NotFound, Conflict, Unprocessable, TooManyRequests],
        status_code=201,
    )
    async def rate(
        self, request: Req, store_id: Annotated[str, STORE_ID],
        data: JSONBody[schemas.RatingCreate],
    ) -> schemas.RatingWritten:
        # The busiest write takes the app state directly rather than as dependencies: Litestar
        # resolves several dependencies in an anyio task group, a task each, which cost more than
        # all the other routing work of the request (bench/README.md, ratings).
        state = platform_of(request.app)
        db: Database = state.db
        clock: Clock = state.clock
        async with db.write.acquire() as conn:
            return await service.submit(conn, state.grader, _registry(request), state.settings,
                                        request.user, store_id, data, clock.today(),
                                        endpoint=audit.endpoint_of(request))

    @get(
        "/ratings",
        summary="A store's published ratings with the merchant's replies, and their summary",
        description="Newest first (`sort=newest`) or most helpful first (`sort=helpful`), "
        "paged. The summary has the count, mean, Bayesian mean (prior: 5 ratings at 3.5 "
        "stars), the star distribution and the mean per dimension. Held and removed ratings "
        "are never shown; raters stay anonymous.",
        raises=[NotFound],
    )
    async def list_ratings(
        self, request: Req, store_id: Annotated[str, STORE_ID], db: DB,
        sort: Annotated[Literal["newest", "helpful"], QueryParameter(
            description="newest first or most helpful first")] = "newest",
        page: Annotated[int, QueryParameter(ge=1, le=10_000)] = 1,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    ) -> schemas.RatingPage:
        async with db.read.acquire() as conn:
            return await service.public_page(conn, _registry(request), store_id, sort, page,
                                             limit)

    @post(
        "/complaints",
        guards=[requires("consumer")],
        summary="Complain about a store after a visit (投诉)",
        description="Needs a visit proof like a rating. Goes to the department of the store's "
        "scenario (else the department that registered the store), which upholds it — a "
        "`complaint` credit record lands in the store's file — or rejects it with a reason. "
        "Personal data in the text is masked. Rate-limited (429).",
        raises=[*GUARDED, NotFound, Unprocessable, TooManyRequests],
        status_code=201,
    )
    async def complain(
        self, request: Req, store_id: Annotated[str, STORE_ID],
        data: JSONBody[schemas.ComplaintCreate], db: DB, settings: SettingsDep,
    ) -> schemas.Complaint:
        async with db.write.acquire() as conn:
            return await complaints.file(conn, _registry(request), settings, request.user,
                                         store_id, data, endpoint=audit.endpoint_of(request))


class RatingController(Controller):
    path = "/api/v1/ratings/{rating_id:str}"
    tags = (TAG,)

    @post(
        "/helpful",
        guards=[requires("consumer")],
        summary="Mark a rating helpful (有用)",
        description="Once per consumer and rating (409 `already-voted`); not one's own.",
        raises=[*GUARDED, NotFound, Conflict],
        status_code=200,
    )
    async def helpful(
        self, request: Req, rating_id: Annotated[str, RATING_ID], db: DB,
    ) -> schemas.Helpful:
        async with db.write.acquire() as conn:
            return await service.helpful(conn, request.user, rating_id,
                                         endpoint=audit.endpoint_of(request))

    @put(
        "/reply",
        guards=[requires("merchant")],
        summary="Reply to a rating of one's store (商家回复, right to reply)",
        description="One reply per rating, shown beside it; calling again edits it. Only the "
        "merchant linked to the store's enterprise (any other merchant gets 404).",
        raises=[*GUARDED, NotFound],
    )
    async def reply(
        self, request: Req, rating_id: Annotated[str, RATING_ID],
        data: JSONBody[schemas.ReplyRequest], db: DB,
    ) -> schemas.ReplyWritten:
        async with db.write.acquire() as conn:
            return await service.reply(conn, request.user, rating_id, data.text,
                                       endpoint=audit.endpoint_of(request))

    @post(
        "/reports",
        guards=[requires("merchant")],
        summary="Report a rating of one's store as abusive (举报恶意评价)",
        description="Puts the rating in the responsible department's moderation queue; it stays "
        "published until the department decides. Once per merchant and rating (409).",
        raises=[*GUARDED, NotFound, Conflict],
        status_code=201,
    )
    async def report(
        self, request: Req, rating_id: Annotated[str, RATING_ID],
        data: JSONBody[schemas.ReportRequest], db: DB,
    ) -> schemas.Report:
        async with db.write.acquire() as conn:
            return await service.report(conn, request.user, rating_id, data.reason,
                                        endpoint=audit.endpoint_of(request))


class ModerationController(Controller):
    path = "/api/v1/moderation/ratings"
    tags = (TAG,)

    @get(
        "/",
        guards=[requires("department")],
        summary="The moderation queue (评价审核): held and reported ratings",
        description="Ratings of stores the caller's department is responsible for (the owner "
        "of the store's scenario, else the registering department), inside its region, oldest "
        "first, with the hold reasons and the merchants' reports.",
        raises=GUARDED,
    )
    async def queue(
        self, request: Req, db: DB,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> schemas.Queue:
        async with db.write.acquire() as conn:
            return await service.queue(conn, request.user, limit)

    @post(
        "/{rating_id:str}/decision",
        guards=[requires("department")],
        summary="Approve or remove a held or reported rating, with a reason",
        description="`approve` publishes a held rating (or dismisses the reports on a published "
        "one); `remove` takes it off the store. `malicious: true` records a removal as 恶意评价 "
        "(kept even if the consumer deletes the rating, for personal credit). The store is "
        "regraded when its published ratings change. 409 `not-pending` when nothing awaits "
        "a decision.",
        raises=[*GUARDED, NotFound, Conflict, Unprocessable],
        status_code=200,
    )
    async def decide(
        self, request: Req, rating_id: Annotated[str, RATING_ID],
        data: JSONBody[schemas.ModerationDecision], db: DB, grader: GraderDep, clock: ClockDep,
    ) -> schemas.DecisionResult:
        async with db.write.acquire() as conn:
            return await service.decide(conn, grader, request.user, rating_id, data,
                                        clock, endpoint=audit.endpoint_of(request))


class ComplaintController(Controller):
    path = "/api/v1/complaints"
    tags = (TAG,)

    @get(
        "/",
        guards=[requires("department")],
        summary="Complaints the caller's department handles (投诉处理)",
        description="Oldest first, optionally by status; inside the department's region.",
        raises=GUARDED,
    )
    async def list_complaints(
        self, request: Req, db: DB,
        status: Annotated[Literal["open", "upheld", "rejected"] | None, QueryParameter()] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> schemas.ComplaintList:
        async with db.write.acquire() as conn:
            return await complaints.department_queue(conn, request.user, status, limit)

    @get(
        "/{complaint_id:str}",
        guards=[requires("consumer", "department")],
        summary="One complaint and its outcome",
        description="For the consumer who filed it (others get 404) and the handling "
        "department.",
        raises=[*GUARDED, NotFound],
    )
    async def read(
        self, request: Req, complaint_id: Annotated[str, COMPLAINT_ID], db: DB,
    ) -> schemas.Complaint:
        async with db.write.acquire() as conn:
            return await complaints.read(conn, request.user, complaint_id)

    @post(
        "/{complaint_id:str}/decision",
        guards=[requires("department")],
        summary="Uphold or reject a complaint",
        description="`uphold` needs `severity` and `legal_basis`: a `complaint` credit record "
        "(the department's finding, not the consumer's words) is added to the store's file "
        "and the store is regraded, in one transaction. `reject` needs only the reason. The "
        "consumer sees the outcome.",
        raises=[*GUARDED, NotFound, Conflict, Unprocessable],
        status_code=200,
    )
    async def decide(
        self, request: Req, complaint_id: Annotated[str, COMPLAINT_ID],
        data: JSONBody[schemas.ComplaintDecision], db: DB, grader: GraderDep, clock: ClockDep,
    ) -> schemas.Complaint:
        async with db.write.acquire() as conn:
            return await complaints.decide(conn, grader, request.user, complaint_id, data,
                                           clock, endpoint=audit.endpoint_of(request))


CONTROLLERS = [StoreRatingController, RatingController, ModerationController, ComplaintController]
