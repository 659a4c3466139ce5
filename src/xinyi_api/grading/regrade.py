"""Batch regrading (``xinyi-api regrade``): every subject, or only those whose grade is due.

Subjects are walked in id order in batches. Each batch is one transaction that loads the files
(set-based), grades them, upserts the grades in one statement and moves the run's cursor, so a
run stopped at any point resumes after the last committed batch, under the same rule set.

Given a second connection, two batches are in flight at once: while the database stores one,
Python grades the next (the two are different processes, so a 2-core machine does both at
once). Each batch is still its own transaction holding its own grading locks. Batches commit
independently (a batch waiting for another while holding row locks could wait for a batch that
waits for it); the run's cursor moves, in its own statement, past a batch only once it and
every batch before it have committed — a run stopped in between redoes at most the batch that
committed last, which changes nothing the second time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import asyncpg

from xinyi_api.grading.service import Grader, q

Progress = Callable[[int, int], None]
"""Called after each batch with (processed so far, total)."""


@dataclass(frozen=True, slots=True)
class RegradeReport:
    run_id: int
    processed: int
    total: int
    resumed: bool


async def run_regrade(
    conn: asyncpg.Connection,
    grader: Grader,
    today: date,
    *,
    batch_size: int = 1000,
    due_only: bool = False,
    progress: Progress | None = None,
    second: asyncpg.Connection | None = None,
) -> RegradeReport:
    """Regrade every subject (or those due) in batches; resumes an interrupted run. ``second``:
    another connection, to keep two batches in flight (see the module docstring)."""
    scheme = "due" if due_only else "all"
    run = await conn.fetchrow(q.open_run, scheme, grader.fingerprint)
    if run is None:
        total = await conn.fetchval(q.count_due if due_only else q.count_subjects,
                                    *((today,) if due_only else ()))
        run_id = await conn.fetchval(q.start_run, scheme, grader.fingerprint, total)
        processed, cursor, resumed = 0, "", False
    else:
        run_id, total = run["id"], run["total"]
        processed, cursor, resumed = run["processed"], run["last_subject"] or "", True

    async def next_ids(c: asyncpg.Connection, after: str) -> list[str]:
        if due_only:
            rows = await c.fetch(q.due_subject_ids_after, after, batch_size, today)
        else:
            rows = await c.fetch(q.subject_ids_after, after, batch_size)
        return [r["id"] for r in rows]

    async def batch(c: asyncpg.Connection, ids: list[str]) -> None:
        async with c.transaction():
            await grader.regrade(c, ids, today)

    conns = [conn] if second is None else [conn, second]
    in_flight: list[tuple[asyncio.Task[None], asyncpg.Connection, list[str]]] = []

    async def settle_oldest() -> None:
        """Wait for the oldest batch in flight, then move the cursor past it."""
        nonlocal processed
        task, c, ids = in_flight[0]
        await task
        await c.execute(q.advance_run, run_id, len(ids), ids[-1])
        in_flight.pop(0)
        processed += len(ids)
        if progress is not None:
            progress(processed, max(total, processed))

    try:
        while True:
            if len(in_flight) == len(conns):
                await settle_oldest()
            busy = {id(c) for _, c, _ in in_flight}
            free = next(c for c in conns if id(c) not in busy)
            ids = await next_ids(free, cursor)
            if not ids:
                break
            cursor = ids[-1]
            in_flight.append((asyncio.create_task(batch(free, ids)), free, ids))
        while in_flight:
            await settle_oldest()
    except BaseException:
        # The other batch is rolled back, and waited for: its connection is the caller's to
        # close, and must not be closed under a running query.
        for task, _, _ in in_flight:
            task.cancel()
        await asyncio.gather(*(task for task, _, _ in in_flight), return_exceptions=True)
        raise
    await conn.execute(q.finish_run, run_id)
    return RegradeReport(run_id=run_id, processed=processed, total=max(total, processed),
                         resumed=resumed)


# Names "the xinyi-api scheme upgrade lock" (with the scheme's hash) for pg_try_advisory_lock.
SCHEME_LOCK_ID = 7_202_612


async def run_scheme_upgrade(
    conn: asyncpg.Connection,
    grader: Grader,
    scheme: str,
    today: date,
    *,
    subject_types: Sequence[str],
    industries: Sequence[str],
    batch_size: int = 1000,
    progress: Progress | None = None,
) -> RegradeReport | None:
    """Grade the subjects ``scheme`` covers that have no grade under its current rule version.

    Run when a scenario is enabled or its ``rule_version`` changes: each batch is one
    transaction, and the history keeps the grades of the old version. Only the scheme's own rule
    runs. The walk is naturally resumable (a graded subject leaves the set). Returns ``None`` when
    another process is already upgrading the scheme (an advisory lock per scheme).
    """
    rule = grader.rule(scheme)
    if rule is None:
        raise ValueError(f"no grading rule for scheme {scheme!r}")
    only = Grader([rule], grader.loaders)
    types, inds = list(subject_types), list(industries)
    if not await conn.fetchval(q.try_scheme_lock, SCHEME_LOCK_ID, scheme):
        return None
    try:
        total = await conn.fetchval(q.count_stale_scheme, types, inds, scheme, rule.version)
        if not total:
            return RegradeReport(run_id=0, processed=0, total=0, resumed=False)
        run_kind, fingerprint = f"upgrade:{scheme}", f"{scheme}@{rule.version}"
        run = await conn.fetchrow(q.open_run, run_kind, fingerprint)
        resumed = run is not None
        run_id = run["id"] if run else await conn.fetchval(q.start_run, run_kind,
                                                            fingerprint, total)
        processed, cursor = 0, ""
        while True:
            async with conn.transaction():
                rows = await conn.fetch(q.stale_scheme_subject_ids_after, cursor, batch_size,
                                        types, inds, scheme, rule.version)
                if not rows:
                    await conn.execute(q.finish_run, run_id)
                    break
                ids = [r["id"] for r in rows]
                await only.regrade(conn, ids, today)
                cursor = ids[-1]
                processed += len(ids)
                await conn.execute(q.advance_run, run_id, len(ids), cursor)
            if progress is not None:
                progress(processed, max(total, processed))
    finally:
        await conn.execute(q.release_scheme_lock, SCHEME_LOCK_ID, scheme)
    return RegradeReport(run_id=run_id, processed=processed, total=max(total, processed),
                         resumed=resumed)
