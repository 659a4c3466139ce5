"""查询使用登记 / 操作留痕 audit log: append-only, hash-chained, verifiable.

Every write, and every read of non-public credit data, appends one entry *inside the transaction
of the operation it records*, so the entry exists exactly when the operation happened::

    from xinyi_api.accountability import audit

    async with conn.transaction():
        ...  # the change
        await audit.append(conn, principal, action="record.add", subject_id=subject_id,
                           endpoint=audit.endpoint_of(request))

Chaining: an entry's ``hash`` is ``sha256(canonical JSON of the entry including prev_hash)``
and ``prev_hash`` is the previous entry's hash (``"0" * 64`` for the first). Appends lock the one
row of ``audit_chain_head`` (``SELECT … FOR UPDATE``) and take the next id from it, so ids are
gap-free and two workers can never fork the chain. The table refuses UPDATE, DELETE and TRUNCATE
by trigger; ``verify`` (``xinyi-api audit verify``) finds an entry changed or removed anyway
(by a superuser, or on disk) and reports the first bad id.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from xinyi_api.auth.tokens import Principal
from xinyi_api.db.queries import Queries

q = Queries.beside(__file__, "audit.sql")

GENESIS_HASH = "0" * 64
_BATCH = 2000


def endpoint_of(request: Any) -> str:
    """``"METHOD /path/{template}"`` of a Litestar request, e.g. ``"GET /api/v1/audit"``."""
    template = request.scope.get("path_template") or request.url.path
    return f"{request.method} {template}"


def canonical(entry: Mapping[str, Any]) -> bytes:
    """The canonical serialisation the hash covers: sorted-key compact UTF-8 JSON."""
    return json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      allow_nan=False).encode("utf-8")


def _timestamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(
    *, id: int, at: datetime, actor: str, role: str, department: str | None,
    subject_id: str | None, action: str, endpoint: str, purpose: str | None,
    detail: Mapping[str, Any], prev_hash: str,
) -> str:
    """sha256 (hex) of the canonical serialisation of one entry."""
    body = {
        "id": id, "at": _timestamp(at), "actor": actor, "role": role, "department": department,
        "subject_id": subject_id, "action": action, "endpoint": endpoint, "purpose": purpose,
        "detail": dict(detail), "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical(body)).hexdigest()


def _row_hash(row: Mapping[str, Any]) -> str:
    return entry_hash(
        id=row["id"], at=row["at"], actor=row["actor"], role=row["role"],
        department=row["department"], subject_id=row["subject_id"], action=row["action"],
        endpoint=row["endpoint"], purpose=row["purpose"], detail=row["detail"],
        prev_hash=row["prev_hash"],
    )


async def append(
    conn: asyncpg.Connection,
    principal: Principal,
    *,
    action: str,
    endpoint: str,
    subject_id: str | None = None,
    purpose: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> int:
    """Append one entry (who, role, department, subject, endpoint, when, purpose); return its id.

    Call it inside the transaction of the operation it records (it opens a savepoint there, or
    its own transaction when there is none). ``action`` is a dotted verb such as
    ``record.add``, ``objection.decide`` or ``file.read``; ``detail`` holds small JSON values
    (strings, integers, booleans, lists) — no floats, so the hash re-computes exactly.
    """
    details = dict(detail or {})
    async with conn.transaction():
        head = await conn.fetchrow(q.lock_chain_head)
        if head is None:
            raise RuntimeError("audit_chain_head is missing; run the migrations")
        entry_id: int = head["last_id"] + 1
        at = datetime.now(UTC)
        digest = entry_hash(
            id=entry_id, at=at, actor=principal.sub, role=principal.role,
            department=principal.department, subject_id=subject_id, action=action,
            endpoint=endpoint, purpose=purpose, detail=details, prev_hash=head["last_hash"],
        )
        await conn.execute(
            q.insert_entry, entry_id, at, principal.sub, principal.role, principal.department,
            subject_id, action, endpoint, purpose, details, head["last_hash"], digest,
        )
        await conn.execute(q.advance_chain_head, entry_id, digest)
    return entry_id


@dataclass(frozen=True, slots=True)
class Verification:
    """Outcome of walking the chain: ``first_bad_id`` is ``None`` when every entry holds."""

    ok: bool
    checked: int
    last_id: int
    first_bad_id: int | None = None
    problem: str | None = None


async def verify(conn: asyncpg.Connection) -> Verification:
    """Re-compute every hash and link in id order; stop at the first changed or missing entry."""
    expected_id, prev_hash, checked = 1, GENESIS_HASH, 0
    cursor = 0
    while True:
        rows = await conn.fetch(q.entries_after, cursor, _BATCH)
        if not rows:
            break
        for row in rows:
            if row["id"] != expected_id:
                return Verification(False, checked, expected_id - 1, expected_id,
                                    f"entry {expected_id} is missing (next present is "
                                    f"{row['id']}): deleted")
            if row["prev_hash"] != prev_hash:
                return Verification(False, checked, row["id"] - 1, row["id"],
                                    f"entry {row['id']} does not link to entry {row['id'] - 1}")
            if _row_hash(row) != row["hash"]:
                return Verification(False, checked, row["id"] - 1, row["id"],
                                    f"entry {row['id']} was changed: its hash does not match")
            prev_hash, expected_id, checked = row["hash"], row["id"] + 1, checked + 1
        cursor = rows[-1]["id"]
    head = await conn.fetchrow(q.chain_head)
    last_id = expected_id - 1
    if head is not None and (head["last_id"], head["last_hash"]) != (last_id, prev_hash):
        if head["last_id"] > last_id:
            return Verification(False, checked, last_id, last_id + 1,
                                f"entries {last_id + 1}..{head['last_id']} are missing: "
                                "deleted from the end of the chain")
        return Verification(False, checked, last_id, last_id,
                            "the chain head does not match the last entry")
    return Verification(True, checked, last_id)
