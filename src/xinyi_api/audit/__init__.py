"""查询使用登记 / 操作留痕 audit log: append-only, hash-chained, verifiable.

Every write, and every read of non-public credit data, appends one entry *inside the transaction
of the operation it records*, so the entry exists exactly when the operation happened::

    from xinyi_api import audit

    async with conn.transaction():
        ...  # the change
        await audit.append(conn, principal, action="record.add", subject_id=subject_id,
                           endpoint=audit.endpoint_of(request))

**Appending** is one ``INSERT`` (no lock beyond the new row), so it may come anywhere in the
transaction: the entry gets an id from a sequence (gaps allowed — a rolled-back transaction burns
its id) and is *unsealed*. It is listed by the audit read endpoints as soon as its transaction
commits, like any other row. SQL write paths append with the SQL function ``audit_append`` (the
same INSERT) and tell the request about it with ``note_appended``.

**Sealing** (``seal``) puts committed entries into the hash chain. A sealer takes the row lock of
``audit_chain_head`` (only sealers take it, for milliseconds), reads the unsealed entries it can
see — those of committed transactions; a running transaction's rows are invisible and a
rolled-back one's never exist — gives them the next chain positions (``seq``) in id order, links
and hashes them, and advances the head. An entry's ``hash`` is ``sha256(canonical JSON of the
entry including prev_hash)``, ``prev_hash`` is the hash of the entry at the previous position
(``"0" * 64`` for the first) and ``prev_id`` that entry's id. Chain order is *seal* order: an
entry whose transaction commits late is sealed after entries with higher ids.

Who seals: each app process after every request that appended (``sealer.AuditSealer``, a
background task poked by ``sealer.AuditSealMiddleware``; within about 0.2 s of the commit under
benchmark load), a sweep of every process every ``sealer.SWEEP_SECONDS`` (5 s),
``GET /api/v1/audit`` before it reads, ``verify`` before it walks the chain, and
``xinyi-api audit seal``. Any of them may run anywhere
at any time — the head lock serialises them and nothing depends on per-process state.

**Immutability**: a trigger lets an unsealed row receive its seal once and refuses any other
UPDATE, every DELETE and TRUNCATE (and INSERTs that bring their own seal). ``verify``
(``xinyi-api audit verify``) finds a sealed entry changed or removed anyway (by a superuser, or on
disk) and reports the first bad one. An entry is only tamper-evident once sealed: until then
(the window above) a superuser could change or delete it without trace — ``verify`` reports how
many entries are still unsealed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from xinyi_api.auth.tokens import Principal
from xinyi_api.db.queries import Queries

q = Queries.beside(__file__, "audit.sql")

GENESIS_HASH = "0" * 64
_BATCH = 2000
SEAL_BATCH = 500
"""Entries sealed per transaction (hashing is Python work on the event loop: keep it short)."""

_appended: ContextVar[list[int] | None] = ContextVar("xinyi_audit_appended", default=None)
"""Set per request by ``sealer.AuditSealMiddleware``: the ids this request appended, so the
middleware can ask for a seal once the response (and so the transaction) is done."""


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
    """sha256 (hex) of the canonical serialisation of one entry (``id`` is the entry id)."""
    body = {
        "id": id, "at": _timestamp(at), "actor": actor, "role": role, "department": department,
        "subject_id": subject_id, "action": action, "endpoint": endpoint, "purpose": purpose,
        "detail": dict(detail), "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical(body)).hexdigest()


def _row_hash(row: Mapping[str, Any], prev_hash: str) -> str:
    return entry_hash(
        id=row["id"], at=row["at"], actor=row["actor"], role=row["role"],
        department=row["department"], subject_id=row["subject_id"], action=row["action"],
        endpoint=row["endpoint"], purpose=row["purpose"], detail=row["detail"],
        prev_hash=prev_hash,
    )


@contextmanager
def noting_appends() -> Iterator[list[int]]:
    """Collect the ids of the entries appended inside the block (by this task and the tasks it
    starts): ``sealer.AuditSealMiddleware`` wraps each request in it."""
    appended: list[int] = []
    reset = _appended.set(appended)
    try:
        yield appended
    finally:
        _appended.reset(reset)


def note_appended(entry_id: int) -> None:
    """Tell the request's seal middleware (if any) that an entry was written.

    ``append`` calls it; so must code that appends in SQL (``audit_append(…)`` in a statement).
    """
    box = _appended.get()
    if box is not None:
        box.append(entry_id)


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

    Call it inside the transaction of the operation it records: the entry commits or rolls back
    with it. It is one INSERT and takes no lock, so it may come anywhere in the transaction.
    ``action`` is a dotted verb such as ``record.add``, ``objection.decide`` or ``file.read``;
    ``detail`` holds small JSON values (strings, integers, booleans, lists) — no floats, so the
    hash re-computes exactly. ``at`` is the database clock at the append.
    """
    entry_id: int = await conn.fetchval(
        q.append_entry, principal.sub, principal.role, principal.department, subject_id, action,
        endpoint, purpose, dict(detail or {}))
    note_appended(entry_id)
    return entry_id


