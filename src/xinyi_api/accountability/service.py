"""Objections (异议), credit repair (信用修复), commitments (信用承诺) and the full file read.

Every function that changes something runs in one transaction that also regrades the subject
(when its file changed) and appends the 查询使用登记 / 操作留痕 audit entry, so a refused request
leaves nothing behind and an accepted one is always on the record.

Who may act (checked here, after the route's role guard):

* a merchant (经营者) only on subjects of an enterprise it has claimed (``merchant_links``);
* a department only on records it is the source of (objection and repair decisions), on
  commitments addressed to it, and only inside its region (``ensure_region``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, TypeAlias

import asyncpg
import msgspec

from xinyi_api import audit
from xinyi_api.accountability import schemas as s
from xinyi_api.accountability.calendar import (
    OBJECTION_WORKING_DAYS,
    REPAIR_WORKING_DAYS,
    HolidayCalendar,
    calendar_for,
)
from xinyi_api.auth.guards import ensure_region, region_prefix
from xinyi_api.auth.tokens import Principal
from xinyi_api.db.queries import Queries
from xinyi_api.errors import Conflict, Forbidden, NotFound, Unprocessable
from xinyi_api.grading import kinds
from xinyi_api.grading.service import Grader
from xinyi_api.inputs.cursor import Cursors
from xinyi_api.records.repair_rules import earliest_repair_on
from xinyi_api.records.schemas import CreditRecord, RevisionAction
from xinyi_api.records.service import check_record, record_revision, to_record
from xinyi_api.records.service import q as record_queries
from xinyi_api.records.service import revisions as record_revisions

q = Queries.beside(__file__)

Row: TypeAlias = asyncpg.Record | dict[str, Any]

# ------------------------------------------------------------------ scope checks


async def merchant_owns(conn: asyncpg.Connection, merchant_id: str, subject_id: str) -> bool:
    """Whether the merchant claimed the enterprise of ``subject_id`` (itself or a store)."""
    return bool(await conn.fetchval(q.merchant_owns, merchant_id, subject_id))


async def ensure_merchant_of(conn: asyncpg.Connection, principal: Principal,
                             subject_id: str) -> None:
    """A merchant acts only for the enterprises it claimed and their stores."""
    if principal.role == "merchant" and not await merchant_owns(conn, principal.sub,
                                                                subject_id):
        raise Forbidden(f"merchant {principal.sub} has not claimed the enterprise of "
                        f"{subject_id}", slug="not-your-subject")


def ensure_source_department(principal: Principal, record: Row) -> None:
    """Only the department that recorded it decides on a record (objections, repairs)."""
    if principal.role == "operator":
        raise Forbidden("operators do not decide on credit records", slug="not-record-owner")
    if record["source_department"] != principal.department:
        raise Forbidden("only the department that recorded it may decide on this record",
                        slug="not-record-owner")
    ensure_region(principal, record["region_code"])


async def _subject(conn: asyncpg.Connection, subject_id: str) -> asyncpg.Record:
    row = await conn.fetchrow(q.subject_brief, subject_id)
    if row is None:
        raise NotFound(f"no subject {subject_id}")
    return row


async def _record_for_update(conn: asyncpg.Connection, record_id: str) -> asyncpg.Record:
    row = await conn.fetchrow(q.record_with_subject_for_update, record_id)
    if row is None:
        raise NotFound(f"no record {record_id}")
    return row


def _attachments(items: Sequence[s.Attachment]) -> list[dict[str, Any]]:
    return [msgspec.to_builtins(a) for a in items]


# ------------------------------------------------------------------ views


def objection_view(row: Row, record: CreditRecord, today: date,
                   cal: HolidayCalendar) -> s.Objection:
    open_ = row["status"] == "open"
    left = cal.working_days_between(today, row["due_on"]) if open_ else 0
    return s.Objection(
        id=row["id"], record_id=row["record_id"], subject_id=row["subject_id"],
        merchant_id=row["merchant_id"], reason=row["reason"],
        attachments=msgspec.convert(row["attachments"], list[s.Attachment]),
        status=row["status"], status_label=s.OBJECTION_STATUS_LABELS[row["status"]],
        filed_on=row["filed_on"], due_on=row["due_on"], overdue=open_ and row["due_on"] < today,
        working_days_left=left,
        deadline_provisional=open_ and cal.provisional(row["filed_on"], row["due_on"]),
        decided_at=row["decided_at"], decided_by=row["decided_by"],
        decision_reason=row["decision_reason"], record=record,
    )


def repair_view(row: Row, record: CreditRecord, today: date,
                cal: HolidayCalendar) -> s.Repair:
    return s.Repair(
        id=row["id"], record_id=row["record_id"], subject_id=row["subject_id"],
        merchant_id=row["merchant_id"], statement=row["statement"],
        evidence=msgspec.convert(row["evidence"], list[s.Attachment]),
        commitment_id=row["commitment_id"], status=row["status"],
        status_label=s.REPAIR_STATUS_LABELS[row["status"]], applied_on=row["applied_on"],
        due_on=row["due_on"], overdue=row["status"] == "pending" and row["due_on"] < today,
        deadline_provisional=(row["status"] == "pending"
                              and cal.provisional(row["applied_on"], row["due_on"])),
        decided_at=row["decided_at"], decided_by=row["decided_by"],
        decision_reason=row["decision_reason"], record=record,
    )


def commitment_view(row: Row) -> s.Commitment:
    return s.Commitment(
        id=row["id"], subject_id=row["subject_id"], type=row["type"],
        type_label=s.COMMITMENT_TYPE_LABELS[row["type"]], department=row["department"],
        title=row["title"], content=row["content"], signed_on=row["signed_on"],
        valid_until=row["valid_until"], status=row["status"],
        status_label=s.COMMITMENT_STATUS_LABELS[row["status"]], assessed_at=row["assessed_at"],
        assessment_reason=row["assessment_reason"], record_id=row["record_id"],
    )


async def _records(conn: asyncpg.Connection, ids: Sequence[str]) -> dict[str, CreditRecord]:
    rows = await conn.fetch(q.records_by_ids, list(set(ids)))
    return {r["id"]: to_record(r) for r in rows}


async def objection_views(conn: asyncpg.Connection, rows: Sequence[Row],
                          today: date) -> list[s.Objection]:
    records = await _records(conn, [r["record_id"] for r in rows])
    cal = await calendar_for(conn)
    return [objection_view(r, records[r["record_id"]], today, cal) for r in rows]


async def repair_views(conn: asyncpg.Connection, rows: Sequence[Row],
                       today: date) -> list[s.Repair]:
    records = await _records(conn, [r["record_id"] for r in rows])
    cal = await calendar_for(conn)
    return [repair_view(r, records[r["record_id"]], today, cal) for r in rows]


# ------------------------------------------------------------------ objections 异议


async def file_objection(
    conn: asyncpg.Connection, grader: Grader, principal: Principal, record_id: str,
    data: s.ObjectionCreate, today: date, *, endpoint: str,
) -> str:
    """A merchant disputes a record; the record shows 异议处理中 until the decision."""
    async with conn.transaction():
        record = await _record_for_update(conn, record_id)
        await ensure_merchant_of(conn, principal, record["subject_id"])
        if record["status"] == "objected":
            raise Conflict(f"record {record_id} already has an open objection",
                           slug="objection-open")
        if record["status"] in ("repaired", "withdrawn"):
            raise Conflict(f"record {record_id} is {record['status']}; nothing to dispute",
                           slug="record-final")
        due_on = (await calendar_for(conn)).add_working_days(today, OBJECTION_WORKING_DAYS)
        objection_id: str = await conn.fetchval(
            q.insert_objection, record_id, record["subject_id"], principal.sub, data.reason,
            _attachments(data.attachments), today, due_on,
        )
        objected = await conn.fetchrow(q.set_record_status, record_id, "objected",
                                       record["status_reason"])
        await record_revision(conn, record, objected, action="objection.file",
                              reason=data.reason, principal=principal, ref=objection_id)
        await grader.regrade(conn, [record["subject_id"]], today)
        await audit.append(conn, principal, action="objection.file",
                           subject_id=record["subject_id"], endpoint=endpoint,
                           detail={"record_id": record_id, "objection_id": objection_id})
    return objection_id


def _corrected(record: Row, correction: s.RecordCorrection | None) -> dict[str, Any]:
    changes = ({} if correction is None else
               {k: v for k, v in msgspec.structs.asdict(correction).items()
                if v is not msgspec.UNSET})
    if not changes:
        raise Unprocessable("a 'correct' decision needs a correction naming the changed fields",
                            slug="missing-correction")
    merged = {k: changes.get(k, record[k]) for k in
              ("title", "content", "legal_basis", "severity", "result")}
    check_record(record["kind"], merged["severity"], merged["result"], merged["legal_basis"])
    return merged


_OBJECTION_REVISIONS: dict[str, RevisionAction] = {
    "correct": "objection.correct", "withdraw": "objection.withdraw",
    "uphold": "objection.uphold"}


async def decide_objection(
    conn: asyncpg.Connection, grader: Grader, principal: Principal, objection_id: str,
    data: s.ObjectionDecision, today: date, *, endpoint: str,
) -> None:
    """The source department corrects, withdraws (撤销) or upholds (维持) the disputed record."""
    async with conn.transaction():
        objection = await conn.fetchrow(q.objection_for_update, objection_id)
        if objection is None:
            raise NotFound(f"no objection {objection_id}")
        record = await _record_for_update(conn, objection["record_id"])
        ensure_source_department(principal, record)
        if objection["status"] != "open":
            raise Conflict(f"objection {objection_id} was already decided ({objection['status']})",
                           slug="objection-decided")
        if data.decision != "correct" and data.correction is not None:
            raise Unprocessable("correction goes only with decision 'correct'",
                                slug="invalid-decision")
        if data.decision == "correct":
            merged = _corrected(record, data.correction)
            until = kinds.public_until(record["occurred_on"], record["kind"], merged["severity"],
                                       merged["result"])
            after = await conn.fetchrow(
                q.correct_record, record["id"], merged["title"], merged["content"],
                merged["legal_basis"], merged["severity"], merged["result"], until,
                f"异议更正 corrected after objection: {data.reason}",
            )
            status = "corrected"
        elif data.decision == "withdraw":
            after = await conn.fetchrow(q.set_record_status, record["id"], "withdrawn",
                                        f"异议成立,撤销 withdrawn after objection: {data.reason}")
            status = "withdrawn"
        else:
            after = await conn.fetchrow(q.set_record_status, record["id"], "active",
                                        record["status_reason"])
            status = "upheld"
        await record_revision(conn, record, after, action=_OBJECTION_REVISIONS[data.decision],
                              reason=data.reason, principal=principal, ref=objection_id)
        await conn.execute(q.decide_objection, objection_id, status, principal.department,
                           data.reason)
        await grader.regrade(conn, [record["subject_id"]], today)
        await audit.append(conn, principal, action="objection.decide",
                           subject_id=record["subject_id"], endpoint=endpoint,
                           detail={"objection_id": objection_id, "record_id": record["id"],
                                   "decision": data.decision})


async def get_objection(conn: asyncpg.Connection, principal: Principal, objection_id: str,
                        today: date, *, endpoint: str) -> s.Objection:
    row = await conn.fetchrow(q.get_objection, objection_id)
    if row is None:
        raise NotFound(f"no objection {objection_id}")
    await _ensure_party(conn, principal, row)
    await audit.append(conn, principal, action="objection.read", subject_id=row["subject_id"],
                       endpoint=endpoint, detail={"objection_id": objection_id})
    return (await objection_views(conn, [row], today))[0]


async def _ensure_party(conn: asyncpg.Connection, principal: Principal, row: Row) -> None:
    """The filing merchant's enterprise, the source department, or an operator."""
    if principal.role == "merchant":
        await ensure_merchant_of(conn, principal, row["subject_id"])
    elif principal.role == "department":
        if row["source_department"] != principal.department:
            raise Forbidden("only the source department of the record may see this",
                            slug="not-record-owner")
        subject = await _subject(conn, row["subject_id"])
        ensure_region(principal, subject["region_code"])


