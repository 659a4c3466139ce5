"""Scenario partners 场景合作单位: the person side of every 信用+ scenario, for any plugin.

- A scenario's department **enrols** a covered business to offer some of the scenario's
  person-targeted incentives (信易游 免押金入住 at a hotel, 景区门票九折 at a scenic spot); the
  offers show on the business's 诚信码 scan page.
- The business **redeems** an offer for a person who shows a 动态个人信用码: the code is spent and
  the answer is only "eligible or not" — never the person's grade, score or file. One code redeems
  once.
- A business covered by a scenario that rewards something with ``CreditPoints`` (物业: fees paid
  on time) **reports** it for the person showing the code (业主出示信用码确认), which adds the
  points to the person's credit.

Every action runs in one transaction with its audit entry; a refused action leaves the code
unspent.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

import asyncpg
import msgspec
from litestar import Controller, Request, delete, get, post, put
from litestar.params import JSONBody, PathParameter, QueryParameter

from xinyi_api import audit
from xinyi_api.accountability.service import ensure_merchant_of
from xinyi_api.auth.guards import ensure_acts_for, ensure_region, requires
from xinyi_api.auth.tokens import Principal
from xinyi_api.codes import schemas as codes_schemas
from xinyi_api.codes.hooks import Contributor, ProfileDraft
from xinyi_api.db.queries import Queries
from xinyi_api.deps import DB, ClockDep
from xinyi_api.errors import Conflict, Forbidden, Gone, NotFound, Unauthorized, Unprocessable
from xinyi_api.inputs import SingleLineText
from xinyi_api.scenarios.deps import PersonCreditDep, ScenarioDep
from xinyi_api.scenarios.model import CreditPoints, Measure, Scenario
from xinyi_api.scenarios.registry import ScenarioRegistry
from xinyi_api.scenarios.schemas import MeasureView, measure_view
from xinyi_api.scenarios.service import (
    add_scan_scenario,
    covered_subject,
    definitions_fingerprint,
    scan_measure,
)

q = Queries.beside(__file__, "partners.sql")

TAG = "scenarios 信用+场景"
GUARDED = [Unauthorized, Forbidden]
Req = Request[Principal, Any, Any]
SUBJECT_ID = PathParameter(pattern=r"^[ES][0-9]{8}$", description="enterprise or store id")
SubjectId = Annotated[str, msgspec.Meta(pattern=r"^[ES][0-9]{8}$", examples=["S00000001"])]
MeasureKey = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{1,60}$",
                                          examples=["deposit_free_ab"])]
Code = Annotated[SingleLineText, msgspec.Meta(min_length=1, max_length=80,
                                   description="the 动态个人信用码 the person shows")]
POINTS_DAYS = 365
OVERDUE_DAYS = 2 * 365


class Enrolment(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The person measures the business offers (keys of the scenario's person incentives)."""

    measures: Annotated[list[MeasureKey], msgspec.Meta(min_length=1, max_length=20)]


class Participant(msgspec.Struct, kw_only=True):
    scenario: str
    subject_id: str
    name: str
    offers: list[MeasureView]
    enrolled_by: str
    enrolled_at: datetime


class RedemptionRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    code: Code
    subject_id: SubjectId
    measure: MeasureKey


class Redemption(msgspec.Struct, kw_only=True):
    """The whole answer a partner gets: whether the code's holder may have the offer."""

    eligible: bool
    measure: MeasureView
    redemption_id: int | None = None
    redeemed_at: datetime | None = None


