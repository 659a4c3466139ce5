"""先医后付 money flow: pre-authorise within the patient's line, charge, settle, cancel, overdue.

The patient's line comes from the scenario's person measures for their personal grade — a
``CreditLine(service="pay_later")`` (A: 3000 元, B: 1000 元) unless a
``Suspension(service="pay_later")`` applies (D). A bill still unpaid after its due day writes an
overdue record on the person's file, which alone makes the personal grade D, so the line is
suspended; once the bill is paid the record becomes "late" and the line comes back with the grade.

Concurrency: every pre-authorisation locks the patient's ``pay_later_accounts`` row, then adds up
what the line holds, then inserts — so two hospitals at the same moment are serialised and the
sum of holds never exceeds the line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any

import asyncpg
import msgspec

from xinyi_api.scenarios.kit import (
    Conflict,
    Context,
    CreditLine,
    Eligibility,
    Forbidden,
    NotFound,
    PersonalCredit,
    Principal,
    Queries,
    SingleLineText,
    Standing,
    Suspension,
    Unprocessable,
    ensure_merchant_of,
)

q = Queries.beside(__file__)

KEY = "pay_later"
DEPARTMENT = "wjw"
PILOT = "pay_later_pilot"
ON_TIME_DAYS = 2 * 365
"""How long a settled bill counts on the person's file."""
UNPAID_DAYS = 5 * 365
"""How long an unpaid overdue bill counts (it is rewritten as "late" when paid)."""


