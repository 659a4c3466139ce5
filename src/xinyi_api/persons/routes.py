"""HTTP endpoints of 个人信用: my credit, the measures it earns, my dynamic personal code."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post

from xinyi_api.auth.guards import requires
from xinyi_api.auth.tokens import Principal
from xinyi_api.consumers import ratelimit
from xinyi_api.deps import DB, ClockDep, SettingsDep
from xinyi_api.errors import Forbidden, NotFound, TooManyRequests, Unauthorized
from xinyi_api.grading.engine import GRADE_LABELS
from xinyi_api.grading.schemas import explanation_view
from xinyi_api.persons import schemas
from xinyi_api.persons.deps import PersonsDep
from xinyi_api.persons.service import Standing
from xinyi_api.scenarios.schemas import measure_view

TAG = "personal credit 个人信用"
GUARDED = [Unauthorized, Forbidden]
Req = Request[Principal, Any, Any]


def measures_of(standing: Standing) -> list[schemas.PersonMeasure]:
    return [schemas.PersonMeasure(scenario=s.key, scenario_name=s.name_zh,
                                  measure=measure_view(m))
            for s, m in standing.measures]


class PersonalCreditController(Controller):
    path = "/api/v1/me"
    tags = (TAG,)

    @get(
        "/credit",
        guards=[requires("consumer")],
        summary="My personal credit (我的个人信用): score, grade, explanation, records",
        description="Graded now from my own records — pay-later bills paid on time, late or "
        "overdue, what scenarios reward (物业费按时交纳), ratings moderation found malicious — "
        "with the explanation of every indicator and the person measures (信易游, 先医后付 "
        "credit lines …) the grade earns, with their bases. Visible only to me: partners "
        "learn only what a scenario answers to my dynamic code.",
        raises=GUARDED,
    )
    async def my_credit(self, request: Req, db: DB, clock: ClockDep,
                        persons: PersonsDep) -> schemas.PersonalCreditView:
        today = clock.today()
        async with db.write.acquire() as conn, conn.transaction():
            standing = await persons.standing(conn, request.user.sub, today)
        g = standing.grade
        return schemas.PersonalCreditView(
            grade=g.grade, grade_label=GRADE_LABELS[g.grade], score=g.score,
            rule_version=g.rule_version, as_of=today,
            explanation=explanation_view(g.explanation, g.scheme),
            records=[schemas.record_view(r) for r in standing.records],
            measures=measures_of(standing))

    @get(
        "/measures",
        guards=[requires("consumer")],
        summary="The person measures that apply to me now",
        description="Per enabled scenario, the incentives and constraints my personal grade "
        "earns today (e.g. 信易游 免押金入住, a 先医后付 credit line), with their bases.",
        raises=GUARDED,
    )
    async def my_measures(self, request: Req, db: DB, clock: ClockDep,
                          persons: PersonsDep) -> list[schemas.PersonMeasure]:
        async with db.write.acquire() as conn, conn.transaction():
            return measures_of(await persons.standing(conn, request.user.sub, clock.today()))

    @post(
        "/credit-code",
        guards=[requires("consumer")],
        summary="A new dynamic personal credit code (动态个人信用码)",
        description="Signed, single use and valid for at most 60 s (`XINYI_PERSONAL_CODE_TTL`). "
        "Show it as a QR code to a scenario partner (a 先医后付 hospital, a 信易游 hotel); the "
        "partner's scan spends it and learns only what the scenario answers (eligible, line "
        "available), never my id or file. Rate-limited (429).",
        raises=[*GUARDED, NotFound, TooManyRequests],
        status_code=201,
    )
    async def new_code(self, request: Req, db: DB, clock: ClockDep, settings: SettingsDep,
                       persons: PersonsDep) -> schemas.PersonalCodeView:
        await ratelimit.hit(db.write, settings, {"personal_code": request.user.sub})
        now = clock.now()
        async with db.write.acquire() as conn, conn.transaction():
            code = await persons.issue_code(conn, request.user.sub, now)
        return schemas.PersonalCodeView(code=code.code, expires_at=code.expires_at,
                                         expires_in=persons.code_ttl)


CONTROLLERS = [PersonalCreditController]
