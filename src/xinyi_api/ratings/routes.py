"""HTTP endpoints of ratings 评价, replies 回复, reports 举报, moderation 审核 and
complaints 投诉."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get, post, put
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, PathParameter, QueryParameter

from xinyi_api import audit
from xinyi_api.auth.guards import requires
from xinyi_api.auth.tokens import Principal
from xinyi_api.clock import Clock
from xinyi_api.codes.deps import SignerDep
from xinyi_api.db.pool import Database
from xinyi_api.deps import DB, ClockDep, CursorsDep, GraderDep, SettingsDep
from xinyi_api.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    TooManyRequests,
    Unauthorized,
    Unprocessable,
)
from xinyi_api.inputs.cursor import CURSOR, DEFAULT_LIMIT, LIMIT, next_link
from xinyi_api.ratings import complaints, merchant, schemas, service
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
        "per 30 days: a new submission inside the period edits the earlier one — **201** "
        "with `edited: false` when a rating is created, **200** with `edited: true` and the "
        "updated rating when the earlier one was edited (or repeated unchanged). Suspicious "
        "ratings (bursts from new accounts, one account rating many stores, a text repeated "
        "across stores) are held for moderation (`status: held`) and count only once approved. "
        "Rate-limited per consumer and per client address (429).",
        raises=[*GUARDED, NotFound, Conflict, Unprocessable, TooManyRequests],
        status_code=201,
        responses={200: ResponseSpec(
            data_container=schemas.RatingWritten,
            description="This period's earlier rating was edited (`edited: true`): the updated "
            "rating")},
    )
    async def rate(
        self, request: Req, store_id: Annotated[str, STORE_ID],
        data: JSONBody[schemas.RatingCreate],
    ) -> Response[schemas.RatingWritten]:
        # The busiest write takes the app state directly rather than as dependencies: Litestar
        # resolves several dependencies in an anyio task group, a task each, which cost more than
        # all the other routing work of the request (bench/README.md, ratings).
        state = platform_of(request.app)
        db: Database = state.db
        clock: Clock = state.clock
        async with db.write.acquire() as conn:
            written = await service.submit(conn, state.grader, _registry(request),
                                           state.settings, request.user, store_id, data,
                                           clock.today(), endpoint=audit.endpoint_of(request))
        return Response(written, status_code=200 if written.edited else 201)

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
        "first, with the hold reasons and the merchants' reports. Cursor-paged: pass "
        "`next_cursor` as `cursor` (or follow `next`); 400 `invalid-cursor` for a cursor of "
        "another list.",
        raises=[*GUARDED, BadRequest],
    )
    async def queue(
        self, request: Req, db: DB, cursors: CursorsDep,
        cursor: Annotated[str | None, CURSOR] = None,
        limit: Annotated[int, LIMIT] = DEFAULT_LIMIT,
    ) -> schemas.Queue:
        async with db.write.acquire() as conn:
            page = await service.queue(conn, cursors, request.user, cursor, limit)
        page.next = next_link(request, page.next_cursor)
        return page

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
        description="Oldest first, optionally by status; inside the department's region. "
        "Cursor-paged: pass `next_cursor` as `cursor` with the same `status` (or follow "
        "`next`); 400 `invalid-cursor` for a cursor of another list or filter.",
        raises=[*GUARDED, BadRequest],
    )
    async def list_complaints(
        self, request: Req, db: DB, cursors: CursorsDep,
        status: Annotated[Literal["open", "upheld", "rejected"] | None, QueryParameter()] = None,
        cursor: Annotated[str | None, CURSOR] = None,
        limit: Annotated[int, LIMIT] = DEFAULT_LIMIT,
    ) -> schemas.ComplaintList:
        async with db.write.acquire() as conn:
            page = await complaints.department_queue(conn, cursors, request.user, status,
                                                     cursor, limit)
        page.next = next_link(request, page.next_cursor)
        return page

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


class MerchantFeedbackController(Controller):
    path = "/api/v1/merchant"
    tags = ("consumers 消费者与经营者",)

    @get(
        "/complaints",
        guards=[requires("merchant")],
        summary="Complaints about my stores (投诉), and how they were decided",
        description="Complaints about the stores of the enterprises the merchant has claimed, "
        "newest first, optionally by status, each with its store (name, grade, links), "
        "category, text — masked (个人信息脱敏), never naming the complainant — and the "
        "department's outcome and credit record. Cursor-paged: pass `next_cursor` as `cursor` "
        "with the same `status` (or follow `next`); 400 `invalid-cursor` for a cursor of "
        "another list or filter.",
        raises=[*GUARDED, BadRequest],
    )
    async def complaints(
        self, request: Req, db: DB, cursors: CursorsDep, signer: SignerDep,
        status: Annotated[Literal["open", "upheld", "rejected"] | None, QueryParameter()] = None,
        cursor: Annotated[str | None, CURSOR] = None,
        limit: Annotated[int, LIMIT] = DEFAULT_LIMIT,
    ) -> schemas.MerchantComplaintPage:
        async with db.write.acquire() as conn:  # read-your-writes: a report just filed shows
            page = await merchant.complaints(conn, cursors, signer, request.user, status, cursor,
                                             limit)
        page.next = next_link(request, page.next_cursor)
        return page

    @get(
        "/reports",
        guards=[requires("merchant")],
        summary="My reports of abusive ratings (举报) and how each was decided",
        description="Newest first: the store, my reason, the rating as it stands now (null once "
        "its author deleted it), and the outcome — `pending`, `dismissed` (the rating stays), "
        "`removed` (with the department's decision and whether it was found malicious, 恶意评价) "
        "or `rating_deleted`. Cursor-paged like the other lists (400 `invalid-cursor`).",
        raises=[*GUARDED, BadRequest],
    )
    async def reports(
        self, request: Req, db: DB, cursors: CursorsDep, signer: SignerDep,
        cursor: Annotated[str | None, CURSOR] = None,
        limit: Annotated[int, LIMIT] = DEFAULT_LIMIT,
    ) -> schemas.MerchantReportPage:
        async with db.write.acquire() as conn:  # read-your-writes: a report just filed shows
            page = await merchant.reports(conn, cursors, signer, request.user, cursor, limit)
        page.next = next_link(request, page.next_cursor)
        return page


CONTROLLERS = [StoreRatingController, RatingController, ModerationController, ComplaintController,
               MerchantFeedbackController]
