"""重错码治理: the review list of suspected duplicate and wrong 统一社会信用代码.

Four kinds of suspicion (seed 003 §8, "每月开展数据比对核验"):

- ``bad_check_character`` — a code whose check character does not fit its first 17 characters
  (an import row, or a subject on file);
- ``name_with_several_codes`` — one business name under several codes (一名多码);
- ``code_with_several_names`` — one code named differently by an import row than on file
  (一码多名: a wrong code, or a rename nobody recorded);
- ``individual_code_reused`` — a 个体工商户 code (category 92) that names another business, or a
  subject whose kind does not fit its code's category.

Imports add what they meet (``Findings``); the monthly job ``imports.code_review`` scans the
subjects on file (``scan``). One open item per kind and key (the code or the name); a new
sighting adds its evidence. A department resolves an item (``resolve``): **dismiss** (with a
reason), **correct** (a subject's code or name), or **merge** (one subject marked as merged into
another: its records are re-pointed to the one that stays — each change kept as a revision —,
its stores move too, it is closed with the reason, and imports naming its code land on the one
that stays; nothing is deleted). Every resolution is on the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import asyncpg

from xinyi_api import audit
from xinyi_api.auth.guards import ensure_region
from xinyi_api.auth.tokens import Principal
from xinyi_api.db.queries import Queries
from xinyi_api.errors import Conflict, Forbidden, NotFound, Unprocessable
from xinyi_api.grading.service import Grader
from xinyi_api.subjects.uscc import InvalidUSCC, check_character, normalize_uscc

q = Queries.beside(__file__, "review.sql")

MAX_FINDINGS = 10_000
MAX_EVIDENCE = 50
"""Sightings kept per item (the first ones; the count goes on)."""


@dataclass(slots=True)
class _Item:
    kind: str
    key: str
    codes: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    subjects: set[str] = field(default_factory=set)
    evidence: list[dict[str, Any]] = field(default_factory=list)


class Findings:
    """What one import (or scan) suspects, grouped by kind and key, stored in one statement."""

    def __init__(self, department: str | None, found_by: str) -> None:
        self.department = department
        self.found_by = found_by
        self.items: dict[tuple[str, str], _Item] = {}

    def _add(self, kind: str, key: str, *, codes: list[str], names: list[str],
             subjects: list[str], evidence: dict[str, Any]) -> None:
        item = self.items.get((kind, key))
        if item is None:
            if len(self.items) >= MAX_FINDINGS:
                return
            item = self.items[(kind, key)] = _Item(kind, key)
        item.codes.update(c for c in codes if c)
        item.names.update(n for n in names if n)
        item.subjects.update(s for s in subjects if s)
        if len(item.evidence) < MAX_EVIDENCE:
            item.evidence.append(evidence)

    def bad_check_character(self, code: str, name: str, row: int | None = None,
                            subject: str | None = None) -> None:
        self._add("bad_check_character", code[:200] or "?", codes=[code], names=[name],
                  subjects=[subject] if subject else [],
                  evidence={"found_by": self.found_by, "row": row, "name": name})

    def name_with_several_codes(self, name: str, codes: list[str], subjects: list[str],
                                row: int | None = None) -> None:
        self._add("name_with_several_codes", name[:200], codes=codes, names=[name],
                  subjects=subjects,
                  evidence={"found_by": self.found_by, "row": row, "codes": sorted(codes)})

    def code_with_several_names(self, code: str, names: list[str], subject: str,
                                row: int | None = None) -> None:
        kind = "individual_code_reused" if code.startswith("92") else "code_with_several_names"
        self._add(kind, code, codes=[code], names=names, subjects=[subject],
                  evidence={"found_by": self.found_by, "row": row, "names": names})

    def kind_mismatch(self, code: str, name: str, subject: str, subject_type: str) -> None:
        self._add("individual_code_reused", code, codes=[code], names=[name],
                  subjects=[subject],
                  evidence={"found_by": self.found_by, "subject_type": subject_type})

    async def store(self, conn: asyncpg.Connection) -> int:
        """Add the findings to the review list (open items get the new evidence)."""
        if not self.items:
            return 0
        items = list(self.items.values())
        await conn.executemany(q.upsert_review, [
            (i.kind, i.key, self.department, sorted(i.subjects), sorted(i.codes),
             sorted(i.names), i.evidence, self.found_by, MAX_EVIDENCE) for i in items])
        return len(items)


def has_valid_check_character(code: str) -> bool:
    try:
        return code[17] == check_character(code[:17])
    except (KeyError, IndexError):
        return False


async def scan(conn: asyncpg.Connection, today: date) -> int:
    """The monthly 比对核验 over the subjects on file; the number of items found."""
    findings_by_dept: dict[str | None, Findings] = {}

    def findings(department: str | None) -> Findings:
        if department not in findings_by_dept:
            findings_by_dept[department] = Findings(department, f"scan:{today.isoformat()}")
        return findings_by_dept[department]

    async with conn.transaction():
        async for r in conn.cursor(q.scan_subjects, prefetch=2000):
            code = r["uscc"]
            if not has_valid_check_character(code):
                findings(r["created_by"]).bad_check_character(code, r["name"],
                                                              subject=r["id"])
            if (r["type"] == "individual") != code.startswith("92"):
                findings(r["created_by"]).kind_mismatch(code, r["name"], r["id"], r["type"])
        for r in await conn.fetch(q.scan_names):
            findings(r["created_by"]).name_with_several_codes(r["name"], list(r["codes"]),
                                                              list(r["ids"]))
    total = 0
    async with conn.transaction():
        for found in findings_by_dept.values():
            total += await found.store(conn)
    return total


# --- resolution -------------------------------------------------------------------------------


async def get_item(conn: asyncpg.Connection, review_id: int, principal: Principal,
                   *, for_update: bool = False) -> asyncpg.Record:
    row = await conn.fetchrow(q.get_review_for_update if for_update else q.get_review,
                              review_id)
    if row is None or not may_see(principal, row["department"]):
        raise NotFound(f"no review item {review_id}")
    return row


def may_see(principal: Principal, department: str | None) -> bool:
    return principal.role == "operator" or (department is not None
                                            and principal.department == department)


async def resolve(conn: asyncpg.Connection, grader: Grader, principal: Principal,
                  review_id: int, action: str, *, reason: str, keep: str | None = None,
                  merge: str | None = None, subject_id: str | None = None,
                  uscc: str | None = None, name: str | None = None, today: date,
                  endpoint: str) -> asyncpg.Record:
    """Dismiss, correct or merge; audited as ``code_review.<action>``."""
    async with conn.transaction():
        item = await get_item(conn, review_id, principal, for_update=True)
        if item["status"] != "open":
            raise Conflict(f"review item {review_id} is already {item['status']}",
                           slug="review-resolved")
        detail: dict[str, Any] = {"review_id": review_id, "kind": item["kind"],
                                  "key": item["key"]}
        affected: list[str] = []
        if action == "dismiss":
            status, resolution = "dismissed", {}
        elif action == "correct":
            if subject_id is None or (uscc is None and name is None):
                raise Unprocessable("correct names the subject and its corrected uscc or name",
                                    slug="invalid-resolution")
            resolution = await _correct(conn, principal, subject_id, uscc, name)
            status, affected = "corrected", [subject_id]
        else:
            if keep is None or merge is None or keep == merge:
                raise Unprocessable("merge names two different subjects: keep and merge",
                                    slug="invalid-resolution")
            resolution = await _merge(conn, principal, keep, merge)
            status, affected = "merged", [keep, merge]
        row = await conn.fetchrow(q.resolve_review, review_id, status,
                                  {**resolution, "action": action}, reason, principal.sub)
        if affected:
            await grader.regrade(conn, affected, today)
        await audit.append(conn, principal, action=f"code_review.{action}",
                           subject_id=affected[0] if affected else None, endpoint=endpoint,
                           detail={**detail, **{k: v for k, v in resolution.items()
                                                if isinstance(v, (str, int, list))}})
    return row


async def _subject(conn: asyncpg.Connection, principal: Principal,
                   subject_id: str) -> asyncpg.Record:
    row = await conn.fetchrow(q.subject_for_review, subject_id)
    if row is None:
        raise Unprocessable(f"no enterprise or 个体工商户 {subject_id}", slug="unknown-subject")
    ensure_region(principal, row["region_code"])
    if principal.role != "operator" and row["created_by"] not in (None, principal.department):
        raise Forbidden(f"only the department that registered {subject_id} "
                        f"({row['created_by']}) or an operator may change its code",
                        slug="not-subject-owner", owner_department=row["created_by"],
                        fields=["uscc"])
    return row


async def _correct(conn: asyncpg.Connection, principal: Principal, subject_id: str,
                   uscc: str | None, name: str | None) -> dict[str, Any]:
    row = await _subject(conn, principal, subject_id)
    if row["merged_into"] is not None:
        raise Conflict(f"{subject_id} was merged into {row['merged_into']}",
                       slug="review-resolved")
    new_code = row["uscc"]
    if uscc is not None:
        try:
            new_code = normalize_uscc(uscc)
        except InvalidUSCC as exc:
            raise Unprocessable(f"统一社会信用代码 {uscc!r}: {exc}", slug="invalid-uscc") from None
        existing = await conn.fetchval("SELECT id FROM subjects WHERE uscc = $1", new_code)
        if existing is not None and existing != subject_id:
            raise Conflict(f"统一社会信用代码 {new_code} is already registered as {existing}: "
                           "merge the two instead", slug="duplicate-uscc", existing_id=existing)
    new_name = name if name is not None else row["name"]
    await conn.execute(q.correct_subject, subject_id, new_code, new_name)
    return {"subject_id": subject_id, "uscc": [row["uscc"], new_code],
            "name": [row["name"], new_name]}


async def _merge(conn: asyncpg.Connection, principal: Principal, keep: str,
                 merge: str) -> dict[str, Any]:
    kept = await _subject(conn, principal, keep)
    gone = await _subject(conn, principal, merge)
    if kept["merged_into"] is not None or gone["merged_into"] is not None:
        raise Conflict("one of the subjects was already merged", slug="review-resolved")
    if await conn.fetchval(q.open_disputes, merge):
        raise Conflict(f"{merge} has an open objection or a pending repair: decide it first",
                       slug="review-blocked")
    moved = await conn.fetchval(q.repoint_records, merge, keep)
    stores = await conn.fetchval(q.move_stores, merge, keep)
    await conn.execute(q.mark_merged, merge, keep,
                       f"重错码治理:与 {keep}({kept['uscc']})为同一主体,已合并")
    return {"keep": keep, "merged": merge, "records_moved": moved, "stores_moved": stores}
