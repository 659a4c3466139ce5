"""诚信码 code logic on a database connection: build a scan profile, reissue, read statistics."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import asyncpg
import msgspec

from xinyi_api import audit
from xinyi_api.auth.guards import ensure_region
from xinyi_api.auth.tokens import Principal
from xinyi_api.codes import schemas
from xinyi_api.codes.hooks import ProfileContributor, ProfileDraft
from xinyi_api.db.queries import Queries
from xinyi_api.errors import Conflict, Forbidden, NotFound, Unprocessable
from xinyi_api.grading.engine import GRADE_LABELS, MAX_SCORE
from xinyi_api.grading.kinds import KIND_LABELS, RESULT_LABELS, SEVERITY_LABELS, STATUS_LABELS

if TYPE_CHECKING:
    from xinyi_api.settings import Settings

log = logging.getLogger(__name__)
q = Queries.beside(__file__)

MAX_PUBLIC_RECORDS = 50
"""Records listed on a scan profile, newest first (the full file is on the records endpoint)."""
MAX_REASONS = 5
MAX_STATS_DAYS = 366


# --- the scan profile -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Presentation:
    """What a profile shows besides the data: who issues the codes (发证机关) and the
    mini-program a consumer opens to rate or complain (``XINYI_ISSUING_AUTHORITY``,
    ``XINYI_MINI_PROGRAM_APPID`` / ``_PATH``)."""

    authority: str = ""
    mini_program_appid: str | None = None
    mini_program_path: str = "pages/store/index"

    @classmethod
    def of(cls, settings: Settings) -> Presentation:
        return cls(authority=settings.issuing_authority,
                   mini_program_appid=settings.mini_program_appid,
                   mini_program_path=settings.mini_program_path)

    def mini_program(self, subject_id: str) -> schemas.MiniProgramLink | None:
        """The link that opens the mini-program at this subject (WeChat's 明文 URL Scheme)."""
        if self.mini_program_appid is None:
            return None
        query = f"subject_id={subject_id}"
        url = "weixin://dl/business/?" + urlencode(
            {"appid": self.mini_program_appid, "path": self.mini_program_path, "query": query})
        return schemas.MiniProgramLink(appid=self.mini_program_appid,
                                       path=self.mini_program_path, query=query, url=url)


def grade_legend(thresholds: dict[str, int]) -> tuple[schemas.GradeBand, ...]:
    """等级说明: each grade's score range from a rule's minimums (the lowest grade from 0)."""
    ordered = sorted(((g, m) for g, m in thresholds.items() if g in ("A", "B", "C", "D")),
                     key=lambda gm: -gm[1])
    bands = []
    top = MAX_SCORE
    for i, (grade, minimum) in enumerate(ordered):
        low = 0 if i == len(ordered) - 1 else minimum
        bands.append(schemas.GradeBand(grade=grade, label=GRADE_LABELS[grade],  # type: ignore[arg-type]
                                       min_score=low, max_score=top))
        top = minimum - 1
    if ordered and ordered[-1][0] != "D" and top >= 0:
        bands.append(schemas.GradeBand(grade="D", label=GRADE_LABELS["D"], min_score=0,
                                       max_score=top))
    return tuple(bands)


def grade_summary(row: asyncpg.Record, tz: ZoneInfo) -> schemas.ScanGrade:
    """The public grade 信用等级 with the indicators that moved it, largest effect first."""
    explanation: dict[str, Any] = row["explanation"] or {}
    indicators = []
    for item in explanation.get("indicators", ()):
        reasons = tuple(
            schemas.ScanReason(points=r["points"], text=r["text"])
            for r in item.get("reasons", ())
            if r.get("points")
        )[:MAX_REASONS]
        if item.get("points") or reasons:
            indicators.append(
                schemas.ScanIndicator(key=item["key"], name=item["name"], points=item["points"],
                                      reasons=reasons)
            )
    indicators.sort(key=lambda i: -abs(i.points))
    return schemas.ScanGrade(
        grade=row["grade"],
        grade_label=GRADE_LABELS[row["grade"]],
        score=row["score"],
        rule_version=row["rule_version"],
        computed_at=row["computed_at"],
        graded_on=row["computed_at"].astimezone(tz).date(),
        unrated_reason=explanation.get("unrated_reason"),
        summary=tuple(indicators),
        legend=grade_legend(explanation.get("thresholds") or {}),
    )


def _record(row: asyncpg.Record, departments: dict[str, asyncpg.Record]) -> schemas.ScanRecord:
    department = departments.get(row["source_department"])
    return schemas.ScanRecord(
        id=row["id"], kind=row["kind"], kind_label=KIND_LABELS[row["kind"]],
        severity_label=SEVERITY_LABELS.get(row["severity"] or ""),
        result_label=RESULT_LABELS.get(row["result"] or ""),
        title=row["title"], source_department=row["source_department"],
        source_department_name=department["name"] if department is not None else "",
        legal_basis=row["legal_basis"], occurred_on=row["occurred_on"],
        public_until=row["public_until"], status_label=STATUS_LABELS[row["status"]],
    )


async def load_code(conn: asyncpg.Connection, serial: int) -> asyncpg.Record | None:
    """The code row with its subject and owning enterprise, or ``None``."""
    row: asyncpg.Record | None = await conn.fetchrow(q.code_by_serial, serial)
    return row


@dataclass(slots=True)
class BuiltProfile:
    """A profile as the builder made it, with what deciding how long it holds needs."""

    profile: schemas.ScanProfile
    fresh_until: date | None
    """The last day it stays right by the date alone (``None``: no such day)."""
    complete: bool
    """False when a contributor failed: serve it, never store it."""


def _contributor_name(contribute: ProfileContributor) -> str:
    return repr(contribute)


async def build_profile(
    conn: asyncpg.Connection,
    code: asyncpg.Record,
    today: date,
    tz: ZoneInfo,
    contributors: Sequence[ProfileContributor] = (),
    presentation: Presentation = Presentation(),
) -> schemas.ScanProfile:
    """The public profile 公开信用信息 of an active code's subject, as of ``today``."""
    (built,) = await build_profiles(conn, [code], today, tz, contributors, presentation)
    return built.profile


async def build_profiles(
    conn: asyncpg.Connection,
    codes: Sequence[asyncpg.Record],
    today: date,
    tz: ZoneInfo,
    contributors: Sequence[ProfileContributor] = (),
    presentation: Presentation = Presentation(),
) -> list[BuiltProfile]:
    """The profiles of a batch of active codes (rows of ``code_by_serial`` /
    ``codes_for_profiles``), as of ``today``, in a fixed number of queries plus the
    contributors' (their ``many`` form when they have one). Run it inside one snapshot
    (REPEATABLE READ) so that every part is of the same moment."""
    if not codes:
        return []
    ids = list(dict.fromkeys(c["subject_id"] for c in codes))
    grades = {r["subject_id"]: r for r in await conn.fetch(q.public_grades_of, ids)}
    records: dict[str, list[asyncpg.Record]] = {}
    for r in await conn.fetch(q.public_records_of, ids, today, MAX_PUBLIC_RECORDS):
        records.setdefault(r["subject_id"], []).append(r)
    upcoming = {r["subject_id"]: r["next_on"]
                for r in await conn.fetch(q.upcoming_records_of, ids, today)}
    drafts: list[ProfileDraft] = []
    for code in codes:
        subject_id: str = code["subject_id"]
        grade_row = grades.get(subject_id)
        owner_closed = code["owner_closed_at"] is not None
        draft = ProfileDraft(
            subject_id=subject_id, subject_type=code["type"], enterprise_id=code["owner_id"],
            industry=code["industry"], region_code=code["region_code"],
            closed=code["closed_at"] is not None or owner_closed, today=today,
            grade=grade_summary(grade_row, tz) if grade_row is not None else None,
        )
        # Records leave the page the day after public_until; a record dated later than today
        # (a clock set back, a back-dated import) joins it on its day.
        shown = records.get(subject_id, ())
        draft.holds_until(min((r["public_until"] for r in shown), default=None))
        next_on = upcoming.get(subject_id)
        draft.holds_until(None if next_on is None else next_on - timedelta(days=1))
        drafts.append(draft)
    failed: set[int] = set()
    for contribute in contributors:
        if not getattr(contribute, "date_aware", False):
            # A contributor that does not say how long its part holds: one day.
            for draft in drafts:
                draft.holds_until(today)
        many = getattr(contribute, "many", None)
        if many is not None:
            try:
                await many(conn, drafts)
            except Exception:  # one broken scenario must not take the scan down
                log.exception("profile contributor %s failed for a batch of %d",
                              _contributor_name(contribute), len(drafts))
                failed.update(range(len(drafts)))
            continue
        for i, draft in enumerate(drafts):
            try:
                await contribute(conn, draft)
            except Exception:
                log.exception("profile contributor %s failed for %s",
                              _contributor_name(contribute), draft.subject_id)
                failed.add(i)
    named = {r["source_department"] for shown in records.values() for r in shown}
    named.update(e.department for draft in drafts for e in draft.scenarios)
    departments = {r["code"]: r for r in await conn.fetch(q.departments_named, sorted(named))}
    return [BuiltProfile(profile=_profile(code, draft, records.get(code["subject_id"], ()),
                                          departments, presentation),
                         fresh_until=draft.fresh_until, complete=i not in failed)
            for i, (code, draft) in enumerate(zip(codes, drafts, strict=True))]


def _contacts(draft: ProfileDraft, records: Sequence[asyncpg.Record],
              departments: dict[str, asyncpg.Record]) -> list[schemas.Contact]:
    """The departments to turn to: those whose scenarios cover the subject, then those whose
    records are on its page, each once."""
    codes = [e.department for e in draft.scenarios] + [r["source_department"] for r in records]
    out = []
    for code in dict.fromkeys(codes):
        row = departments.get(code)
        if row is not None:
            out.append(schemas.Contact(department=code, name=row["name"], phone=row["phone"]))
    return out


def _profile(code: asyncpg.Record, draft: ProfileDraft, records: Sequence[asyncpg.Record],
             departments: dict[str, asyncpg.Record],
             presentation: Presentation) -> schemas.ScanProfile:
    subject_id: str = code["subject_id"]
    is_store = code["type"] == "store"
    owner_closed = code["owner_closed_at"] is not None
    return schemas.ScanProfile(
        subject_id=subject_id,
        subject_type=code["type"],
        enterprise=schemas.ScanEnterprise(
            id=code["owner_id"], name=code["owner_name"], kind=code["owner_type"],
            uscc=code["owner_uscc"], closed=owner_closed,
        ),
        store=schemas.ScanStore(id=subject_id, name=code["name"],
                                closed=code["closed_at"] is not None) if is_store else None,
        name=code["name"],
        address=code["address"],
        region_code=code["region_code"],
        industry=code["industry"],
        closed=draft.closed,
        closed_reason=code["closed_reason"] if code["closed_at"] is not None else (
            "所属企业已歇业" if owner_closed else None),
        grade=draft.grade,
        records=[_record(r, departments) for r in records],
        ratings=draft.ratings,
        badges=list(draft.badges),
        scenarios=[msgspec.structs.replace(
            e, department_name=departments[e.department]["name"])
            if e.department in departments else e for e in draft.scenarios],
        authority=presentation.authority,
        next_steps=schemas.NextSteps(mini_program=presentation.mini_program(subject_id),
                                     contacts=_contacts(draft, records, departments)),
        as_of=draft.today,
    )


def encode_profile(profile: schemas.ScanProfile) -> bytes:
    return msgspec.json.encode(profile)


# --- authorisation: department in region, or the merchant of the enterprise -----------------


async def ensure_may_manage(
    conn: asyncpg.Connection, principal: Principal, subject: asyncpg.Record
) -> None:
    """A department must cover the subject's region; a merchant must be linked to its owner.

    A merchant that is not linked gets 404, not 403: it learns nothing about other businesses.
    """
    if principal.role == "department":
        ensure_region(principal, subject["region_code"])
        return
    if principal.role == "merchant" and await conn.fetchval(
        q.merchant_owns, principal.sub, subject["owner_id"]
    ):
        return
    if principal.role == "merchant":
        raise NotFound(f"no subject {subject['id']} among your businesses")
    raise Forbidden(f"role {principal.role!r} may not manage codes")


# --- reissue --------------------------------------------------------------------------------


async def reissue(
    conn: asyncpg.Connection, principal: Principal, subject_id: str, reason: str,
    *, endpoint: str = "service:reissue",
) -> asyncpg.Record:
    """Replace the subject's active code by a new one (new serial, newest code key).

    The old code answers 410 "replaced" from then on. One transaction; concurrent reissues of
    the same subject serialise on the subject's row lock.
    """
    async with conn.transaction():
        subject = await conn.fetchrow(q.subject_for_reissue, subject_id)
        if subject is None:
            raise NotFound(f"no subject {subject_id}")
        await ensure_may_manage(conn, principal, subject)
        if subject["closed_at"] is not None:
            raise Conflict(f"{subject_id} is closed; a closed business gets no new code",
                           slug="subject-closed")
        old = [r["serial"] for r in await conn.fetch(q.replace_active_code, subject_id, reason,
                                                      principal.sub)]
        new = await conn.fetchrow(q.insert_code, subject_id)
        if old:
            await conn.execute(q.link_replacement, old, new["serial"])
        await audit.append(conn, principal, action="code.reissue", endpoint=endpoint,
                           subject_id=subject_id,
                           detail={"reason": reason, "replaced": old, "serial": new["serial"]})
    row: asyncpg.Record = new
    return row


async def active_code(conn: asyncpg.Connection, subject_id: str) -> asyncpg.Record:
    row: asyncpg.Record | None = await conn.fetchrow(q.active_code, subject_id)
    if row is None:
        raise NotFound(f"no active code for {subject_id}", slug="no-code")
    return row


async def replaced_serials(conn: asyncpg.Connection, subject_id: str) -> list[int]:
    return [r["serial"] for r in await conn.fetch(q.replaced_serials, subject_id)]


# --- statistics -----------------------------------------------------------------------------


async def scan_stats(
    conn: asyncpg.Connection,
    principal: Principal,
    subject_id: str,
    *,
    since: date | None,
    until: date | None,
    today: date,
) -> schemas.ScanStats:
    """Scans per day of ``subject_id``'s codes, for a department or the owning merchant."""
    subject = await conn.fetchrow(q.subject_scope, subject_id)
    if subject is None:
        raise NotFound(f"no subject {subject_id}")
    await ensure_may_manage(conn, principal, subject)
    until = until or today
    since = since or until - timedelta(days=29)
    if since > until:
        raise Unprocessable("since is after until", slug="invalid-range")
    if (until - since).days >= MAX_STATS_DAYS:
        raise Unprocessable(f"at most {MAX_STATS_DAYS} days per request", slug="invalid-range")
    rows = await conn.fetch(q.scan_days, subject_id, since, until)
    days = [schemas.ScanDay(day=r["day"], count=r["count"]) for r in rows]
    return schemas.ScanStats(subject_id=subject_id, since=since, until=until,
                             total=sum(d.count for d in days), days=days)
