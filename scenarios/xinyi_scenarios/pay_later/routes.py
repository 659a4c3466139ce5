"""信用+先医后付 endpoints: hospitals pre-authorise, charge, settle and cancel; patients see their
line; 市卫健委 (wjw) sets the payment terms and runs the overdue check."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post, put
from litestar.params import JSONBody, PathParameter

from xinyi_api.accountability import audit
from xinyi_api.auth.guards import ensure_acts_for, requires
from xinyi_api.auth.tokens import Principal
from xinyi_api.deps import DB, ClockDep, PersonsDep
from xinyi_api.errors import Conflict, Forbidden, Gone, NotFound, Unauthorized, Unprocessable
from xinyi_api.scenarios.routes import SCENARIO_DEPENDENCIES, ScenariosDep
from xinyi_scenarios.pay_later import bills

GUARDED = [Unauthorized, Forbidden]
Req = Request[Principal, Any, Any]
BILL_ID = PathParameter(pattern=r"^B[0-9]{10}$", description="bill id")
TAG = "scenarios 信用+场景"


def _ensure_owner(principal: Principal) -> None:
    ensure_acts_for(principal, bills.DEPARTMENT, bills.KEY)


class PayLaterController(Controller):
    path = f"/api/v1/scenarios/{bills.KEY}"
    tags = (TAG,)
    dependencies = SCENARIO_DEPENDENCIES

    @post(
        "/preauthorisations",
        guards=[requires("merchant")],
        summary="Pre-authorise a 先医后付 amount with the patient's 动态个人信用码",
        description="The merchant of a pilot hospital (信用+先医后付 grade A or B) scans the "
        "patient's code and holds `amount_fen` on the patient's credit line. The answer names "
        "no patient and no grade — only the bill and the line still available. 403 "
        "`hospital-not-in-pilot`, 403 `pay-later-not-available` (no line, or suspended after an "
        "overdue bill), 409 `over-credit-line`, 409 `duplicate-reference`, 422 "
        "`invalid-personal-code`, 410 `personal-code-expired`, 409 `personal-code-used`. A "
        "refused request leaves the code unspent.",
        raises=[*GUARDED, NotFound, Unprocessable, Conflict, Gone],
        status_code=201,
    )
    async def preauthorise(
        self, request: Req, data: JSONBody[bills.PreAuthorisation], db: DB, clock: ClockDep,
        persons: PersonsDep, scenarios: ScenariosDep,
    ) -> bills.Bill:
        scenario = scenarios.get(bills.KEY)
        assert scenario is not None  # these routes exist only while the scenario is enabled
        async with db.write.acquire() as conn, conn.transaction():
            bill, person = await bills.preauthorise(conn, persons, scenario, request.user, data,
                                                    clock.now(), clock.today())
            await audit.append(conn, request.user, action="pay_later.preauthorise",
                               endpoint=audit.endpoint_of(request), subject_id=data.hospital_id,
                               detail={"bill": bill.id, "person": person,
                                       "amount_fen": data.amount_fen})
        return bill

    @post(
        "/bills/{bill_id:str}/charge",
        guards=[requires("merchant")],
        summary="Charge the final amount of a pre-authorised bill",
        description="At most the pre-authorised amount; the bill is due in the department's "
        "`due_days` (default 15). 409 `bill-state` unless the bill is `authorised`.",
        raises=[*GUARDED, NotFound, Unprocessable, Conflict],
        status_code=200,
    )
    async def charge(
        self, request: Req, bill_id: Annotated[str, BILL_ID], data: JSONBody[bills.Charge],
        db: DB, clock: ClockDep,
    ) -> bills.Bill:
        async with db.write.acquire() as conn, conn.transaction():
            bill = await bills.charge(conn, request.user, bill_id, data.amount_fen,
                                      clock.today())
            await audit.append(conn, request.user, action="pay_later.charge",
                               endpoint=audit.endpoint_of(request), subject_id=bill.hospital_id,
                               detail={"bill": bill_id, "amount_fen": data.amount_fen})
        return bill

    @post(
        "/bills/{bill_id:str}/settle",
        guards=[requires("merchant")],
        summary="Record that the patient paid a charged bill",
        description="Releases the hold. Paid by the due day: an on-time payment on the "
        "patient's file; paid after it: the overdue record becomes \"paid late\" and the line "
        "returns with the grade. 409 `bill-state` unless `billed` or `overdue`.",
        raises=[*GUARDED, NotFound, Conflict],
        status_code=200,
    )
    async def settle(
        self, request: Req, bill_id: Annotated[str, BILL_ID], db: DB, clock: ClockDep,
    ) -> bills.Bill:
        async with db.write.acquire() as conn, conn.transaction():
            bill = await bills.settle(conn, request.user, bill_id, clock.today())
            await audit.append(conn, request.user, action="pay_later.settle",
                               endpoint=audit.endpoint_of(request), subject_id=bill.hospital_id,
                               detail={"bill": bill_id})
        return bill

    @post(
        "/bills/{bill_id:str}/cancel",
        guards=[requires("merchant")],
        summary="Cancel a pre-authorisation that was not charged",
        raises=[*GUARDED, NotFound, Conflict],
        status_code=200,
    )
    async def cancel(self, request: Req, bill_id: Annotated[str, BILL_ID], db: DB) -> bills.Bill:
        async with db.write.acquire() as conn, conn.transaction():
            bill = await bills.cancel(conn, request.user, bill_id)
            await audit.append(conn, request.user, action="pay_later.cancel",
                               endpoint=audit.endpoint_of(request), subject_id=bill.hospital_id,
                               detail={"bill": bill_id})
        return bill

    @get(
        "/me",
        guards=[requires("consumer")],
        summary="My 先医后付 line (我的先医后付额度) and bills",
        description="The line my personal grade earns (A: 3000 元, B: 1000 元; suspended at D, "
        "e.g. while a bill is overdue), what it holds now and my bills.",
        raises=GUARDED,
    )
    async def my_line(self, request: Req, db: DB, clock: ClockDep,
                      persons: PersonsDep) -> bills.MyLine:
        async with db.write.acquire() as conn, conn.transaction():
            return await bills.my_line(conn, persons, request.user.sub, clock.today())

    @get("/terms", summary="先医后付 payment terms (days to pay a charged bill)")
    async def terms(self, db: DB) -> bills.TermsView:
        async with db.read.acquire() as conn:
            row = await conn.fetchrow(bills.q.terms)
        return bills.TermsView(**dict(row))

    @put(
        "/terms",
        guards=[requires("department")],
        summary="Set the 先医后付 payment terms",
        description="Only 市卫健委 (`wjw`) or a department acting for `pay_later`. Applies to "
        "bills charged from now on.",
        raises=GUARDED,
    )
    async def set_terms(self, request: Req, data: JSONBody[bills.Terms],
                        db: DB) -> bills.TermsView:
        _ensure_owner(request.user)
        async with db.write.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(bills.q.set_terms, data.due_days, request.user.sub)
            await audit.append(conn, request.user, action="pay_later.terms",
                               endpoint=audit.endpoint_of(request),
                               detail={"due_days": data.due_days})
        return bills.TermsView(**dict(row))

    @post(
        "/overdue-check",
        guards=[requires("department")],
        summary="Mark every charged bill past its due day overdue",
        description="Also done for a patient whenever their line or credit is looked at, and "
        "by `xinyi-api persons sync` (run it daily from cron). Returns how many bills became "
        "overdue.",
        raises=GUARDED,
        status_code=200,
    )
    async def overdue_check(self, request: Req, db: DB, clock: ClockDep) -> dict[str, int]:
        _ensure_owner(request.user)
        async with db.write.acquire() as conn, conn.transaction():
            marked = await bills.sync_overdue(conn, None, clock.today())
            await audit.append(conn, request.user, action="pay_later.overdue_check",
                               endpoint=audit.endpoint_of(request), detail={"marked": marked})
        return {"marked": marked}
