"""Registering, changing and reading enterprises and stores.

Writes run in one transaction together with the regrading they cause, so a grade is never out of
step with the file it was computed from, and a refused request leaves nothing behind.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import asyncpg
import msgspec

from xinyi_api import audit
from xinyi_api.auth.guards import ensure_region, region_prefix
from xinyi_api.auth.tokens import Principal
from xinyi_api.codes.signer import CodeSigner, code_url_for
from xinyi_api.db.queries import Queries, like_pattern
from xinyi_api.errors import Conflict, Forbidden, NotFound, Unprocessable
from xinyi_api.grading.engine import GRADE_LABELS
from xinyi_api.grading.service import Grader
from xinyi_api.industries import IndustryRegistry
from xinyi_api.subjects import schemas
from xinyi_api.subjects.uscc import InvalidUSCC, normalize_uscc

q = Queries.beside(__file__)

_UPDATABLE = ("name", "region_code", "industry", "address", "latitude", "longitude")
CLASSIFICATION = ("industry", "region_code")
"""Fields that classify a subject: which scenarios, measures and regional departments apply to
it. Only its owning department (``subjects.created_by``, the one that registered it) or an
operator changes them. The kind (enterprise / 个体工商户 / store) never changes: it follows from
the 统一社会信用代码 and the way the subject was registered."""


def ensure_may_reclassify(principal: Principal, subject: asyncpg.Record | dict[str, Any],
                          fields: list[str]) -> str:
    """403 ``not-subject-owner`` unless ``principal`` owns the subject or is an operator;
    return which of the two (for the audit entry)."""
    if principal.role == "operator":
        return "operator"
    owner = subject["created_by"]
    if owner is None or principal.department != owner:
        raise Forbidden(
            f"only the department that registered {subject['id']} ({owner or 'unknown'}) or an "
            f"operator may change its {' and '.join(fields)}",
            slug="not-subject-owner", owner_department=owner, fields=fields)
    return "owner"


def grade_summary(row: asyncpg.Record | dict[str, Any]) -> schemas.GradeSummary | None:
    if row["grade"] is None:
        return None
    return schemas.GradeSummary(
        grade=row["grade"],
        grade_label=GRADE_LABELS[row["grade"]],
        score=row["score"],
        rule_version=row["rule_version"],
        computed_at=row["graded_at"],
    )


def _check_location(latitude: float | None, longitude: float | None) -> None:
    if (latitude is None) != (longitude is None):
        raise Unprocessable("latitude and longitude go together: give both or neither",
                            slug="invalid-location")


def ensure_known_industry(industries: IndustryRegistry, key: str) -> None:
    """422 ``unknown-industry`` naming the field unless ``key`` is in the industry registry
    (``GET /api/v1/industries``): coverage by scenarios must not depend on spelling."""
    if key not in industries:
        raise Unprocessable(f"unknown industry {key!r}; see GET /api/v1/industries",
                            slug="unknown-industry",
                            errors=[{"message": "not a key of GET /api/v1/industries",
                                     "key": "industry", "source": "body"}])


async def create_enterprise(
    conn: asyncpg.Connection,
    grader: Grader,
    principal: Principal,
    data: schemas.EnterpriseCreate,
    today: date,
    *,
    endpoint: str = "service:subjects.create_enterprise",
) -> str:
    try:
        uscc = normalize_uscc(data.uscc)
    except InvalidUSCC as exc:
        raise Unprocessable(f"统一社会信用代码 {data.uscc!r} is invalid: {exc}",
                            slug="invalid-uscc",
                            errors=[{"message": str(exc), "key": "uscc", "source": "body"}],
                            ) from None
    _check_location(data.latitude, data.longitude)
    ensure_region(principal, data.region_code)
    async with conn.transaction():
        existing = await conn.fetchval(q.find_by_uscc, uscc)
        if existing is not None:
            raise Conflict(f"统一社会信用代码 {uscc} is already registered as {existing}",
                           slug="duplicate-uscc", existing_id=existing)
        try:
            subject_id: str = await conn.fetchval(
                q.insert_enterprise, data.kind, uscc, data.name, data.region_code, data.industry,
                data.address, data.latitude, data.longitude, principal.department,
            )
        except asyncpg.UniqueViolationError:
            # Lost a race with a concurrent registration of the same code.
            raise Conflict(f"统一社会信用代码 {uscc} is already registered",
                           slug="duplicate-uscc") from None
        await grader.regrade(conn, [subject_id], today)
        await audit.append(conn, principal, action="enterprise.create", subject_id=subject_id,
                           endpoint=endpoint)
    return subject_id


async def create_store(
    conn: asyncpg.Connection,
    grader: Grader,
    principal: Principal,
    enterprise_id: str,
    data: schemas.StoreCreate,
    today: date,
    *,
    endpoint: str = "service:subjects.create_store",
) -> str:
    _check_location(data.latitude, data.longitude)
    async with conn.transaction():
        owner = await conn.fetchrow(q.get_subject_for_update, enterprise_id)
        if owner is None or owner["type"] == "store":
            raise NotFound(f"no enterprise {enterprise_id}")
        ensure_region(principal, owner["region_code"])
        ensure_region(principal, data.region_code)
        if owner["closed_at"] is not None:
            raise Conflict(f"enterprise {enterprise_id} is closed; it cannot open stores",
                           slug="subject-closed")
        store_id: str = await conn.fetchval(
            q.insert_store, enterprise_id, data.name, data.region_code, data.industry,
            data.address, data.latitude, data.longitude, principal.department,
        )
        await grader.regrade(conn, [store_id], today)
        await audit.append(conn, principal, action="store.create", subject_id=store_id,
                           endpoint=endpoint, detail={"enterprise_id": enterprise_id})
    return store_id


async def update_subject(
    conn: asyncpg.Connection,
    grader: Grader,
    principal: Principal,
    subject_id: str,
    data: schemas.SubjectUpdate,
    *,
    store: bool,
    now: datetime,
    today: date,
    endpoint: str = "service:subjects.update_subject",
) -> None:
    changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
    if not changes:
        raise Unprocessable("nothing to change: the body names no field", slug="empty-update")
    if principal.role == "operator" and set(changes) - set(CLASSIFICATION):
        raise Forbidden("an operator corrects only the classification (industry, region_code); "
                        "the subject's details and closure are for its departments")
    async with conn.transaction():
        row = await conn.fetchrow(q.get_subject_for_update, subject_id)
        if row is None or (row["type"] == "store") != store:
            raise NotFound(f"no {'store' if store else 'enterprise'} {subject_id}")
        ensure_region(principal, row["region_code"])
        reclassified = {k: [row[k], changes[k]] for k in CLASSIFICATION
                        if k in changes and changes[k] != row[k]}
        acting_as = (ensure_may_reclassify(principal, row, sorted(reclassified))
                     if reclassified else None)
        values = {k: changes.get(k, row[k]) for k in _UPDATABLE}
        if "region_code" in changes:
            ensure_region(principal, values["region_code"])
        _check_location(values["latitude"], values["longitude"])
        closed_at, closed_reason = row["closed_at"], row["closed_reason"]
        if changes.get("closed") is True and closed_at is None:
            closed_at, closed_reason = now, changes.get("closed_reason")
        elif changes.get("closed") is False:
            closed_at, closed_reason = None, None
        elif "closed_reason" in changes:
            if closed_at is None:
                raise Unprocessable("closed_reason needs closed: true", slug="invalid-update")
            closed_reason = changes["closed_reason"]
        await conn.execute(
            q.update_subject, subject_id, *values.values(), closed_at, closed_reason
        )
        affected = [subject_id]
        if not store and changes.get("closed") is True:
            # A business that closes takes its stores with it (they stay on file, flagged).
            closed_stores = await conn.fetch(q.close_stores_of, subject_id, closed_at,
                                             closed_reason or "所属企业已歇业")
            affected += [r["id"] for r in closed_stores]
        await grader.regrade(conn, affected, today)
        kind = "store" if store else "enterprise"
        detail: dict[str, Any] = {"fields": sorted(changes)}
        if reclassified:
            # [before, after] of each classification field, and by what right.
            detail |= {"classification": reclassified, "as": acting_as}
        await audit.append(conn, principal,
                           action=f"{kind}.reclassify" if reclassified else f"{kind}.update",
                           subject_id=subject_id, endpoint=endpoint, detail=detail)


async def get_enterprise(
    conn: asyncpg.Connection, signer: CodeSigner, enterprise_id: str
) -> schemas.Enterprise:
    row = await conn.fetchrow(q.get_enterprise, enterprise_id)
    if row is None:
        raise NotFound(f"no enterprise {enterprise_id}")
    return schemas.Enterprise(
        id=row["id"], uscc=row["uscc"], name=row["name"], kind=row["kind"],
        region_code=row["region_code"], industry=row["industry"], address=row["address"],
        latitude=row["latitude"], longitude=row["longitude"],
        closed=row["closed_at"] is not None, closed_at=row["closed_at"],
        closed_reason=row["closed_reason"], created_at=row["created_at"],
        updated_at=row["updated_at"], store_count=row["store_count"], grade=grade_summary(row),
        code_url=await code_url_for(signer, row),
    )


async def get_store(
    conn: asyncpg.Connection, signer: CodeSigner, store_id: str
) -> schemas.Store:
    row = await conn.fetchrow(q.get_store, store_id)
    if row is None:
        raise NotFound(f"no store {store_id}")
    return schemas.Store(
        id=row["id"], enterprise_id=row["enterprise_id"], enterprise_name=row["enterprise_name"],
        name=row["name"], region_code=row["region_code"], industry=row["industry"],
        address=row["address"], latitude=row["latitude"], longitude=row["longitude"],
        closed=row["closed_at"] is not None, closed_at=row["closed_at"],
        closed_reason=row["closed_reason"], created_at=row["created_at"],
        updated_at=row["updated_at"], grade=grade_summary(row),
        code_url=await code_url_for(signer, row),
    )


def _region_pattern(region: str) -> str:
    return region_prefix(region) + "%"


async def search_stores(
    conn: asyncpg.Connection,
    signer: CodeSigner,
    *,
    q_text: str | None,
    region: str | None,
    industry: str | None,
    kind: str | None,
    grade: str | None,
    cursor: str | None,
    limit: int,
    include_closed: bool,
) -> schemas.StorePage:
    rows = await conn.fetch(
        q.search_stores,
        like_pattern(q_text) if q_text else None,
        _region_pattern(region) if region else None,
        industry,
        kind,
        grade,
        cursor or "",
        limit + 1,
        include_closed,
    )
    items = [
        schemas.StoreSearchItem(
            id=r["id"], name=r["name"], enterprise_id=r["enterprise_id"],
            enterprise_name=r["enterprise_name"], region_code=r["region_code"],
            industry=r["industry"], address=r["address"], closed=r["closed"],
            grade=r["grade"], grade_label=GRADE_LABELS[r["grade"]], score=r["score"],
            code_url=await code_url_for(signer, r),
        )
        for r in rows[:limit]
    ]
    next_cursor = items[-1].id if len(rows) > limit else None
    return schemas.StorePage(items=items, next_cursor=next_cursor)
