"""个人信用 personal credit: the person's file, grade and measures, and the dynamic code.

``PersonalCredit`` (``app.state.persons``, handler dependency ``persons: PersonsDep``) is what the
core routes and the scenario plugins use::

    async with conn.transaction():
        person = await persons.redeem_code(conn, data.code, partner=request.user,
                                           purpose="pay_later.preauthorise", now=clock.now())
        standing = await persons.standing(conn, person, clock.today())
        standing.measures_of("pay_later")   # the person measures of one scenario, by grade

A partner never receives the person id or the file: only what its scenario endpoint answers.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

import asyncpg

from xinyi_api.auth.tokens import Principal
from xinyi_api.clock import local_date
from xinyi_api.consumers.identity import derive_key
from xinyi_api.db.queries import Queries
from xinyi_api.errors import Conflict, Gone, NotFound, Unprocessable
from xinyi_api.grading.engine import CreditFile, GradeResult, GradingRule, RecordFact
from xinyi_api.persons import codes, rule
from xinyi_api.scenarios.model import CreditPoints, Measure, PersonSync, Scenario
from xinyi_api.settings import Settings

q = Queries.beside(__file__)

MALICIOUS_DAYS = 365


class InvalidPersonalCode(Unprocessable):
    """A 动态个人信用码 that is malformed or whose signature does not verify."""

    slug = "invalid-personal-code"


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """One line of the person's own file (what ``GET /api/v1/me/credit`` lists)."""

    id: str
    kind: str
    result: str | None
    title: str
    occurred_on: date
    counts_until: date
    source: str


@dataclass(frozen=True, slots=True)
class Standing:
    """A person's grade now and the person measures of every enabled scenario it earns."""

    person_id: str
    grade: GradeResult
    measures: tuple[tuple[Scenario, Measure], ...]
    records: tuple[PersonRecord, ...]
    """The records the grade was computed from, newest first."""

    def measures_of(self, scenario_key: str) -> list[Measure]:
        return [m for s, m in self.measures if s.key == scenario_key]


async def record_fact(
    conn: asyncpg.Connection, person_id: str, *, kind: Literal["payment", "scenario_points"],
    result: Literal["on_time", "late", "overdue"], title: str, occurred_on: date,
    counts_until: date, source: str, source_ref: str, department: str, recorded_by: str,
) -> tuple[str, bool]:
    """Add a person record, or update the one with the same ``source`` + ``source_ref`` (an
    overdue bill that gets paid becomes ``late``); ``(id, created)``. Records are never deleted.
    """
    row = await conn.fetchrow(q.upsert_person_record, person_id, kind, result, title,
                              occurred_on, counts_until, source, source_ref, department,
                              recorded_by)
    assert row is not None
    return row["id"], row["created"]


