"""Public views: the 失信曝光台 disclosure board and 信用商圈/信用街区 districts.

The board lists severe (严重) adverse records inside their display period that were neither
repaired nor withdrawn; a record leaves it the day it is repaired, withdrawn or expires. A record
under objection stays on with the status 异议处理中, as on every public view.
Districts are grouped by a department of their region; their public view shows the grade
distribution of the open stores in them and every store with its current public grade.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import asyncpg

from xinyi_api import audit
from xinyi_api.accountability import schemas as s
from xinyi_api.accountability.service import q
from xinyi_api.auth.guards import ensure_region, region_prefix
from xinyi_api.auth.tokens import Principal
from xinyi_api.db.queries import like_pattern
from xinyi_api.errors import Forbidden, NotFound, Unprocessable
from xinyi_api.grading import kinds
from xinyi_api.grading.engine import GRADE_LABELS

GRADE_KEYS = ("A", "B", "C", "D", "unrated")


async def disclosures(
    conn: asyncpg.Connection, today: date, *, q_text: str | None, region: str | None,
    page: int, page_size: int,
) -> s.DisclosurePage:
    """失信曝光台, newest decision first."""
    rows = await conn.fetch(
        q.disclosures, today, like_pattern(q_text) if q_text else None,
        region_prefix(region) + "%" if region else None, (page - 1) * page_size, page_size,
        q_text,
    )
    items = [
        s.DisclosureItem(
            record_id=r["record_id"], subject_id=r["subject_id"], subject_type=r["subject_type"],
            subject_name=r["subject_name"], enterprise_id=r["enterprise_id"],
            enterprise_name=r["enterprise_name"], uscc=r["uscc"], region_code=r["region_code"],
            kind=r["kind"], kind_label=kinds.KIND_LABELS[r["kind"]], title=r["title"],
            reason=r["content"] or r["title"], legal_basis=r["legal_basis"],
            source_department=r["source_department"], occurred_on=r["occurred_on"],
            public_until=r["public_until"], status=r["status"],
            status_label=kinds.STATUS_LABELS[r["status"]],
        )
        for r in rows
    ]
    total = rows[0]["total"] if rows else 0
    if not rows and page > 1:
        # The window count is only known when the page has rows; ask again for the total.
        first = await conn.fetch(q.disclosures, today, like_pattern(q_text) if q_text else None,
                                 region_prefix(region) + "%" if region else None, 0, 1, q_text)
        total = first[0]["total"] if first else 0
    return s.DisclosurePage(items=items, total=total, page=page, page_size=page_size)


# ------------------------------------------------------------------ districts


def _summary(row: asyncpg.Record, distribution: dict[str, int]) -> s.DistrictSummary:
    return s.DistrictSummary(
        id=row["id"], name=row["name"], kind=row["kind"],
        kind_label=s.DISTRICT_KIND_LABELS[row["kind"]], region_code=row["region_code"],
        description=row["description"], created_by=row["created_by"],
        store_count=row["store_count"],
        grade_distribution={g: distribution.get(g, 0) for g in GRADE_KEYS},
    )


async def _distributions(conn: asyncpg.Connection,
                         ids: list[str]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for r in await conn.fetch(q.grade_distribution, ids):
        out[r["district_id"]][r["grade"]] = r["n"]
    return out


async def list_departments(conn: asyncpg.Connection, *,
                           region: str | None) -> list[s.Department]:
    """Every department (in ``region`` and the cities above it, when given), by code."""
    rows = await conn.fetch(q.list_departments, region)
    return [s.Department(code=r["code"], name=r["name"], region_code=r["region_code"],
                         phone=r["phone"]) for r in rows]


async def list_districts(conn: asyncpg.Connection, *, region: str | None, page: int,
                         page_size: int) -> list[s.DistrictSummary]:
    rows = await conn.fetch(q.list_districts, region_prefix(region) + "%" if region else None,
                            (page - 1) * page_size, page_size)
    dist = await _distributions(conn, [r["id"] for r in rows])
    return [_summary(r, dist.get(r["id"], {})) for r in rows]


async def get_district(conn: asyncpg.Connection, district_id: str) -> s.District:
    row = await conn.fetchrow(q.get_district, district_id)
    if row is None:
        raise NotFound(f"no district {district_id}")
    summary = _summary(row, (await _distributions(conn, [district_id])).get(district_id, {}))
    stores = [
        s.DistrictStore(id=r["id"], name=r["name"], enterprise_name=r["enterprise_name"],
                        address=r["address"], closed=r["closed"], grade=r["grade"],
                        grade_label=GRADE_LABELS[r["grade"]], score=r["score"])
        for r in await conn.fetch(q.district_stores, district_id)
    ]
    return s.District(**{f: getattr(summary, f) for f in summary.__struct_fields__},
                      stores=stores)


async def create_district(conn: asyncpg.Connection, principal: Principal,
                          data: s.DistrictCreate, *, endpoint: str) -> str:
    ensure_region(principal, data.region_code)
    async with conn.transaction():
        district_id: str = await conn.fetchval(q.insert_district, data.name, data.kind,
                                               data.region_code, data.description,
                                               principal.department)
        await audit.append(conn, principal, action="district.create", endpoint=endpoint,
                           detail={"district_id": district_id})
    return district_id


async def _own_district(conn: asyncpg.Connection, principal: Principal,
                        district_id: str) -> asyncpg.Record:
    row = await conn.fetchrow(q.district_for_update, district_id)
    if row is None:
        raise NotFound(f"no district {district_id}")
    if row["created_by"] != principal.department:
        raise Forbidden("only the department that set up a district may change it",
                        slug="not-district-owner")
    ensure_region(principal, row["region_code"])
    return row


async def add_stores(conn: asyncpg.Connection, principal: Principal, district_id: str,
                     data: s.DistrictStoresAdd, *, endpoint: str) -> None:
    wanted = sorted(set(data.store_ids))
    async with conn.transaction():
        district = await _own_district(conn, principal, district_id)
        found = {r["id"]: r for r in await conn.fetch(q.stores_for_district, wanted)}
        missing = [sid for sid in wanted if sid not in found or found[sid]["type"] != "store"]
        if missing:
            raise Unprocessable(f"no such stores: {', '.join(missing)}", slug="unknown-store",
                                store_ids=missing)
        outside = [sid for sid in wanted if not found[sid]["region_code"].startswith(
            region_prefix(district["region_code"]))]
        if outside:
            raise Unprocessable(f"stores outside the district's region "
                                f"{district['region_code']}: {', '.join(outside)}",
                                slug="store-outside-district", store_ids=outside)
        for sid in wanted:
            ensure_region(principal, found[sid]["region_code"])
        await conn.execute(q.add_district_stores, district_id, wanted)
        await audit.append(conn, principal, action="district.add_stores", endpoint=endpoint,
                           detail={"district_id": district_id, "store_ids": wanted})


async def remove_store(conn: asyncpg.Connection, principal: Principal, district_id: str,
                       store_id: str, *, endpoint: str) -> None:
    async with conn.transaction():
        await _own_district(conn, principal, district_id)
        if await conn.fetchval(q.remove_district_store, district_id, store_id) is None:
            raise NotFound(f"store {store_id} is not in district {district_id}",
                           slug="store-not-in-district")
        await audit.append(conn, principal, action="district.remove_store",
                           subject_id=store_id, endpoint=endpoint,
                           detail={"district_id": district_id})
