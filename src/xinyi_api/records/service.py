"""Adding, correcting and withdrawing credit records, and reading a subject's public file."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg
import msgspec

from xinyi_api import audit
from xinyi_api.auth.guards import ensure_region
from xinyi_api.auth.tokens import Principal
from xinyi_api.db.queries import Queries
from xinyi_api.errors import Conflict, Forbidden, NotFound, Unprocessable
from xinyi_api.grading import kinds
from xinyi_api.grading.service import Grader
from xinyi_api.records import schemas
from xinyi_api.subjects.service import q as _subjects

q = Queries.beside(__file__)


def to_record(row: asyncpg.Record | dict[str, Any]) -> schemas.CreditRecord:
    return schemas.CreditRecord(
        id=row["id"], subject_id=row["subject_id"], kind=row["kind"],
        kind_label=kinds.KIND_LABELS[row["kind"]],
        severity=row["severity"],
        severity_label=kinds.SEVERITY_LABELS.get(row["severity"] or ""),
        result=row["result"], result_label=kinds.RESULT_LABELS.get(row["result"] or ""),
        title=row["title"], content=row["content"], source_department=row["source_department"],
        legal_basis=row["legal_basis"], occurred_on=row["occurred_on"],
        published_on=row["published_on"], public_until=row["public_until"],
        status=row["status"], status_label=kinds.STATUS_LABELS[row["status"]],
        status_reason=row["status_reason"], created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def check_record(kind: str, severity: str | None, result: str | None, legal_basis: str) -> None:
    """Refuse (422) a kind / severity / result combination that does not fit, or an adverse
    record without its legal basis. Every path that writes a record's shape calls this."""
    problem = kinds.validate_shape(kind, severity, result)
    if problem:
        raise Unprocessable(problem, slug="invalid-record")
    if kinds.is_adverse(kind, result) and not legal_basis.strip():
        # 于法于规有据: an adverse record must cite the provision it rests on.
        raise Unprocessable("an adverse record needs its legal_basis (the provision applied)",
                            slug="missing-legal-basis")


async def add_record(
    conn: asyncpg.Connection,
    grader: Grader,
    principal: Principal,
    subject_id: str,
    data: schemas.RecordCreate,
    today: date,
    *,
    endpoint: str = "service:records.add_record",
) -> asyncpg.Record:
    check_record(data.kind, data.severity, data.result, data.legal_basis)
    if data.occurred_on > today:
        raise Unprocessable("occurred_on lies in the future", slug="invalid-record")
    published_on = data.published_on or today
    if published_on < data.occurred_on:
        raise Unprocessable("published_on is before occurred_on", slug="invalid-record")
    if published_on > today:
        raise Unprocessable("published_on lies in the future", slug="invalid-record")
    until = kinds.public_until(data.occurred_on, data.kind, data.severity, data.result)
    async with conn.transaction():
        subject = await conn.fetchrow(_subjects.get_subject_for_update, subject_id)
        if subject is None:
            raise NotFound(f"no subject {subject_id}")
        ensure_region(principal, subject["region_code"])
        row = await conn.fetchrow(
            q.insert_record, subject_id, data.kind, data.severity, data.result, data.title,
            data.content, principal.department, data.legal_basis, data.occurred_on,
            published_on, until,
        )
        await grader.regrade(conn, [subject_id], today)
        await audit.append(conn, principal, action="record.add", subject_id=subject_id,
                           endpoint=endpoint, detail={"record_id": row["id"]})
    return row


async def update_record(
    conn: asyncpg.Connection,
    grader: Grader,
    principal: Principal,
    record_id: str,
    data: schemas.RecordUpdate,
    today: date,
    *,
    endpoint: str = "service:records.update_record",
) -> asyncpg.Record:
    changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
    if not changes:
        raise Unprocessable("nothing to change: the body names no field", slug="empty-update")
    async with conn.transaction():
        row = await conn.fetchrow(q.get_record_for_update, record_id)
        if row is None:
            raise NotFound(f"no record {record_id}")
        if row["source_department"] != principal.department:
            raise Forbidden("only the department that recorded it may change a record",
                            slug="not-record-owner")
        ensure_region(principal, row["region_code"])
        if row["status"] in ("withdrawn", "repaired"):
            raise Conflict(f"record {record_id} is {row['status']} and can no longer change",
                           slug="record-final")
        if row["status"] == "objected":
            # 异议处理中: the change goes through the objection decision, which records why.
            raise Conflict(f"record {record_id} is under objection; decide the objection instead",
                           slug="record-under-objection")
        status, reason = row["status"], row["status_reason"]
        if changes.pop("withdrawn", False):
            if "reason" not in changes:
                raise Unprocessable("withdrawing a record needs a reason", slug="missing-reason")
            status = "withdrawn"
        if "reason" in changes:
            if status != "withdrawn":
                raise Unprocessable("reason goes with withdrawn: true", slug="invalid-update")
            reason = changes.pop("reason")
        merged = {k: changes.get(k, row[k]) for k in
                  ("title", "content", "legal_basis", "severity", "result")}
        check_record(row["kind"], merged["severity"], merged["result"], merged["legal_basis"])
        until = kinds.public_until(row["occurred_on"], row["kind"], merged["severity"],
                                   merged["result"])
        updated = await conn.fetchrow(
            q.update_record, record_id, merged["title"], merged["content"],
            merged["legal_basis"], merged["severity"], merged["result"], until, status, reason,
        )
        await grader.regrade(conn, [row["subject_id"]], today)
        await audit.append(conn, principal, action="record.update",
                           subject_id=row["subject_id"], endpoint=endpoint,
                           detail={"record_id": record_id, "status": status})
    return updated


async def public_records(
    conn: asyncpg.Connection, subject_id: str, today: date, limit: int = 200
) -> list[schemas.CreditRecord]:
    return [to_record(r) for r in await conn.fetch(q.public_records, subject_id, today, limit)]