def _queue_scope(principal: Principal) -> tuple[str | None, str | None]:
    if principal.role == "department":
        return principal.department, None
    if principal.role == "merchant":
        return None, principal.sub
    return None, None


def _queue_page_scope(kind: str, principal: Principal, open_only: bool) -> str:
    department, merchant = _queue_scope(principal)
    return f"{kind}|{principal.role}|{department or ''}|{merchant or ''}|{int(open_only)}"


async def _queue_rows(conn: asyncpg.Connection, cursors: Cursors, query: str, kind: str,
                      principal: Principal, today: date, *, open_only: bool,
                      cursor: str | None, limit: int) -> tuple[list[asyncpg.Record], str | None]:
    # The cursor holds the day the order was computed for (overdue is relative to it, so every
    # page of one walk uses the first page's day), then (k_overdue, k_open, due_on, id) of the
    # last item shown.
    department, merchant = _queue_scope(principal)
    scope = _queue_page_scope(kind, principal, open_only)
    after = cursors.decode_cursor(scope, cursor, tuple[date, int, int, date, str])
    day = after[0] if after else today
    rows = await conn.fetch(query, department, merchant, day, open_only, limit + 1,
                            *(after[1:] if after else (None, None, None, None)))
    return cursors.page(scope, rows, limit, lambda r: (day, r["k_overdue"], r["k_open"],
                                                       r["due_on"], r["id"]))