class PersonalCredit:
    """Personal grades from person records, and the dynamic personal credit code."""

    def __init__(self, scenarios: Sequence[Scenario], settings: Settings,
                 syncs: Sequence[PersonSync] | None = None) -> None:
        self.scenarios = tuple(scenarios)
        bonuses: dict[str, tuple[str, int]] = {}
        for s in self.scenarios:
            points = [m.effect.points for m in s.measures
                      if m.target == "person" and isinstance(m.effect, CreditPoints)]
            if points:
                bonuses[s.key] = (s.name_zh, max(points))
        self.rule: GradingRule = rule.personal_rule(bonuses)
        self.code_ttl = settings.personal_code_ttl
        self.tz = settings.tz
        # The person syncs of every package (hook person_syncs); the scenarios' own by default.
        self.syncs: tuple[PersonSync, ...] = tuple(
            syncs if syncs is not None
            else (s.person_sync for s in self.scenarios if s.person_sync is not None))
        self._key = derive_key(settings.secret_key, codes.KEY_LABEL)

    # ---------------------------------------------------------------- the file and the grade

    async def records(self, conn: asyncpg.Connection, person_id: str) -> list[PersonRecord]:
        """The person's records, newest first: reported facts and malicious-rating decisions."""
        out = [PersonRecord(r["id"], r["kind"], r["result"], r["title"], r["occurred_on"],
                            r["counts_until"], r["source"])
               for r in await conn.fetch(q.person_records_of, person_id)]
        for d in await conn.fetch(q.malicious_ratings_of, person_id):
            decided = local_date(d["decided_at"], self.tz)
            out.append(PersonRecord(
                f"RD{d['id']}", rule.MALICIOUS_KIND, None,
                f"恶意评价:对 {d['subject_id']} 的评价经审核删除", decided,
                decided + timedelta(days=MALICIOUS_DAYS), "moderation"))
        return sorted(out, key=lambda r: (r.occurred_on, r.id), reverse=True)

    def file_of(self, person_id: str, records: Sequence[PersonRecord]) -> CreditFile:
        facts = tuple(
            RecordFact(
                id=r.id,
                kind=rule.points_kind(r.source) if r.kind == "scenario_points" else r.kind,
                severity=None, result=r.result, title=r.title, occurred_on=r.occurred_on,
                public_until=r.counts_until, status="active", source_department=r.source)
            for r in records)
        return CreditFile(subject_id=person_id, subject_type="person", industry="",
                          region_code="", closed=False, records=facts)

    async def sync(self, conn: asyncpg.Connection, person_ids: Sequence[str] | None,
                   today: date) -> int:
        """Let every scenario bring the persons' records up to date (e.g. mark bills overdue).

        A sync is called with this service as fourth argument when it takes one (to write
        facts with ``record_fact``); a sync of the earlier three-argument form still works.
        """
        written = 0
        for sync in self.syncs:
            if len(inspect.signature(sync).parameters) >= 4:
                written += await sync(conn, person_ids, today, self)
            else:
                written += await sync(conn, person_ids, today)  # type: ignore[call-arg]
        return written

    async def record_fact(
        self, conn: asyncpg.Connection, person_id: str, *,
        kind: Literal["payment", "scenario_points"],
        result: Literal["on_time", "late", "overdue"], title: str, occurred_on: date,
        counts_until: date, source: str, source_ref: str, department: str, recorded_by: str,
    ) -> tuple[str, bool]:
        """``record_fact`` as a method, for scenarios (they see personal credit through
        ``xinyi_api.scenarios.model.PersonCredit``)."""
        return await record_fact(
            conn, person_id, kind=kind, result=result, title=title, occurred_on=occurred_on,
            counts_until=counts_until, source=source, source_ref=source_ref,
            department=department, recorded_by=recorded_by)

    async def standing(self, conn: asyncpg.Connection, person_id: str, today: date) -> Standing:
        """Sync, load and grade the person; the measures their grade earns in each scenario."""
        await self.sync(conn, [person_id], today)
        records = await self.records(conn, person_id)
        result = self.rule.grade(self.file_of(person_id, records), today)
        earned = tuple((s, m) for s in self.scenarios
                       for m in s.measures_for(result.grade, "person"))
        return Standing(person_id, result, earned, tuple(records))

    # ---------------------------------------------------------------- the dynamic code

    async def issue_code(self, conn: asyncpg.Connection, person_id: str,
                         now: datetime) -> codes.PersonalCode:
        """A new single-use code for the person, valid for ``XINYI_PERSONAL_CODE_TTL`` s."""
        if not await conn.fetchval(q.person_exists, person_id):
            raise NotFound("no such consumer account", slug="unknown-person")
        code = codes.new_code(self._key, now + timedelta(seconds=self.code_ttl))
        await conn.execute(q.forget_expired_codes, person_id, now)
        await conn.execute(q.insert_personal_code, code.nonce, person_id, now, code.expires_at)
        return code

    async def redeem_code(self, conn: asyncpg.Connection, code: str, *, partner: Principal,
                          purpose: str, now: datetime) -> str:
        """Spend a code inside the caller's transaction; return whose it is (never show it).

        422 ``invalid-personal-code`` (malformed or forged), 410 ``personal-code-expired``,
        409 ``personal-code-used`` (replayed). A rolled-back transaction leaves it unspent.
        """
        try:
            parsed = codes.read_code(self._key, code)
        except codes.InvalidPersonalCode as exc:
            raise InvalidPersonalCode(str(exc)) from exc
        if parsed.expires_at <= now:
            raise Gone("this personal credit code has expired; ask for a new one",
                       slug="personal-code-expired")
        person = await conn.fetchval(q.spend_personal_code, parsed.nonce, now, partner.sub,
                                     purpose)
        if person is not None:
            return str(person)
        state = await conn.fetchrow(q.personal_code_state, parsed.nonce)
        if state is None:
            raise InvalidPersonalCode("this personal credit code is not known here")
        if state["used_at"] is not None:
            raise Conflict("this personal credit code has already been used; ask for a new one",
                           slug="personal-code-used")
        raise Gone("this personal credit code has expired; ask for a new one",
                   slug="personal-code-expired")