async def seal(conn: asyncpg.Connection, *, wait: bool = True, batch: int = SEAL_BATCH) -> int:
    """Seal every committed, unsealed entry; return how many this call sealed.

    Runs its own short transactions, so call it outside one. ``wait=False`` returns 0 at once
    when another sealer holds the head (it will seal what this call would have).
    """
    if conn.is_in_transaction():
        raise RuntimeError("audit.seal runs its own transactions; call it outside one")
    total = 0
    while True:
        async with conn.transaction():
            head = await conn.fetchrow(q.lock_chain_head if wait else q.try_lock_chain_head)
            if head is None:
                if wait:
                    raise RuntimeError("audit_chain_head is missing; run the migrations")
                return total
            rows = await conn.fetch(q.unsealed_entries, batch)
            if not rows:
                return total
            seq, prev_id, prev_hash = head["last_seq"], head["last_entry_id"], head["last_hash"]
            ids, seqs, prev_ids, prev_hashes, hashes = [], [], [], [], []
            for row in rows:
                seq += 1
                digest = _row_hash(row, prev_hash)
                ids.append(row["id"])
                seqs.append(seq)
                prev_ids.append(prev_id)
                prev_hashes.append(prev_hash)
                hashes.append(digest)
                prev_id, prev_hash = row["id"], digest
            moved = await conn.fetchval(q.seal_entries, ids, seqs, prev_ids, prev_hashes, hashes,
                                        seq, prev_id, prev_hash, min(r["at"] for r in rows))
            if moved is None:
                raise RuntimeError("audit entries were sealed behind the chain-head lock")
        total += len(rows)
        if len(rows) < batch:
            return total


@dataclass(frozen=True, slots=True)
class Verification:
    """Outcome of walking the chain: ``first_bad_seq`` is ``None`` when every entry holds.

    ``last_seq`` / ``last_id``: chain position and id of the last entry that verified.
    ``first_bad_id`` is the id of the first bad entry — for a deleted one, the id its successor
    (or the head) recorded for it, when known. ``unsealed``: entries committed but not yet in the
    chain when the walk ended (not tamper-evident yet); ``oldest_unsealed_at`` the oldest's time.
    """

    ok: bool
    checked: int
    last_seq: int
    last_id: int
    first_bad_seq: int | None = None
    first_bad_id: int | None = None
    problem: str | None = None
    unsealed: int = 0
    oldest_unsealed_at: datetime | None = None


async def verify(conn: asyncpg.Connection, *, seal_first: bool = True) -> Verification:
    """Seal what is committed, then re-compute every hash and link in chain order; stop at the
    first changed or missing entry."""
    if seal_first:
        await seal(conn)
    expected, prev_hash, prev_id, checked = 1, GENESIS_HASH, None, 0
    last_id = 0

    def bad(seq: int, entry_id: int | None, problem: str) -> Verification:
        return Verification(False, checked, seq - 1, last_id, seq, entry_id, problem)

    cursor = 0
    while True:
        rows = await conn.fetch(q.sealed_after, cursor, _BATCH)
        if not rows:
            break
        for row in rows:
            seq, entry_id = row["seq"], row["id"]
            if seq != expected:
                missing = row["prev_id"] if seq == expected + 1 else None
                what = f"entry {missing}" if missing is not None else "entries"
                return bad(expected, missing,
                           f"chain position {expected} is missing ({what} before entry "
                           f"{entry_id}): deleted")
            if row["prev_hash"] != prev_hash or row["prev_id"] != prev_id:
                return bad(seq, entry_id, f"entry {entry_id} (position {seq}) does not link to "
                                          f"the entry before it")
            if _row_hash(row, prev_hash) != row["hash"]:
                return bad(seq, entry_id, f"entry {entry_id} (position {seq}) was changed: its "
                                          "hash does not match")
            prev_hash, prev_id, last_id = row["hash"], entry_id, entry_id
            expected, checked = seq + 1, checked + 1
        cursor = rows[-1]["seq"]
    last_seq = expected - 1
    head = await conn.fetchrow(q.chain_head)
    if head is not None and (head["last_seq"], head["last_hash"]) != (last_seq, prev_hash):
        if head["last_seq"] > last_seq:
            known = head["last_entry_id"] if head["last_seq"] == last_seq + 1 else None
            return bad(last_seq + 1, known,
                       f"chain positions {last_seq + 1}..{head['last_seq']} are missing: "
                       "deleted from the end of the chain")
        return Verification(False, checked, last_seq, last_id, last_seq, last_id,
                            "the chain head does not match the last entry")
    pending = await conn.fetchrow(q.count_unsealed)
    return Verification(True, checked, last_seq, last_id, unsealed=pending["n"],
                        oldest_unsealed_at=pending["oldest"])