async def objection_queue(conn: asyncpg.Connection, cursors: Cursors, principal: Principal,
                          today: date, *, open_only: bool, cursor: str | None, limit: int,
                          endpoint: str) -> tuple[list[s.Objection], str | None]:
    """A page of the caller's objections (see ``objection_queue`` in queries.sql for the order)
    and the cursor of the next page."""
    rows, next_cursor = await _queue_rows(conn, cursors, q.objection_queue, "objections",
                                          principal, today, open_only=open_only, cursor=cursor,
                                          limit=limit)
    await audit.append(conn, principal, action="objection.list.read", endpoint=endpoint,
                       detail={"count": len(rows)})
    return await objection_views(conn, rows, today), next_cursor


# ------------------------------------------------------------------ repairs 信用修复


async def apply_repair(
    conn: asyncpg.Connection, principal: Principal, record_id: str, data: s.RepairCreate,
    today: date, *, endpoint: str,
) -> str:
    """信用修复申请 with evidence and a 信用修复型 commitment (一次申请: both in one request)."""
    async with conn.transaction():
        record = await _record_for_update(conn, record_id)
        await ensure_merchant_of(conn, principal, record["subject_id"])
        if not kinds.is_adverse(record["kind"], record["result"]):
            raise Unprocessable("only adverse (失信) records are repaired", slug="not-repairable")
        if record["status"] in ("repaired", "withdrawn"):
            raise Conflict(f"record {record_id} is {record['status']}", slug="record-final")
        if record["status"] == "objected":
            raise Conflict(f"record {record_id} is under objection; wait for the decision",
                           slug="record-under-objection")
        if record["public_until"] < today:
            raise Conflict(f"record {record_id} left public view on {record['public_until']}; "
                           "there is nothing to repair", slug="record-expired")
        earliest = earliest_repair_on(record["occurred_on"], record["severity"])
        if today < earliest:
            raise Unprocessable(
                f"the minimum public period (最短公示期) of this record ends on "
                f"{earliest.isoformat()}; apply from then", slug="repair-too-early",
                earliest_repair_on=earliest.isoformat(),
            )
        if await conn.fetchval(q.has_pending_repair, record_id):
            raise Conflict(f"record {record_id} already has a pending repair",
                           slug="repair-pending")
        commitment = await conn.fetchrow(
            q.insert_commitment, record["subject_id"], "credit_repair",
            record["source_department"], f"信用修复承诺书 ({record_id})", data.commitment,
            principal.sub, today, None,
        )
        due_on = (await calendar_for(conn)).add_working_days(today, REPAIR_WORKING_DAYS)
        repair_id: str = await conn.fetchval(
            q.insert_repair, record_id, record["subject_id"], principal.sub, data.statement,
            _attachments(data.evidence), commitment["id"], today, due_on,
        )
        await audit.append(conn, principal, action="repair.apply",
                           subject_id=record["subject_id"], endpoint=endpoint,
                           detail={"record_id": record_id, "repair_id": repair_id,
                                   "commitment_id": commitment["id"]})
    return repair_id