class PreAuthorisation(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    code: Annotated[SingleLineText, msgspec.Meta(min_length=1, max_length=80,
                                                 description="the patient's 动态个人信用码")]
    hospital_id: Annotated[str, msgspec.Meta(pattern=r"^[ES][0-9]{8}$", examples=["E00000042"])]
    reference: Annotated[str, msgspec.Meta(pattern=r"^[0-9A-Za-z_-]{1,64}$",
                                           description="the hospital's visit number (就诊号), "
                                           "unique per hospital", examples=["ZY20261122-0007"])]
    amount_fen: Annotated[int, msgspec.Meta(gt=0, le=100_000_000, examples=[80000],
                                            description="amount to hold, in fen (分)")]


class Charge(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    amount_fen: Annotated[int, msgspec.Meta(gt=0, le=100_000_000, examples=[65050],
                                            description="the final bill, at most the "
                                            "pre-authorised amount")]


class Terms(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    due_days: Annotated[int, msgspec.Meta(ge=1, le=90, examples=[15],
                                          description="days a patient has to pay a charged "
                                          "bill before it is overdue")]


class TermsView(msgspec.Struct, kw_only=True):
    due_days: int
    updated_by: str
    updated_at: datetime


class Bill(msgspec.Struct, kw_only=True):
    """A 先医后付 bill as the hospital sees it: no patient identity, no grade."""

    id: str
    hospital_id: str
    reference: str
    status: str
    authorised_fen: int
    billed_fen: int | None
    billed_on: date | None
    due_on: date | None
    settled_on: date | None
    authorised_at: datetime
    line_available_fen: int | None = None
    """After a pre-authorisation: what the patient's line still has (信用额度可用)."""


class MyBill(msgspec.Struct, kw_only=True):
    id: str
    hospital_id: str
    hospital_name: str
    status: str
    authorised_fen: int
    billed_fen: int | None
    due_on: date | None
    settled_on: date | None
    authorised_at: datetime


class MyLine(msgspec.Struct, kw_only=True):
    """我的先医后付额度: the line my personal grade earns, what it holds, my bills."""

    personal_grade: str
    line_fen: int
    held_fen: int
    available_fen: int
    suspended: bool
    reason: str
    bills: list[MyBill]


@dataclass(frozen=True, slots=True)
class Line:
    line_fen: int
    suspended: bool
    reason: str

    def available(self, held_fen: int) -> int:
        return 0 if self.suspended else max(0, self.line_fen - held_fen)


def line_of(standing: Standing) -> Line:
    """The patient's line from the person measures their grade earns in this scenario."""
    measures = standing.measures_of(KEY)
    if any(isinstance(m.effect, Suspension) and m.effect.service == KEY for m in measures):
        return Line(0, True, "个人信用等级为 D(如有逾期未结清账单),额度暂停,结清后恢复")
    lines = [m.effect.yuan for m in measures
             if isinstance(m.effect, CreditLine) and m.effect.service == KEY]
    if not lines:
        return Line(0, True, "个人信用等级未达到先医后付额度要求")
    return Line(max(lines) * 100, False, f"个人信用 {standing.grade.grade} 级")


def bill_view(row: Any, available: int | None = None) -> Bill:
    return Bill(id=row["id"], hospital_id=row["hospital_id"], reference=row["reference"],
                status=row["status"], authorised_fen=row["authorised_fen"],
                billed_fen=row["billed_fen"], billed_on=row["billed_on"], due_on=row["due_on"],
                settled_on=row["settled_on"], authorised_at=row["authorised_at"],
                line_available_fen=available)


async def sync_overdue(conn: asyncpg.Connection, person_ids: Sequence[str] | None,
                       today: date, persons: PersonalCredit) -> int:
    """Mark charged bills past their due day overdue and record each on the person's file."""
    rows = await conn.fetch(q.mark_overdue, today,
                            None if person_ids is None else list(person_ids))
    for r in rows:
        first_day = r["due_on"] + timedelta(days=1)
        await persons.record_fact(
            conn, r["person_id"], kind="payment", result="overdue",
            title=f"先医后付账单 {r['id']} ¥{r['billed_fen'] / 100:.2f} 逾期未结清"
                  f"({r['hospital_name']})",
            occurred_on=first_day, counts_until=first_day + timedelta(days=UNPAID_DAYS),
            source=KEY, source_ref=r["id"], department=DEPARTMENT, recorded_by="pay_later.sync")
    return len(rows)


async def _pilot_hospital(conn: asyncpg.Connection, ctx: Context, hospital_id: str) -> None:
    scenario = ctx.scenario
    await ctx.covered_subject(conn, hospital_id)
    await ensure_merchant_of(conn, ctx.principal, hospital_id)
    row = await conn.fetchrow(q.pay_later_grade, hospital_id)
    grade = row["grade"] if row and row["rule_version"] == scenario.rule_version else None
    pilot = grade is not None and any(
        isinstance(m.effect, Eligibility) and m.effect.programme == PILOT and m.effect.eligible
        for m in scenario.measures_for(grade, "business"))
    if not pilot:
        raise Forbidden(f"{hospital_id} is not a 先医后付 pilot hospital now (its 信用+先医后付 "
                        f"grade is {grade or 'not yet computed'})", slug="hospital-not-in-pilot")


async def preauthorise(conn: asyncpg.Connection, ctx: Context,
                       data: PreAuthorisation) -> tuple[Bill, str]:
    """Spend the patient's code and hold ``amount_fen`` on their line; ``(bill, person id)``."""
    persons, principal, today = ctx.persons, ctx.principal, ctx.today
    await _pilot_hospital(conn, ctx, data.hospital_id)
    person = await persons.redeem_code(conn, data.code, partner=principal,
                                       purpose=f"{KEY}.preauthorise", now=ctx.now)
    await conn.execute(q.ensure_account, person)
    await conn.fetchrow(q.lock_account, person)
    line = line_of(await persons.standing(conn, person, today))
    held = await conn.fetchval(q.held_fen, person)
    if line.suspended:
        raise Forbidden("先医后付 is not available to this patient now",
                        slug="pay-later-not-available")
    available = line.available(held)
    if data.amount_fen > available:
        raise Conflict(f"the amount exceeds the patient's available 先医后付 line "
                       f"({available} fen available)", slug="over-credit-line")
    row = await conn.fetchrow(q.insert_bill, person, data.hospital_id, data.reference,
                              principal.sub, data.amount_fen)
    if row is None:
        raise Conflict(f"reference {data.reference!r} was already used at {data.hospital_id}",
                       slug="duplicate-reference")
    return bill_view(row, available - data.amount_fen), person


async def _bill(conn: asyncpg.Connection, principal: Principal, bill_id: str,
                *statuses: str) -> asyncpg.Record:
    row = await conn.fetchrow(q.bill_for_update, bill_id)
    if row is None:
        raise NotFound(f"no bill {bill_id}", slug="unknown-bill")
    await ensure_merchant_of(conn, principal, row["hospital_id"])
    if row["status"] not in statuses:
        raise Conflict(f"bill {bill_id} is {row['status']}; this needs {' or '.join(statuses)}",
                       slug="bill-state")
    return row


async def charge(conn: asyncpg.Connection, principal: Principal, bill_id: str, amount_fen: int,
                 today: date) -> Bill:
    row = await _bill(conn, principal, bill_id, "authorised")
    if amount_fen > row["authorised_fen"]:
        raise Unprocessable(f"the charge exceeds the pre-authorised {row['authorised_fen']} fen",
                            slug="over-authorised")
    terms = await conn.fetchrow(q.terms)
    due = today + timedelta(days=terms["due_days"])
    return bill_view(await conn.fetchrow(q.charge_bill, bill_id, amount_fen, today, due))


async def settle(conn: asyncpg.Connection, ctx: Context, bill_id: str) -> Bill:
    """The patient paid: release the hold; on time +, late replaces the overdue record."""
    principal, today = ctx.principal, ctx.today
    row = await _bill(conn, principal, bill_id, "billed", "overdue")
    late = row["status"] == "overdue" or today > row["due_on"]
    settled = await conn.fetchrow(q.settle_bill, bill_id, today)
    await ctx.persons.record_fact(
        conn, row["person_id"], kind="payment", result="late" if late else "on_time",
        title=f"先医后付账单 {bill_id} ¥{row['billed_fen'] / 100:.2f} "
              + ("逾期后已结清" if late else "按时结清"),
        occurred_on=today, counts_until=today + timedelta(days=ON_TIME_DAYS), source=KEY,
        source_ref=bill_id, department=DEPARTMENT, recorded_by=principal.sub)
    return bill_view(settled)


async def cancel(conn: asyncpg.Connection, principal: Principal, bill_id: str) -> Bill:
    await _bill(conn, principal, bill_id, "authorised")
    return bill_view(await conn.fetchrow(q.cancel_bill, bill_id))


async def my_line(conn: asyncpg.Connection, persons: PersonalCredit, person: str,
                  today: date) -> MyLine:
    standing = await persons.standing(conn, person, today)
    line = line_of(standing)
    held = await conn.fetchval(q.held_fen, person)
    bills = [MyBill(id=b["id"], hospital_id=b["hospital_id"], hospital_name=b["hospital_name"],
                    status=b["status"], authorised_fen=b["authorised_fen"],
                    billed_fen=b["billed_fen"], due_on=b["due_on"], settled_on=b["settled_on"],
                    authorised_at=b["authorised_at"])
             for b in await conn.fetch(q.bills_of_person, person)]
    return MyLine(personal_grade=standing.grade.grade, line_fen=line.line_fen, held_fen=held,
                  available_fen=line.available(held), suspended=line.suspended,
                  reason=line.reason, bills=bills)
