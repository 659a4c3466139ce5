"""HTTP endpoints of a consumer's own data: 我的评价, 我的投诉, 我的到店, 个人信息导出.

The lists carry each store as a ``SubjectCard`` (name, enterprise, public grade, links), so the
mini-program renders them without a call per item.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get
from litestar.params import PathParameter

from xinyi_api import audit
from xinyi_api.auth.guards import requires
from xinyi_api.auth.tokens import Principal
from xinyi_api.codes.deps import SignerDep
from xinyi_api.consumers import service
from xinyi_api.deps import DB, ClockDep, CursorsDep, GraderDep, SettingsDep
from xinyi_api.errors import BadRequest, Forbidden, NotFound, Unauthorized
from xinyi_api.inputs.cursor import CURSOR, DEFAULT_LIMIT, LIMIT, next_link
from xinyi_api.me import schemas
from xinyi_api.me import service as me_service
from xinyi_api.persons.deps import PersonsDep
from xinyi_api.persons.schemas import record_view
from xinyi_api.ratings import complaints as complaint_service
from xinyi_api.ratings import service as rating_service
from xinyi_api.state import platform_of
from xinyi_api.subjects.cards import subject_cards

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
        description="Newest first. Each carries its store: name, enterprise, public grade and "
        "links (profile, ratings, the 诚信码 H5 page).",
        raises=GUARDED,
    )
    async def my_ratings(self, request: Req, db: DB,
                         signer: SignerDep) -> list[schemas.MyRatingItem]:
        async with db.write.acquire() as conn:
            ratings = await rating_service.mine(conn, request.user.sub)
            cards = await subject_cards(conn, signer, (r.store_id for r in ratings))
        return [schemas.MyRatingItem(**msgspec.structs.asdict(r), store=cards[r.store_id])
                for r in ratings]

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
        description="Newest first, each with the store it is about (name, enterprise, public "
        "grade, links).",
        raises=GUARDED,
    )
    async def my_complaints(self, request: Req, db: DB,
                            signer: SignerDep) -> list[schemas.MyComplaint]:
        async with db.write.acquire() as conn:
            complaints = await complaint_service.mine(conn, request.user.sub)
            cards = await subject_cards(conn, signer, (c.store_id for c in complaints))
        return [schemas.MyComplaint(**msgspec.structs.asdict(c), store=cards[c.store_id])
                for c in complaints]

    @get(
        "/visits",
        guards=[requires("consumer")],
        summary="My visits (我的到店): stores whose 诚信码 I scanned",
        description="The most recent scan first, each with its store (name, enterprise, public "
        "grade, links), until when the visit proof lets me rate it or complain (`valid_until`, "
        "`can_rate`) and my latest rating of it. Cursor-paged: pass `next_cursor` as `cursor` "
        "(or follow `next`); 400 `invalid-cursor` for a cursor of another list. A store I scan "
        "again moves to the top.",
        raises=[*GUARDED, BadRequest],
    )
    async def my_visits(
        self, request: Req, db: DB, signer: SignerDep, settings: SettingsDep,
        cursors: CursorsDep,
        cursor: Annotated[str | None, CURSOR] = None,
        limit: Annotated[int, LIMIT] = DEFAULT_LIMIT,
    ) -> schemas.VisitPage:
        async with db.write.acquire() as conn:  # read-your-writes: a scan just made shows
            page = await me_service.visits(conn, cursors, signer, request.user.sub,
                                           settings.visit_window_hours, cursor, limit)
        page.next = next_link(request, page.next_cursor)
        return page

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
        "complaints, visit proofs, helpful votes, the 动态个人信用码 still kept, my personal "
        "credit records (个人信用记录), and what every scenario and extension holds about me in "
        "its own tables (`scenario_data`: 先医后付 bills, 信易游 redemptions …), read in one "
        "consistent snapshot.",
        raises=GUARDED,
    )
    async def export(self, request: Req, db: DB, persons: PersonsDep) -> schemas.Export:
        sub = request.user.sub
        platform = platform_of(request.app)
        async with db.write.acquire() as conn, conn.transaction(isolation="repeatable_read",
                                                                 readonly=True):
            account = await service.account_of(conn, sub)
            ratings = await rating_service.mine(conn, sub)
            complaints = await complaint_service.mine(conn, sub)
            visits = await service.visits_of(conn, sub)
            records = await persons.records(conn, sub)
            codes = await persons.codes_of(conn, sub)
            votes = await rating_service.helpful_votes_of(conn, sub)
            sections = await me_service.person_data(conn, platform, sub)
        return schemas.Export(
            account=schemas.Account(
                id=sub, role=request.user.role,
                created_at=account["created_at"] if account else None,
                last_login_at=account["last_login_at"] if account else None),
            ratings=ratings, complaints=complaints,
            visits=[schemas.Visit(**dict(v)) for v in visits],
            personal_records=[record_view(r) for r in records],
            personal_codes=[schemas.PersonalCodeUse(**dict(c)) for c in codes],
            helpful_votes=[schemas.HelpfulVote(**dict(v)) for v in votes],
            scenario_data=sections,
            exported_at=platform.clock.now())


CONTROLLERS = [MeController]