async def decide_repair(
    conn: asyncpg.Connection, grader: Grader, principal: Principal, repair_id: str,
    data: s.RepairDecision, today: date, *, endpoint: str,
) -> None:
    """Approve (the record leaves public view at once, grade recomputed) or refuse, with reason."""
    async with conn.transaction():
        repair = await conn.fetchrow(q.repair_for_update, repair_id)
        if repair is None:
            raise NotFound(f"no repair application {repair_id}")
        record = await _record_for_update(conn, repair["record_id"])
        ensure_source_department(principal, record)
        if repair["status"] != "pending":
            raise Conflict(f"repair {repair_id} was already decided ({repair['status']})",
                           slug="repair-decided")
        if data.approve:
            if record["status"] != "active":
                raise Conflict(f"record {record['id']} is {record['status']} now",
                               slug="record-changed")
            repaired = await conn.fetchrow(q.set_record_status, record["id"], "repaired",
                                           f"信用修复 repaired: {data.reason}")
            await record_revision(conn, record, repaired, action="repair.approve",
                                  reason=data.reason, principal=principal, ref=repair_id)
        await conn.execute(q.decide_repair, repair_id, "approved" if data.approve else "refused",
                           principal.department, data.reason)
        await grader.regrade(conn, [record["subject_id"]], today)
        await audit.append(conn, principal, action="repair.decide",
                           subject_id=record["subject_id"], endpoint=endpoint,
                           detail={"repair_id": repair_id, "record_id": record["id"],
                                   "approved": data.approve})


