"""Complaints 投诉: a consumer with a visit proof complains; the department of the store's
scenario (else the store's creating department) upholds it — a ``complaint`` credit record
lands in the store's file and the store is regraded — or rejects it with a reason.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from xinyi_api import audit
from xinyi_api.auth.guards import ensure_region, region_prefix
from xinyi_api.auth.tokens import Principal
from xinyi_api.clock import Clock
from xinyi_api.consumers import ratelimit
from xinyi_api.consumers.context import current_address
from xinyi_api.consumers.masking import mask
from xinyi_api.errors import Conflict, Forbidden, NotFound, Unprocessable
from xinyi_api.grading.service import Grader
from xinyi_api.inputs import PlausibleDate
from xinyi_api.ratings import schemas
from xinyi_api.ratings.service import (
    ensure_visit,
    q,
    rateable_store,
    responsible_department,
    scenario_for,
)
from xinyi_api.records import service as records
from xinyi_api.records.schemas import RecordCreate
from xinyi_api.scenarios.registry import ScenarioRegistry
from xinyi_api.settings import Settings


def to_complaint(row: Any) -> schemas.Complaint:
    return schemas.Complaint(
        id=row["id"], store_id=row["subject_id"], department=row["department"],
        category=row["category"], category_label=schemas.COMPLAINT_CATEGORY_LABELS[
            row["category"]], text=row["text"], status=row["status"], outcome=row["outcome"],
        record_id=row["record_id"], created_at=row["created_at"], decided_at=row["decided_at"])


async def file(conn: asyncpg.Connection, registry: ScenarioRegistry, settings: Settings,
               principal: Principal, store_id: str, data: schemas.ComplaintCreate, *,
               endpoint: str) -> schemas.Complaint:
    """File a complaint about a store the consumer visited."""
    await ratelimit.hit(conn, settings, {"complaint": principal.sub,
                                         "complaint_address": current_address()})
    async with conn.transaction():
        store = await rateable_store(conn, store_id)
        await ensure_visit(conn, settings, principal.sub, store_id)
        department = responsible_department(
            scenario_for(registry, store["type"], store["industry"]), store["created_by"])
        if not department:
            raise Unprocessable(f"no department handles complaints about {store_id}",
                                slug="no-department")
        row = await conn.fetchrow(q.insert_complaint, principal.sub, store_id, department,
                                  data.category, mask(data.text.strip()))
        await audit.append(conn, principal, action="complaint.file", subject_id=store_id,
                           endpoint=endpoint, detail={"complaint_id": row["id"]})
    return to_complaint(row)


def _scope(principal: Principal) -> str:
    return region_prefix(principal.region) if principal.region else ""


async def department_queue(conn: asyncpg.Connection, principal: Principal, status: str | None,
                           limit: int) -> schemas.ComplaintList:
    rows = await conn.fetch(q.department_complaints, principal.department or "",
                            _scope(principal), status, limit)
    return schemas.ComplaintList(items=[to_complaint(r) for r in rows])


async def read(conn: asyncpg.Connection, principal: Principal,
               complaint_id: str) -> schemas.Complaint:
    """The complainant and the handling department (in its region) may read a complaint."""
    row = await conn.fetchrow(q.complaint, complaint_id)
    if row is None:
        raise NotFound(f"no complaint {complaint_id}")
    if principal.role == "consumer":
        if row["consumer_id"] != principal.sub:
            raise NotFound(f"no complaint {complaint_id} of yours")
    elif principal.role == "department":
        if row["department"] != principal.department:
            raise Forbidden(f"complaint {complaint_id} is handled by {row['department']}",
                            slug="not-responsible")
        ensure_region(principal, row["region_code"])
    return to_complaint(row)


async def decide(conn: asyncpg.Connection, grader: Grader, principal: Principal,
                 complaint_id: str, data: schemas.ComplaintDecision, clock: Clock, *,
                 endpoint: str) -> schemas.Complaint:
    """Uphold (adds a complaint record via ``records.service.add_record``) or reject.

    The record is dated the day the complaint was filed, in the programme's time zone.
    """
    today = clock.today()
    if data.decision == "uphold" and (data.severity is None or not data.legal_basis.strip()):
        raise Unprocessable("upholding a complaint needs its severity and legal_basis (the "
                            "provision breached)", slug="missing-legal-basis")
    async with conn.transaction():
        row = await conn.fetchrow(q.complaint_for_update, complaint_id)
        if row is None:
            raise NotFound(f"no complaint {complaint_id}")
        if row["department"] != principal.department:
            raise Forbidden(f"complaint {complaint_id} is handled by {row['department']}",
                            slug="not-responsible")
        ensure_region(principal, row["region_code"])
        if row["status"] != "open":
            raise Conflict(f"complaint {complaint_id} was already decided ({row['status']})",
                           slug="complaint-decided")
        record_id = None
        if data.decision == "uphold":
            label = schemas.COMPLAINT_CATEGORY_LABELS[row["category"]]
            occurred = min(clock.date_of(row["created_at"]), today)
            # The record carries the department's finding, never the consumer's own words.
            record = await records.add_record(
                conn, grader, principal, row["subject_id"],
                RecordCreate(kind="complaint", severity=data.severity,
                             title=f"消费者投诉经核实:{label}", content=data.reason,
                             legal_basis=data.legal_basis,
                             occurred_on=PlausibleDate.of(occurred)),
                today, endpoint=endpoint)
            record_id = record["id"]
        status = "upheld" if data.decision == "uphold" else "rejected"
        updated = await conn.fetchrow(q.decide_complaint, complaint_id, status, data.reason,
                                      record_id, principal.sub)
        await audit.append(conn, principal, action=f"complaint.{data.decision}",
                           subject_id=row["subject_id"], endpoint=endpoint,
                           detail={"complaint_id": complaint_id})
    return to_complaint(updated)


async def mine(conn: asyncpg.Connection, consumer_id: str) -> list[schemas.Complaint]:
    return [to_complaint(r) for r in await conn.fetch(q.my_complaints, consumer_id)]


async def delete_mine(conn: asyncpg.Connection, principal: Principal, complaint_id: str, *,
                      endpoint: str) -> None:
    """Delete one's complaint (an upheld one's credit record stays: it is the department's)."""
    async with conn.transaction():
        row = await conn.fetchrow(q.delete_my_complaint, complaint_id, principal.sub)
        if row is None:
            raise NotFound(f"no complaint {complaint_id} of yours")
        await audit.append(conn, principal, action="complaint.delete", endpoint=endpoint,
                           detail={"complaint_id": complaint_id})
