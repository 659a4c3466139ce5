"""信用+先医后付 endpoints: hospitals pre-authorise, charge, settle and cancel; patients see their
line; 市卫健委 (wjw) sets the payment terms and runs the overdue check.

Mounted by the core under ``/api/v1/scenarios/pay_later``; every handler works through ``ctx``
(``xinyi_api.scenarios.kit.Context``): one transaction, the audit entry, the clock.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post, put
from litestar.params import JSONBody, PathParameter

from xinyi_api.scenarios.kit import (
    Conflict,
    ContextDep,
    Forbidden,
    Gone,
    NotFound,
    Unauthorized,
    Unprocessable,
    requires,
)
from xinyi_scenarios.pay_later import bills

GUARDED = [Unauthorized, Forbidden]
BILL_ID = PathParameter(pattern=r"^B[0-9]{10}$", description="bill id")


class PayLaterController(Controller):
    path = "/"

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
    async def preauthorise(self, ctx: ContextDep,
                           data: JSONBody[bills.PreAuthorisation]) -> bills.Bill:
        async with ctx.transaction() as conn:
            bill, person = await bills.preauthorise(conn, ctx, data)
            await ctx.audit(conn, "preauthorise", subject_id=data.hospital_id,
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
    async def charge(self, ctx: ContextDep, bill_id: Annotated[str, BILL_ID],
                     data: JSONBody[bills.Charge]) -> bills.Bill:
        async with ctx.transaction() as conn:
            bill = await bills.charge(conn, ctx.principal, bill_id, data.amount_fen, ctx.today)
            await ctx.audit(conn, "charge", subject_id=bill.hospital_id,
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
    async def settle(self, ctx: ContextDep, bill_id: Annotated[str, BILL_ID]) -> bills.Bill:
        async with ctx.transaction() as conn:
            bill = await bills.settle(conn, ctx, bill_id)
            await ctx.audit(conn, "settle", subject_id=bill.hospital_id,
                            detail={"bill": bill_id})
        return bill

    @post(
        "/bills/{bill_id:str}/cancel",
        guards=[requires("merchant")],
        summary="Cancel a pre-authorisation that was not charged",
        raises=[*GUARDED, NotFound, Conflict],
        status_code=200,
    )
    async def cancel(self, ctx: ContextDep, bill_id: Annotated[str, BILL_ID]) -> bills.Bill:
        async with ctx.transaction() as conn:
            bill = await bills.cancel(conn, ctx.principal, bill_id)
            await ctx.audit(conn, "cancel", subject_id=bill.hospital_id,
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
    async def my_line(self, ctx: ContextDep) -> bills.MyLine:
        async with ctx.transaction() as conn:
            return await bills.my_line(conn, ctx.persons, ctx.principal.sub, ctx.today)

    @get("/terms", summary="先医后付 payment terms (days to pay a charged bill)")
    async def terms(self, ctx: ContextDep) -> bills.TermsView:
        async with ctx.read() as conn:
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
    async def set_terms(self, ctx: ContextDep, data: JSONBody[bills.Terms]) -> bills.TermsView:
        ctx.ensure_owner()
        async with ctx.transaction() as conn:
            row = await conn.fetchrow(bills.q.set_terms, data.due_days, ctx.principal.sub)
            await ctx.audit(conn, "terms", detail={"due_days": data.due_days})
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
    async def overdue_check(self, ctx: ContextDep) -> dict[str, int]:
        ctx.ensure_owner()
        async with ctx.transaction() as conn:
            marked = await bills.sync_overdue(conn, None, ctx.today, ctx.persons)
            await ctx.audit(conn, "overdue_check", detail={"marked": marked})
        return {"marked": marked}