async def get_repair(conn: asyncpg.Connection, principal: Principal, repair_id: str,
                     today: date, *, endpoint: str) -> s.Repair:
    row = await conn.fetchrow(q.get_repair, repair_id)
    if row is None:
        raise NotFound(f"no repair application {repair_id}")
    await _ensure_party(conn, principal, row)
    await audit.append(conn, principal, action="repair.read", subject_id=row["subject_id"],
                       endpoint=endpoint, detail={"repair_id": repair_id})
    return (await repair_views(conn, [row], today))[0]


async def repair_queue(conn: asyncpg.Connection, cursors: Cursors, principal: Principal,
                       today: date, *, open_only: bool, cursor: str | None, limit: int,
                       endpoint: str) -> tuple[list[s.Repair], str | None]:
    """A page of the caller's repair applications (the objection queue's order) and the cursor
    of the next page."""
    rows, next_cursor = await _queue_rows(conn, cursors, q.repair_queue, "repairs", principal,
                                          today, open_only=open_only, cursor=cursor,
                                          limit=limit)
    await audit.append(conn, principal, action="repair.list.read", endpoint=endpoint,
                       detail={"count": len(rows)})
    return await repair_views(conn, rows, today), next_cursor


# ------------------------------------------------------------------ commitments 信用承诺