class PersonReport(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A fact about the code's holder a scenario rewards (物业费按时交纳 for ``period``)."""

    code: Code
    subject_id: SubjectId
    result: Literal["on_time", "overdue"]
    period: Annotated[str, msgspec.Meta(pattern=r"^[0-9A-Za-z_-]{1,20}$", examples=["2026"])]
    title: Annotated[SingleLineText, msgspec.Meta(min_length=1, max_length=120,
                                       examples=["2026年度物业费按时足额交纳"])]


class PersonReportReceipt(msgspec.Struct, kw_only=True):
    scenario: str
    subject_id: str
    period: str
    result: str
    created: bool
    """False when the same business already reported this period for this person (updated)."""


# ------------------------------------------------------------------ helpers


def _ensure_owner(principal: Principal, scenario: Scenario) -> None:
    ensure_acts_for(principal, scenario.department, scenario.key)


def _offer(scenario: Scenario, key: str) -> Measure:
    measure = next((m for m in scenario.measures if m.key == key), None)
    if measure is None or measure.target != "person" or measure.kind != "incentive":
        raise Unprocessable(f"{key!r} is not a person incentive of {scenario.key}",
                            slug="not-a-person-offer")
    return measure


def _offered(scenario: Scenario, keys: list[str]) -> list[Measure]:
    """The enrolled keys that still name person incentives of the scenario (a new rule version
    may have dropped one)."""
    return [m for m in scenario.measures
            if m.key in keys and m.target == "person" and m.kind == "incentive"]


def _participant(scenario: Scenario, row: asyncpg.Record, name: str) -> Participant:
    return Participant(scenario=scenario.key, subject_id=row["subject_id"], name=name,
                       offers=[measure_view(m) for m in _offered(scenario, row["measures"])],
                       enrolled_by=row["enrolled_by"], enrolled_at=row["enrolled_at"])


# ------------------------------------------------------------------ endpoints


class PartnerController(Controller):
    """Generic endpoints of every scenario, mounted by ``routes.scenario_routers`` under
    ``/api/v1/scenarios/{key}`` (and once per enabled key, so a scenario's own static routes
    never hide them); ``scenario`` is the scenario of the URL."""

    path = "/"
    tags = (TAG,)

    @get(
        "/participants",
        summary="Businesses offering the scenario's person incentives (信易游 …)",
        description="Open businesses a department enrolled, with the person measures each "
        "offers to holders of a good personal grade.",
        raises=[NotFound],
    )
    async def participants(
        self, scenario: ScenarioDep, db: DB,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
    ) -> list[Participant]:
        async with db.read.acquire() as conn:
            rows = await conn.fetch(q.participants_of_scenario, scenario.key, limit, offset)
        return [_participant(scenario, r, r["name"]) for r in rows]

    @put(
        "/participants/{subject_id:str}",
        guards=[requires("department")],
        summary="Enrol a business to offer person incentives (or change its offers)",
        description="The scenario's department (or one acting for it) lists which of the "
        "scenario's person incentives the business offers. The business must be covered by "
        "the scenario and open. The offers appear on its 诚信码 scan page at once.",
        raises=[*GUARDED, NotFound, Unprocessable],
    )
    async def enrol(
        self, request: Req, scenario: ScenarioDep,
        subject_id: Annotated[str, SUBJECT_ID], data: JSONBody[Enrolment], db: DB,
    ) -> Participant:
        key = scenario.key
        _ensure_owner(request.user, scenario)
        measures = sorted({_offer(scenario, k).key for k in data.measures})
        async with db.write.acquire() as conn, conn.transaction():
            subject = await covered_subject(conn, scenario, subject_id)
            ensure_region(request.user, subject["region_code"])
            row = await conn.fetchrow(q.upsert_participant, key, subject_id, measures,
                                      request.user.sub)
            await audit.append(conn, request.user, action="scenario.enrol",
                               endpoint=audit.endpoint_of(request), subject_id=subject_id,
                               detail={"scenario": key, "measures": measures})
        return _participant(scenario, row, subject["name"])

    @delete(
        "/participants/{subject_id:str}",
        guards=[requires("department")],
        summary="Withdraw a business from the scenario's person incentives",
        raises=[*GUARDED, NotFound],
    )
    async def withdraw(
        self, request: Req, scenario: ScenarioDep,
        subject_id: Annotated[str, SUBJECT_ID], db: DB,
    ) -> None:
        key = scenario.key
        _ensure_owner(request.user, scenario)
        async with db.write.acquire() as conn, conn.transaction():
            region = await conn.fetchval(q.region_of, subject_id)
            if region is None:
                raise NotFound(f"no subject {subject_id}")
            ensure_region(request.user, region)
            if await conn.fetchval(q.delete_participant, key, subject_id) is None:
                raise NotFound(f"{subject_id} does not take part in {key}",
                               slug="not-a-participant")
            await audit.append(conn, request.user, action="scenario.withdraw",
                               endpoint=audit.endpoint_of(request), subject_id=subject_id,
                               detail={"scenario": key})

    @post(
        "/redemptions",
        guards=[requires("merchant")],
        summary="Redeem a person incentive for the holder of a 动态个人信用码",
        description="The merchant of an enrolled business scans the person's code and names "
        "the offer. The code is spent (one code, one redemption); the answer says only whether "
        "the holder is eligible — the person's grade and file stay private. 422 "
        "`invalid-personal-code`, 410 `personal-code-expired`, 409 `personal-code-used`, "
        "422 `offer-not-available` when the business does not offer that measure.",
        raises=[*GUARDED, NotFound, Unprocessable, Gone, Conflict],
        status_code=200,
    )
    async def redeem(
        self, request: Req, scenario: ScenarioDep, data: JSONBody[RedemptionRequest],
        db: DB, clock: ClockDep, persons: PersonCreditDep,
    ) -> Redemption:
        key = scenario.key
        measure = _offer(scenario, data.measure)
        async with db.write.acquire() as conn, conn.transaction():
            await covered_subject(conn, scenario, data.subject_id)
            await ensure_merchant_of(conn, request.user, data.subject_id)
            offers = await conn.fetchval(q.participant, key, data.subject_id)
            if not offers or measure.key not in offers:
                raise Unprocessable(f"{data.subject_id} does not offer {measure.key}",
                                    slug="offer-not-available")
            person = await persons.redeem_code(conn, data.code, partner=request.user,
                                               purpose=f"{key}.{measure.key}", now=clock.now())
            standing = await persons.standing(conn, person, clock.today())
            eligible = measure in standing.measures_of(key)
            answer = Redemption(eligible=eligible, measure=measure_view(measure))
            if eligible:
                row = await conn.fetchrow(q.insert_redemption, key, measure.key,
                                          data.subject_id, person, request.user.sub)
                answer.redemption_id, answer.redeemed_at = row["id"], row["redeemed_at"]
            await audit.append(conn, request.user, action="personal_code.redeem",
                               endpoint=audit.endpoint_of(request), subject_id=data.subject_id,
                               detail={"scenario": key, "measure": measure.key,
                                       "person": person, "eligible": eligible})
        return answer

    @post(
        "/person-reports",
        guards=[requires("merchant")],
        summary="Report what the scenario rewards for the holder of a 动态个人信用码",
        description="For scenarios with a `credit_points` person measure (信用+物业: fees paid "
        "on time). The merchant of a covered business reports `on_time` or `overdue` for a "
        "period; the person confirms by showing the code (业主出示信用码确认). One report per "
        "business, person and period (a second one corrects it). The person's credit gains "
        "the measure's points (overdue costs points) for a year.",
        raises=[*GUARDED, NotFound, Unprocessable, Gone, Conflict],
        status_code=201,
    )
    async def person_report(
        self, request: Req, scenario: ScenarioDep, data: JSONBody[PersonReport],
        db: DB, clock: ClockDep, persons: PersonCreditDep,
    ) -> PersonReportReceipt:
        key = scenario.key
        if not any(m.target == "person" and isinstance(m.effect, CreditPoints)
                   for m in scenario.measures):
            raise Unprocessable(f"{key} rewards nothing with personal credit points",
                                slug="no-credit-points")
        today = clock.today()
        async with db.write.acquire() as conn, conn.transaction():
            await covered_subject(conn, scenario, data.subject_id)
            await ensure_merchant_of(conn, request.user, data.subject_id)
            person = await persons.redeem_code(conn, data.code, partner=request.user,
                                               purpose=f"{key}.report", now=clock.now())
            days = POINTS_DAYS if data.result == "on_time" else OVERDUE_DAYS
            _, created = await persons.record_fact(
                conn, person, kind="scenario_points", result=data.result, title=data.title,
                occurred_on=today, counts_until=today + timedelta(days=days), source=key,
                source_ref=f"{data.subject_id}:{data.period}", department=scenario.department,
                recorded_by=request.user.sub)
            await audit.append(conn, request.user, action="person.report",
                               endpoint=audit.endpoint_of(request), subject_id=data.subject_id,
                               detail={"scenario": key, "person": person,
                                       "period": data.period, "result": data.result})
        return PersonReportReceipt(scenario=key, subject_id=data.subject_id, period=data.period,
                                   result=data.result, created=created)


def offers_contributor(registry: ScenarioRegistry) -> Contributor:
    """A scan-profile contributor: the person incentives an enrolled business offers (they do
    not depend on the date; enrolments announce their changes). Batch form: one query."""

    def add(draft: ProfileDraft, row: asyncpg.Record) -> None:
        scenario = registry.get(row["scenario"])
        if scenario is None:
            return
        offered = _offered(scenario, row["measures"])
        for m in offered:
            basis = "" if m.basis is None else f"{m.basis.document} {m.basis.article}"
            draft.badges.append(codes_schemas.Badge(
                scenario=scenario.key, key=m.key, label=m.title_zh, kind="incentive",
                description=f"个人信用 {'/'.join(m.grades)} 级可享,出示动态个人信用码"
                            + (f";{m.condition}" if m.condition else ""),
                basis=basis))
        if offered:
            add_scan_scenario(draft, codes_schemas.ScanScenario(
                key=scenario.key, name=scenario.name_zh, department=scenario.department,
                measures=[scan_measure(m) for m in offered]))

    async def contribute(conn: asyncpg.Connection, draft: ProfileDraft) -> None:
        for row in await conn.fetch(q.offers_of_subject, draft.subject_id):
            add(draft, row)

    async def contribute_many(conn: asyncpg.Connection, drafts: Sequence[ProfileDraft]) -> None:
        by_id: dict[str, list[ProfileDraft]] = {}
        for draft in drafts:
            by_id.setdefault(draft.subject_id, []).append(draft)
        for row in await conn.fetch(q.offers_of_subjects, list(by_id)):
            for draft in by_id[row["subject_id"]]:
                add(draft, row)

    return Contributor(contribute, many=contribute_many,
                       fingerprint=definitions_fingerprint(registry), date_aware=True)
