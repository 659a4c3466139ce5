"""Batch regrading (``xinyi-api regrade``): every subject, or only those whose grade is due.

Subjects are walked in id order in batches. Each batch is one transaction that loads the files
(set-based), grades them, upserts the grades in one statement and moves the run's cursor, so a
run stopped at any point resumes after the last committed batch, under the same rule set.
"""

from __future__ import annotations

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
) -> RegradeReport:
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

    while True:
        async with conn.transaction():
            if due_only:
                rows = await conn.fetch(q.due_subject_ids_after, cursor, batch_size, today)
            else:
                rows = await conn.fetch(q.subject_ids_after, cursor, batch_size)
            if not rows:
                await conn.execute(q.finish_run, run_id)
                break
            ids = [r["id"] for r in rows]
            await grader.regrade(conn, ids, today)
            cursor = ids[-1]
            processed += len(ids)
            await conn.execute(q.advance_run, run_id, len(ids), cursor)
        if progress is not None:
            progress(processed, max(total, processed))
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