async def sign_commitment(
    conn: asyncpg.Connection, principal: Principal, subject_id: str, data: s.CommitmentCreate,
    today: date, *, endpoint: str,
) -> s.Commitment:
    """A merchant signs a public 信用承诺 for its enterprise or store."""
    if data.valid_until is not None and data.valid_until < today:
        raise Unprocessable("valid_until lies in the past", slug="invalid-commitment")
    async with conn.transaction():
        await _subject(conn, subject_id)
        await ensure_merchant_of(conn, principal, subject_id)
        if not await conn.fetchval(q.department_exists, data.department):
            raise Unprocessable(f"no department {data.department!r}", slug="unknown-department")
        row = await conn.fetchrow(q.insert_commitment, subject_id, data.type, data.department,
                                  data.title, data.content, principal.sub, today,
                                  data.valid_until)
        await audit.append(conn, principal, action="commitment.sign", subject_id=subject_id,
                           endpoint=endpoint, detail={"commitment_id": row["id"]})
    return commitment_view(row)


async def assess_commitment(
    conn: asyncpg.Connection, grader: Grader, principal: Principal, commitment_id: str,
    data: s.CommitmentAssessment, today: date, *, endpoint: str,
) -> tuple[s.Commitment, CreditRecord]:
    """践诺 kept or 违诺 broken: either way a ``commitment`` credit record, and a regrade."""
    occurred_on = data.occurred_on or today
    if occurred_on > today:
        raise Unprocessable("occurred_on lies in the future", slug="invalid-assessment")
    if data.result == "broken":
        if data.severity is None:
            raise Unprocessable("a broken commitment needs a severity", slug="invalid-assessment")
        if not data.legal_basis.strip():
            raise Unprocessable("a broken commitment needs its legal_basis",
                                slug="missing-legal-basis")
    elif data.severity is not None:
        raise Unprocessable("severity goes only with a broken commitment",
                            slug="invalid-assessment")
    async with conn.transaction():
        commitment = await conn.fetchrow(q.commitment_for_update, commitment_id)
        if commitment is None:
            raise NotFound(f"no commitment {commitment_id}")
        if principal.department != commitment["department"]:
            raise Forbidden("only the department the commitment is addressed to may assess it",
                            slug="not-commitment-addressee")
        ensure_region(principal, commitment["region_code"])
        if commitment["status"] != "in_force":
            raise Conflict(f"commitment {commitment_id} was already assessed",
                           slug="commitment-assessed")
        if occurred_on < commitment["signed_on"]:
            raise Unprocessable("occurred_on is before the commitment was signed",
                                slug="invalid-assessment")
        # The record is titled with the commitment's own title: its kind and result say the
        # rest (a grade explanation reads 信用承诺·已履行「诚信经营承诺」, not the title twice).
        title = commitment["title"]
        until = kinds.public_until(occurred_on, "commitment", data.severity, data.result)
        record = await conn.fetchrow(
            record_queries.insert_record, commitment["subject_id"], "commitment", data.severity,
            data.result, title, data.reason, principal.department, data.legal_basis,
            occurred_on, today, until,
        )
        updated = await conn.fetchrow(q.assess_commitment, commitment_id, data.result,
                                      principal.department, data.reason, record["id"])
        await grader.regrade(conn, [commitment["subject_id"]], today)
        await audit.append(conn, principal, action="commitment.assess",
                           subject_id=commitment["subject_id"], endpoint=endpoint,
                           detail={"commitment_id": commitment_id, "record_id": record["id"],
                                   "result": data.result})
    return commitment_view(updated), to_record(record)


