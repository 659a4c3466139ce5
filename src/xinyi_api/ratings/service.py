"""Ratings 消费者评价 on a database connection: submit (only after a visit), list, summarise,
helpful votes, merchant replies and reports, department moderation 审核.

Rules (docs/consumers.md):

- a consumer may rate a store only with a visit proof (a scan of its code) younger than
  ``XINYI_VISIT_WINDOW_HOURS``;
- one rating per consumer and store per 30 days: the ``rating_slots`` row of the pair is locked
  by every submission (``INSERT … ON CONFLICT DO UPDATE``), so concurrent submissions queue and
  the later ones edit the first; a new period starts 30 days after the previous one began;
- suspicious ratings are held (``held``) for moderation instead of published — see
  ``SUSPICION``; only published ratings count;
- publishing or removing a rating regrades the store in the same transaction.

A new rating is one statement up to the grading (``rating_submit`` in
``migrations/0301_rating_summaries_and_submit.sql``: store, visit proof, dimensions, slot lock,
abuse rules, insert, burst hold, audit entry, and the store's credit file back for the grader),
then the grade upsert: with BEGIN/COMMIT four round trips, against some twenty when each check
was its own query. Summaries (count, sum, distribution, dimension totals) are maintained by
triggers on ``ratings``, so no path reloads every rating of a store.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg
import msgspec

from xinyi_api import audit
from xinyi_api.auth.guards import ensure_region, region_prefix
from xinyi_api.auth.tokens import Principal
from xinyi_api.clock import Clock
from xinyi_api.codes.hooks import Contributor, ProfileDraft
from xinyi_api.consumers import ratelimit
from xinyi_api.consumers.context import current_address
from xinyi_api.consumers.masking import mask
from xinyi_api.db.queries import Queries
from xinyi_api.errors import Conflict, Forbidden, NotFound, Unprocessable
from xinyi_api.grading.engine import CreditFile, RatingSummary, RecordFact
from xinyi_api.grading.service import Grader, explanation_text
from xinyi_api.ratings import schemas
from xinyi_api.scenarios.model import RatingDimension, Scenario
from xinyi_api.scenarios.registry import ScenarioRegistry
from xinyi_api.scenarios.service import definitions_fingerprint
from xinyi_api.settings import Settings

q = Queries.beside(__file__)

PRIOR_COUNT = 5
"""Bayesian prior: ``m`` = 5 imaginary ratings …"""
PRIOR_MEAN = 3.5
"""… at ``C`` = 3.5 stars. Bayesian mean = (m·C + Σ stars) / (m + n)."""

DEFAULT_DIMENSIONS = (
    RatingDimension("hygiene", "卫生", "hygiene"),
    RatingDimension("price_integrity", "价格诚信", "price integrity"),
    RatingDimension("service", "服务", "service"),
)
"""Dimensions of a store no scenario with dimensions covers."""

STATUS_LABELS = {"published": "已发布", "held": "待审核", "removed": "已删除(审核)"}


@dataclass(frozen=True, slots=True)
class Suspicion:
    """Thresholds of the abuse rules (恶意评价 / 刷单 detection)."""

    burst: int = 4
    """A new account's rating is held when ≥ this many *other* ratings of the store by new
    accounts (created < 7 days ago) came within the last hour; the burst's published ones
    are held with it."""
    many_stores: int = 5
    """Held when the same account rated ≥ this many other stores within the last hour."""
    min_repeat_chars: int = 8
    """Texts of at least this many letters (after normalising) count as repeated when the same
    text was left on another store within 7 days."""


SUSPICION = Suspicion()


# --- scenario: dimensions and the responsible department --------------------------------------


def scenario_for(registry: ScenarioRegistry, subject_type: str, industry: str) -> Scenario | None:
    """The scenario covering a store (the first by key when several do)."""
    return next((s for s in registry.scenarios
                 if subject_type in s.subject_types and industry in s.industries), None)


def dimensions_for(scenario: Scenario | None) -> tuple[RatingDimension, ...]:
    return scenario.dimensions if scenario is not None and scenario.dimensions \
        else DEFAULT_DIMENSIONS


def responsible_department(scenario: Scenario | None, created_by: str | None) -> str:
    """The department of the store's scenario (主管部门), else the store's creating department."""
    if scenario is not None:
        return scenario.department
    return created_by or ""


async def rateable_store(conn: asyncpg.Connection, store_id: str) -> asyncpg.Record:
    store: asyncpg.Record | None = await conn.fetchrow(q.store_for_rating, store_id)
    if store is None or store["type"] != "store":
        raise NotFound(f"no store {store_id}")
    return store


def _no_visit_proof(settings: Settings) -> Forbidden:
    return Forbidden(f"no visit proof: scan the store's 诚信码 in the store first (valid "
                     f"{settings.visit_window_hours} h)", slug="no-visit-proof")


async def ensure_visit(conn: asyncpg.Connection, settings: Settings, consumer_id: str,
                       store_id: str) -> None:
    if not await conn.fetchval(q.has_visit, consumer_id, store_id, settings.visit_window_hours):
        raise _no_visit_proof(settings)


def _text_hash(text: str) -> str | None:
    letters = "".join(ch for ch in unicodedata.normalize("NFKC", text).lower() if ch.isalnum())
    if len(letters) < SUSPICION.min_repeat_chars:
        return None
    return hashlib.sha256(letters.encode()).hexdigest()


def _check_dimensions(given: dict[str, int], allowed: Sequence[RatingDimension]) -> None:
    known = {d.key for d in allowed}
    unknown = sorted(set(given) - known)
    if unknown:
        raise Unprocessable(f"unknown rating dimension(s) {unknown}; this store is rated on "
                            f"{', '.join(f'{d.key} ({d.name_zh})' for d in allowed)}",
                            slug="unknown-dimension")


# --- submit ------------------------------------------------------------------------------------


def _reply(row: Any) -> schemas.Reply | None:
    if row is None or row["reply_text"] is None:
        return None
    return schemas.Reply(text=row["reply_text"], created_at=row["reply_created_at"],
                         updated_at=row["reply_updated_at"])


def my_rating(row: Any, reply: schemas.Reply | None = None) -> schemas.MyRating:
    return schemas.MyRating(
        id=row["id"], store_id=row["subject_id"], stars=row["stars"],
        dimensions=dict(row["dimensions"]), text=row["text"], status=row["status"],
        status_label=STATUS_LABELS[row["status"]], hold_reasons=list(row["hold_reasons"]),
        helpful_count=row["helpful_count"], period_start=row["period_start"],
        created_at=row["created_at"], updated_at=row["updated_at"], reply=reply,
    )


async def _reasons_to_hold(conn: asyncpg.Connection, consumer_id: str, store_id: str,
                           text_hash: str | None) -> list[str]:
    reasons: list[str] = await conn.fetchval(q.hold_reasons, consumer_id, store_id, text_hash,
                                             SUSPICION.burst, SUSPICION.many_stores)
    return reasons


class _Totals(msgspec.Struct):
    n: int
    total: int


class _Store(msgspec.Struct):
    """A store and its credit file as the rating functions read it (``rating_grading_file``)."""

    subject_type: str
    industry: str
    region_code: str
    closed: bool
    created_by: str | None
    owner_closed: bool
    records: list[RecordFact]


class _Hit(msgspec.Struct):
    bucket: str
    n: int
    window_start: datetime


class _Prepared(msgspec.Struct):
    hits: list[_Hit]
    store: _Store | None
    fingerprint: str | None
    visit: bool
    ratings: _Totals | None


class _Graded(msgspec.Struct):
    store: _Store
    ratings: _Totals


class _NewRating(msgspec.Struct):
    id: str
    subject_id: str
    stars: int
    dimensions: dict[str, int]
    text: str
    status: schemas.RatingStatus
    hold_reasons: list[str]
    helpful_count: int
    period_start: datetime
    created_at: datetime
    updated_at: datetime


class _Submitted(msgspec.Struct):
    outcome: str
    rating_id: str | None = None
    rating: _NewRating | None = None
    audit_id: int | None = None
    file: _Graded | None = None


STALE_FILE = "XR001"
"""SQLSTATE of ``rating_submit`` when the file graded ahead changed before the write."""


async def submit(
    conn: asyncpg.Connection, grader: Grader, registry: ScenarioRegistry, settings: Settings,
    principal: Principal, store_id: str, data: schemas.RatingCreate, today: date, *,
    endpoint: str,
) -> schemas.RatingWritten:
    """Rate a store (or edit this period's rating); regrades the store in the same transaction
    when the public picture changes.

    Usually two statements: ``rating_prepare`` counts the rate-limit hits and reads the store's
    credit file; the checks run here, and the store is graded as it will be with this rating;
    ``rating_submit`` then writes everything, grades included, in one autocommit statement — if
    the file is still the one graded (else it undoes itself and the submission takes the
    transactional way, as do edits and stores with a scenario loader).
    """
    if conn.is_in_transaction():  # rating_prepare commits asynchronously, and so would it
        raise RuntimeError("ratings.service.submit runs its own statements and transaction")
    text = mask(data.text.strip())
    text_hash = _text_hash(text)
    checked = ratelimit.buckets(settings, {"rating": principal.sub,
                                           "rating_address": current_address()})
    prepared = msgspec.json.decode(await conn.fetchval(
        q.prepare_rating, [b for b, _ in checked], [lim.seconds for _, lim in checked],
        principal.sub, store_id, settings.visit_window_hours), type=_Prepared)
    ratelimit.enforce(((h.bucket, h.n, h.window_start) for h in prepared.hits), checked)
    await ratelimit.collect_garbage_sometimes(conn)
    store = prepared.store
    if store is None:
        raise NotFound(f"no store {store_id}")
    if store.closed or store.owner_closed:
        raise _closed(store_id)
    if not prepared.visit:
        raise _no_visit_proof(settings)
    scenario = scenario_for(registry, "store", store.industry)
    _check_dimensions(data.dimensions, dimensions_for(scenario))
    args = (principal.sub, principal.role, principal.department, store_id, data.stars,
            data.dimensions, text, text_hash, settings.visit_window_hours,
            responsible_department(scenario, store.created_by), store.industry, SUSPICION.burst,
            SUSPICION.many_stores, endpoint)

    totals = prepared.ratings or _Totals(0, 0)
    ahead = _credit_file(store_id, store, _Totals(totals.n + 1, totals.total + data.stars))
    if not any(s.loader is not None and s.covers(ahead) for s in registry.scenarios):
        # Nothing but this rating can change the file between here and the write (which checks
        # it did not): grade it now and store the grades in the write statement itself.
        results = grader.grade_files({store_id: ahead}, today)
        try:
            raw = await conn.fetchval(
                q.submit_rating, *args, prepared.fingerprint, totals.n + 1,
                totals.total + data.stars, [r.scheme for r in results],
                [r.rule_version for r in results], [r.score for r in results],
                [r.grade for r in results], [explanation_text(r) for r in results],
                [r.review_on for r in results])
        except asyncpg.PostgresError as exc:
            if exc.sqlstate != STALE_FILE:
                raise
        else:
            result = _outcome(raw, store_id, settings)
            if result.outcome == "created":
                return _created(result)
            # "existing": an edit, which needs the slot locked for its whole transaction.

    async with conn.transaction():
        result = _outcome(await conn.fetchval(q.submit_rating, *args, *(None,) * 9),
                          store_id, settings)
        if result.outcome == "existing":
            assert result.rating_id is not None
            return await _edit(conn, grader, principal, store_id, result.rating_id, data, text,
                               text_hash, today, endpoint=endpoint)
        if result.file is not None:
            await grader.regrade_file(conn, _credit_file(store_id, result.file.store,
                                                         result.file.ratings),
                                      today, loaded=(load_ratings,))
    return _created(result)


def _closed(store_id: str) -> Conflict:
    return Conflict(f"{store_id} is closed (已歇业) and takes no new ratings", slug="store-closed")


def _outcome(raw: str, store_id: str, settings: Settings) -> _Submitted:
    result = msgspec.json.decode(raw, type=_Submitted)
    if result.outcome == "not-found":
        raise NotFound(f"no store {store_id}")
    if result.outcome == "closed":
        raise _closed(store_id)
    if result.outcome == "no-visit-proof":
        raise _no_visit_proof(settings)
    assert result.outcome in ("created", "existing"), result.outcome
    return result


def _created(result: _Submitted) -> schemas.RatingWritten:
    audit.note_appended(result.audit_id or 0)
    new = result.rating
    assert new is not None
    return schemas.RatingWritten(rating=schemas.MyRating(
        id=new.id, store_id=new.subject_id, stars=new.stars, dimensions=new.dimensions,
        text=new.text, status=new.status, status_label=STATUS_LABELS[new.status],
        hold_reasons=new.hold_reasons, helpful_count=new.helpful_count,
        period_start=new.period_start, created_at=new.created_at, updated_at=new.updated_at,
        reply=None), edited=False)


def _credit_file(store_id: str, store: _Store, totals: _Totals) -> CreditFile:
    """The file ``Grader.load_files`` would build: the subject row, its records, the summary."""
    return CreditFile(subject_id=store_id, subject_type=store.subject_type,
                      industry=store.industry, region_code=store.region_code,
                      closed=store.closed, records=tuple(store.records),
                      ratings=_summary(totals.n, totals.total))


async def _edit(
    conn: asyncpg.Connection, grader: Grader, principal: Principal, store_id: str,
    rating_id: str, data: schemas.RatingCreate, text: str, text_hash: str | None, today: date,
    *, endpoint: str,
) -> schemas.RatingWritten:
    """A submission inside the period of an earlier rating (its slot is locked): edit that one."""
    old = await conn.fetchrow(q.rating_for_update, rating_id)
    if old["status"] == "removed":
        raise Conflict("your rating of this store was removed by moderation; you can rate it "
                       "again 30 days after you first rated it", slug="rating-removed")
    same = (old["stars"], dict(old["dimensions"]), old["text"]) == (
        data.stars, data.dimensions, text)
    if same:  # an idempotent repeat: nothing to write
        reply = _reply(await conn.fetchrow(q.reply_of, old["id"]))
        return schemas.RatingWritten(rating=my_rating(old, reply), edited=True)
    reasons = list(old["hold_reasons"])
    if text_hash is not None and text_hash != old["text_hash"]:
        reasons += [r for r in await _reasons_to_hold(conn, principal.sub, store_id, text_hash)
                    if r == "repeated_text" and r not in reasons]
    status = "held" if old["status"] == "held" or reasons != list(old["hold_reasons"]) \
        else "published"
    row = await conn.fetchrow(q.update_rating, old["id"], data.stars, data.dimensions, text,
                              text_hash, status, reasons)
    if old["status"] == "published":
        await grader.regrade(conn, [store_id], today)
    await audit.append(conn, principal, action="rating.edit", subject_id=store_id,
                       endpoint=endpoint, detail={"rating_id": row["id"], "status": status})
    reply = _reply(await conn.fetchrow(q.reply_of, row["id"]))
    return schemas.RatingWritten(rating=my_rating(row, reply), edited=True)


# --- summaries: the scan profile, the public list and grading ---------------------------------


def _summary(n: int, total: int) -> RatingSummary | None:
    if not n:
        return None
    return RatingSummary(count=n, mean=round(total / n, 2),
                         bayesian_mean=round((PRIOR_COUNT * PRIOR_MEAN + total)
                                             / (PRIOR_COUNT + n), 2))


async def store_summary(conn: asyncpg.Connection, registry: ScenarioRegistry,
                        store: asyncpg.Record) -> schemas.StoreRatingSummary:
    """Count, mean, Bayesian mean, distribution and dimension means of published ratings."""
    row = await conn.fetchrow(q.summaries, [store["id"]])
    means = {r["key"]: r for r in await conn.fetch(q.dimension_means, store["id"])}
    return _store_summary(row, means, scenario_for(registry, store["type"], store["industry"]))


def _store_summary(row: asyncpg.Record | None, means: dict[str, asyncpg.Record],
                   scenario: Scenario | None) -> schemas.StoreRatingSummary:
    base = (_summary(row["n"], row["total"]) if row else None) \
        or RatingSummary(count=0, mean=0.0, bayesian_mean=PRIOR_MEAN)
    dims = [schemas.Dimension(key=d.key, name_zh=d.name_zh, name_en=d.name_en,
                              mean=round(means[d.key]["mean"], 2) if d.key in means else None,
                              count=int(means[d.key]["n"]) if d.key in means else 0)
            for d in dimensions_for(scenario)]
    distribution = {str(i): int(row[f"s{i}"]) if row else 0 for i in range(1, 6)}
    return schemas.StoreRatingSummary(count=base.count, mean=base.mean,
                                      bayesian_mean=base.bayesian_mean,
                                      distribution=distribution, dimensions=dims)


async def load_ratings(conn: asyncpg.Connection, files: dict[str, CreditFile], _: date) -> None:
    """Grading file loader: ``CreditFile.ratings`` for a batch, in one query."""
    if not files:
        return
    for row in await conn.fetch(q.summaries, list(files)):
        files[row["subject_id"]].ratings = _summary(row["n"], row["total"])


def rating_contributor(registry: ScenarioRegistry) -> Contributor:
    """Scan-profile contributor: the store's rating summary (``None`` while it has none). Not
    dated (the summary changes only with ratings, which announce it); the dimensions shown come
    from the scenarios' definitions. Its batch form reads a whole batch in two queries."""

    async def contribute(conn: asyncpg.Connection, draft: ProfileDraft) -> None:
        await contribute_many(conn, [draft])

    async def contribute_many(conn: asyncpg.Connection, drafts: Sequence[ProfileDraft]) -> None:
        stores = {d.subject_id: d for d in drafts if d.subject_type == "store"}
        if not stores:
            return
        rows = {r["subject_id"]: r for r in await conn.fetch(q.summaries, list(stores))}
        if not rows:
            return
        means: dict[str, dict[str, asyncpg.Record]] = {}
        for r in await conn.fetch(q.dimension_means_of, list(rows)):
            means.setdefault(r["subject_id"], {})[r["key"]] = r
        for subject_id, row in rows.items():
            draft = stores[subject_id]
            summary = _store_summary(row, means.get(subject_id, {}),
                                     scenario_for(registry, draft.subject_type, draft.industry))
            if summary.count:
                draft.ratings = summary

    return Contributor(contribute, many=contribute_many,
                       fingerprint=definitions_fingerprint(registry), date_aware=True)


async def public_page(conn: asyncpg.Connection, registry: ScenarioRegistry, store_id: str,
                      sort: str, page: int, limit: int) -> schemas.RatingPage:
    store = await rateable_store(conn, store_id)
    rows = await conn.fetch(q.public_ratings, store_id, sort, limit, (page - 1) * limit)
    total = int(rows[0]["total"]) if rows else 0
    items = [schemas.PublicRating(id=r["id"], stars=r["stars"], dimensions=dict(r["dimensions"]),
                                  text=r["text"], helpful_count=r["helpful_count"],
                                  created_at=r["created_at"], updated_at=r["updated_at"],
                                  reply=_reply(r)) for r in rows]
    if not rows and page > 1:
        total = (await store_summary(conn, registry, store)).count
    return schemas.RatingPage(store_id=store_id, summary=await store_summary(conn, registry, store),
                              items=items, page=page, limit=limit, total=total)


# --- helpful votes, replies, reports -----------------------------------------------------------


async def _published(conn: asyncpg.Connection, rating_id: str) -> asyncpg.Record:
    row: asyncpg.Record | None = await conn.fetchrow(q.published_rating, rating_id)
    if row is None or row["status"] != "published":
        raise NotFound(f"no published rating {rating_id}")
    return row


async def helpful(conn: asyncpg.Connection, principal: Principal, rating_id: str, *,
                  endpoint: str) -> schemas.Helpful:
    async with conn.transaction():
        row = await _published(conn, rating_id)
        if row["consumer_id"] == principal.sub:
            raise Forbidden("you cannot vote for your own rating", slug="own-rating")
        count = await conn.fetchval(q.add_helpful, rating_id, principal.sub)
        if count is None:
            raise Conflict("you already found this rating helpful", slug="already-voted")
        await audit.append(conn, principal, action="rating.helpful", subject_id=row["subject_id"],
                           endpoint=endpoint, detail={"rating_id": rating_id})
    return schemas.Helpful(rating_id=rating_id, helpful_count=count)


async def _merchant_rating(conn: asyncpg.Connection, principal: Principal,
                           rating_id: str) -> asyncpg.Record:
    """A published rating of one of the merchant's stores; 404 for anything else."""
    row = await _published(conn, rating_id)
    if not await conn.fetchval(q.merchant_owns, principal.sub, row["enterprise_id"]):
        raise NotFound(f"no published rating {rating_id} of your stores")
    return row


async def reply(conn: asyncpg.Connection, principal: Principal, rating_id: str, text: str, *,
                endpoint: str) -> schemas.ReplyWritten:
    """The merchant's one reply to a rating (商家回复); a second call edits it."""
    async with conn.transaction():
        row = await _merchant_rating(conn, principal, rating_id)
        saved = await conn.fetchrow(q.upsert_reply, rating_id, principal.sub, mask(text.strip()))
        await audit.append(conn, principal, action="rating.reply", subject_id=row["subject_id"],
                           endpoint=endpoint, detail={"rating_id": rating_id})
    return schemas.ReplyWritten(rating_id=rating_id, reply=schemas.Reply(
        text=saved["text"], created_at=saved["created_at"], updated_at=saved["updated_at"]))


async def report(conn: asyncpg.Connection, principal: Principal, rating_id: str, reason: str, *,
                 endpoint: str) -> schemas.Report:
    """A merchant reports a rating as abusive (恶意评价): it joins the moderation queue."""
    async with conn.transaction():
        row = await _merchant_rating(conn, principal, rating_id)
        saved = await conn.fetchrow(q.insert_report, rating_id, principal.sub,
                                    mask(reason.strip()))
        if saved is None:
            raise Conflict("you already reported this rating", slug="already-reported")
        await conn.execute(q.mark_reported, rating_id)
        await audit.append(conn, principal, action="rating.report", subject_id=row["subject_id"],
                           endpoint=endpoint, detail={"rating_id": rating_id})
    return schemas.Report(id=saved["id"], rating_id=rating_id, created_at=saved["created_at"])


# --- moderation 审核 ---------------------------------------------------------------------------


def _scope(principal: Principal) -> tuple[str, str]:
    return principal.department or "", region_prefix(principal.region) if principal.region \
        else ""


async def queue(conn: asyncpg.Connection, principal: Principal, limit: int) -> schemas.Queue:
    """Held and reported ratings the department is responsible for, oldest first."""
    department, prefix = _scope(principal)
    rows = await conn.fetch(q.queue, department, prefix, limit)
    return schemas.Queue(items=[schemas.QueueItem(
        id=r["id"], store_id=r["subject_id"], store_name=r["store_name"],
        consumer_id=r["consumer_id"], stars=r["stars"], dimensions=dict(r["dimensions"]),
        text=r["text"], status=r["status"], hold_reasons=list(r["hold_reasons"]),
        reports=list(r["reports"]), created_at=r["created_at"]) for r in rows])


async def decide(conn: asyncpg.Connection, grader: Grader, principal: Principal, rating_id: str,
                 data: schemas.ModerationDecision, clock: Clock, *,
                 endpoint: str) -> schemas.DecisionResult:
    """Approve or remove a held or reported rating; the decision is kept (rating_decisions).

    The decision is stamped with the app's clock: a malicious finding becomes a dated record in
    the rater's personal credit file (``persons.service``).
    """
    today = clock.today()
    if data.malicious and data.decision != "remove":
        raise Unprocessable("only a removed rating can be found malicious", slug="invalid-decision")
    async with conn.transaction():
        row = await conn.fetchrow(q.moderation_target, rating_id)
        if row is None:
            raise NotFound(f"no rating {rating_id}")
        if row["department"] != principal.department:
            raise Forbidden(f"rating {rating_id} is moderated by department {row['department']}",
                            slug="not-responsible")
        ensure_region(principal, row["region_code"])
        if row["status"] != "held" and not row["reported"]:
            raise Conflict(f"rating {rating_id} awaits no moderation (status {row['status']})",
                           slug="not-pending")
        status: schemas.RatingStatus = "published" if data.decision == "approve" else "removed"
        await conn.execute(q.set_status, rating_id, status)
        await conn.execute(q.resolve_reports, rating_id)
        decided_at = await conn.fetchval(
            q.insert_decision, rating_id, row["consumer_id"], row["subject_id"],
            row["department"], principal.sub, data.decision, data.malicious, data.reason,
            clock.now())
        if (row["status"] == "published") != (status == "published"):
            await grader.regrade(conn, [row["subject_id"]], today)
        await audit.append(conn, principal, action=f"rating.{data.decision}",
                           subject_id=row["subject_id"], endpoint=endpoint,
                           detail={"rating_id": rating_id, "malicious": data.malicious})
    return schemas.DecisionResult(rating_id=rating_id, status=status, decision=data.decision,
                                  malicious=data.malicious, decided_at=decided_at)


# --- the consumer's own ratings ----------------------------------------------------------------


async def mine(conn: asyncpg.Connection, consumer_id: str) -> list[schemas.MyRating]:
    return [my_rating(r, _reply(r)) for r in await conn.fetch(q.my_ratings, consumer_id)]


async def delete_mine(conn: asyncpg.Connection, grader: Grader, principal: Principal,
                      rating_id: str, today: date, *, endpoint: str) -> None:
    """Delete one's own rating for good (replies and votes go with it; a moderation decision
    about it stays)."""
    async with conn.transaction():
        row = await conn.fetchrow(q.delete_my_rating, rating_id, principal.sub)
        if row is None:
            raise NotFound(f"no rating {rating_id} of yours")
        if row["status"] == "published":
            await grader.regrade(conn, [row["subject_id"]], today)
        await audit.append(conn, principal, action="rating.delete", subject_id=row["subject_id"],
                           endpoint=endpoint, detail={"rating_id": rating_id})