async def commitment_queue(
    conn: asyncpg.Connection, cursors: Cursors, principal: Principal, status: str, today: date,
    *, cursor: str | None, limit: int, endpoint: str,
) -> s.CommitmentQueue:
    """Commitments addressed to the caller's department, of subjects in its region: by default
    those still in force (待评估 awaiting assessment), whose validity ends first at the top."""
    department = principal.department or ""
    prefix = region_prefix(principal.region) if principal.region else ""
    scope = f"commitments|{department}|{prefix}|{status}"
    after = cursors.decode_cursor(scope, cursor, tuple[int, date, date, str]) \
        or (None, None, None, None)
    rows = await conn.fetch(q.commitment_queue, department, prefix, status, *after, limit + 1)
    shown, next_cursor = cursors.page(
        scope, rows, limit,
        lambda r: (r["k_open_ended"], r["k_until"], r["signed_on"], r["id"]))
    await audit.append(conn, principal, action="commitment.list.read", endpoint=endpoint,
                       detail={"count": len(shown), "status": status})
    items = [s.CommitmentQueueItem(
        **msgspec.structs.asdict(commitment_view(r)), subject_name=r["subject_name"],
        region_code=r["region_code"],
        ended=r["valid_until"] is not None and r["valid_until"] < today) for r in shown]
    return s.CommitmentQueue(items=items, next_cursor=next_cursor)


async def public_commitments(conn: asyncpg.Connection, subject_id: str,
                             limit: int) -> list[s.Commitment]:
    await _subject(conn, subject_id)
    return [commitment_view(r) for r in await conn.fetch(q.commitments_of_subject, subject_id,
                                                          limit)]


# ------------------------------------------------------------------ full file read


async def read_full_file(
    conn: asyncpg.Connection, principal: Principal, subject_id: str, purpose: str,
    today: date, *, endpoint: str,
) -> s.SubjectFile:
    """The non-public file; the read is registered (查询使用登记) with its purpose first."""
    subject = await _subject(conn, subject_id)
    ensure_region(principal, subject["region_code"])
    entry = await audit.append(conn, principal, action="file.read", subject_id=subject_id,
                               endpoint=endpoint, purpose=purpose)
    records = [to_record(r) for r in await conn.fetch(q.all_records_of, subject_id)]
    by_id = {r.id: r for r in records}
    cal = await calendar_for(conn)
    objections = [objection_view(r, by_id[r["record_id"]], today, cal)
                  for r in await conn.fetch(q.objections_of_subject, subject_id)]
    repairs = [repair_view(r, by_id[r["record_id"]], today, cal)
               for r in await conn.fetch(q.repairs_of_subject, subject_id)]
    commitments = [commitment_view(r)
                   for r in await conn.fetch(q.commitments_of_subject, subject_id, 1000)]
    return s.SubjectFile(subject_id=subject_id, records=records, objections=objections,
                         repairs=repairs, commitments=commitments,
                         revisions=await record_revisions(conn, list(by_id)),
                         audit_entry=entry)


async def record_history(conn: asyncpg.Connection, principal: Principal, record_id: str, *,
                         endpoint: str) -> s.RecordHistory:
    """A record and its history (修改留痕), for its source department (in its region), the
    merchant of its subject and operators; the read is audited. Other departments read it in
    the full file, with a purpose."""
    row = await conn.fetchrow(record_queries.get_record, record_id)
    if row is None:
        raise NotFound(f"no record {record_id}")
    if principal.role == "merchant":
        await ensure_merchant_of(conn, principal, row["subject_id"])
    elif principal.role == "department":
        if row["source_department"] != principal.department:
            raise Forbidden("only the department that recorded it reads a record's history "
                            "here; other departments read the full file with a purpose",
                            slug="not-record-owner")
        ensure_region(principal, (await _subject(conn, row["subject_id"]))["region_code"])
    await audit.append(conn, principal, action="record.history.read",
                       subject_id=row["subject_id"], endpoint=endpoint,
                       detail={"record_id": record_id})
    return s.RecordHistory(record=to_record(row),
                           revisions=await record_revisions(conn, [record_id]))
