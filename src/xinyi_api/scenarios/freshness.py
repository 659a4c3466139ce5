"""Scenario grades that are never stale (docs/plugins.md, "Never stale").

A stored scenario grade depends on more than the subject's file: on the scenario's rule version,
on what it covers (subject types, industries) and on whether it is enabled at all. Each of these
is part of a per-scheme fingerprint kept in ``scenario_states``:

- at start, every worker records the fingerprints of its enabled scenarios (and marks schemes it
  does not enable as disabled); a fingerprint that changed resets that scheme's refresh;
- one worker per scheme (an advisory lock) then regrades the covered subjects in the background,
  in id order and in batches of one transaction each, logging its progress, while the service
  serves — a worker's stale schemes one after another, so it holds one pool connection for
  it, not one per scheme; an interrupted refresh resumes at the next start from its cursor;
- until the refresh has passed a subject, its stored grade under the scheme is not served as
  current: readers grade it on the fly (``current_grades``). A disabled scenario's grades, and a
  grade of a subject the scenario no longer covers, are never served at all.

A scenario disabled, then enabled again after a severe penalty, therefore shows the new grade at
once — not the A it had before — and the stored grades catch up within the refresh.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date

import asyncpg
from litestar import Litestar

from xinyi_api.db.pool import STARTUP_ACQUIRE_SECONDS
from xinyi_api.db.queries import Queries
from xinyi_api.grading.engine import CreditFile, Grade, GradeResult
from xinyi_api.grading.service import Grader
from xinyi_api.scenarios.model import Scenario
from xinyi_api.scenarios.registry import ScenarioRegistry
from xinyi_api.state import platform_of

SHUTDOWN_SECONDS = 5.0
"""How long shutdown waits for a cancelled background refresh."""

log = logging.getLogger(__name__)
q = Queries.beside(__file__)

DISABLED = "disabled"
BATCH_SIZE = 1000

__all__ = ["CurrentGrade", "current_grades", "current_grades_of", "fingerprint", "reconcile",
           "refresh", "scenario_lifespan"]


def fingerprint(scenario: Scenario) -> str:
    """What stored grades under the scenario depend on besides the files."""
    text = "\0".join([scenario.rule_version, ",".join(sorted(scenario.subject_types)),
                      ",".join(sorted(scenario.industries))])
    return hashlib.sha256(text.encode()).hexdigest()[:20]


async def reconcile(conn: asyncpg.Connection, registry: ScenarioRegistry) -> list[Scenario]:
    """Record this process's configuration; the enabled scenarios whose grades need a refresh."""
    states = {r["scheme"]: r for r in await conn.fetch(q.scenario_states)}
    stale: list[Scenario] = []
    for scenario in registry.scenarios:
        fp = fingerprint(scenario)
        changed = await conn.fetchval(q.record_fingerprint, scenario.key, fp, True)
        state = states.get(scenario.key)
        if changed is not None or state is None or state["refreshed"] != fp:
            stale.append(scenario)
    for scheme, state in states.items():
        if state["enabled"] and registry.get(scheme) is None:
            await conn.fetchval(q.record_fingerprint, scheme, DISABLED, False)
            log.info("scenario %s is no longer enabled: its grades are not served", scheme)
    return stale


async def refresh(pool: asyncpg.Pool, grader: Grader, scenario: Scenario, today: date, *,
                  batch_size: int = BATCH_SIZE) -> int | None:
    """Regrade the subjects ``scenario`` covers, from the scheme's cursor, under its rule only.

    Returns how many subjects this call regraded, or ``None`` when another process is already
    refreshing the scheme (or a newer configuration took over).
    """
    rule = grader.rule(scenario.key)
    if rule is None:
        raise ValueError(f"no grading rule for scheme {scenario.key!r}")
    only = Grader([rule], grader.loaders)
    fp, types, industries = fingerprint(scenario), list(scenario.subject_types), list(
        scenario.industries)
    async with pool.acquire() as conn:
        if not await conn.fetchval(q.try_refresh_lock, scenario.key):
            return None
        try:
            state = next((s for s in await conn.fetch(q.scenario_states)
                          if s["scheme"] == scenario.key), None)
            if state is None or state["fingerprint"] != fp:
                return None
            if state["refreshed"] == fp:
                return 0
            total = await conn.fetchval(q.count_covered, types, industries)
            await conn.execute(q.start_refresh, scenario.key, fp, total)
            cursor, last_logged = state["cursor"], 0
            done: int = state["done"]
            log.info("scenario %s: refreshing the grades of %d subject(s) in the background",
                     scenario.key, total)
            while True:
                async with conn.transaction():
                    rows = await conn.fetch(q.covered_ids_after, cursor, batch_size, types,
                                            industries)
                    if not rows:
                        await conn.execute(q.finish_refresh, scenario.key, fp)
                        break
                    ids = [r["id"] for r in rows]
                    await only.regrade(conn, ids, today)
                    if await conn.fetchval(q.advance_refresh, scenario.key, fp, ids[-1],
                                           len(ids)) is None:
                        return None  # a start with another configuration took over
                cursor, done = ids[-1], done + len(ids)
                if done - last_logged >= max(batch_size, total // 10):
                    log.info("scenario %s: %d of %d subject(s) regraded", scenario.key, done,
                             total)
                    last_logged = done
            log.info("scenario %s: grades current (%d subject(s) regraded)", scenario.key,
                     done)
            return done
        finally:
            await conn.execute(q.release_refresh_lock, scenario.key)


@dataclass(frozen=True, slots=True)
class CurrentGrade:
    """A subject's grade under one scenario, as served: stored, or graded on read."""

    scenario: Scenario
    result: GradeResult | None
    """Graded on read (no current stored grade), else ``None`` and ``row`` is set."""
    row: asyncpg.Record | None
    """The stored grade, when it is current."""

    @property
    def grade(self) -> Grade:
        if self.result is not None:
            return self.result.grade
        assert self.row is not None
        grade: Grade = self.row["grade"]
        return grade

    @property
    def stored(self) -> bool:
        return self.row is not None


async def current_grades(conn: asyncpg.Connection, registry: ScenarioRegistry, grader: Grader,
                         file: CreditFile, today: date,
                         only: Sequence[str] | None = None) -> list[CurrentGrade]:
    """The subject's grade under every enabled scenario covering it (or those in ``only``):
    the stored grade when it is current — same rule version, refreshed since the last change of
    configuration — else graded now from the file, without storing."""
    found = await current_grades_of(conn, registry, grader, [file], today, only)
    return found.get(file.subject_id, [])


async def current_grades_of(conn: asyncpg.Connection, registry: ScenarioRegistry,
                            grader: Grader, files: Sequence[CreditFile], today: date,
                            only: Sequence[str] | None = None) -> dict[str, list[CurrentGrade]]:
    """``current_grades`` of a batch of subjects (``files`` need only their coverage facts), in
    one query for the stored grades and one file load for all those graded now."""
    covering = {f.subject_id: [s for s in registry.scenarios
                               if s.covers(f) and (only is None or s.key in only)]
                for f in files}
    keys = sorted({s.key for scenarios in covering.values() for s in scenarios})
    if not keys:
        return {}
    rows: dict[tuple[str, str], asyncpg.Record] = {
        (r["subject_id"], r["scheme"]): r for r in await conn.fetch(
            q.grades_of_subjects_fresh, [i for i, sc in covering.items() if sc], keys)}

    def is_stale(subject_id: str, s: Scenario) -> bool:
        row = rows.get((subject_id, s.key))
        return row is None or not row["fresh"] or row["rule_version"] != s.rule_version

    stale = {i: [s for s in sc if is_stale(i, s)] for i, sc in covering.items()}
    live: dict[tuple[str, str], GradeResult] = {}
    to_load = [i for i, sc in stale.items() if sc]
    if to_load:
        loaded = await grader.load_files(conn, to_load, today)
        for subject_id in to_load:
            file = loaded.get(subject_id)
            for s in stale[subject_id]:
                rule = grader.rule(s.key)
                if rule is not None and file is not None:
                    live[(subject_id, s.key)] = rule.grade(file, today)
    out: dict[str, list[CurrentGrade]] = {}
    for subject_id, scenarios in covering.items():
        current: list[CurrentGrade] = []
        for s in scenarios:
            if (subject_id, s.key) in live:
                current.append(CurrentGrade(s, live[(subject_id, s.key)], None))
            elif (subject_id, s.key) in rows and s not in stale[subject_id]:
                current.append(CurrentGrade(s, None, rows[(subject_id, s.key)]))
        out[subject_id] = current
    return out


async def warn_missing_departments(conn: asyncpg.Connection,
                                   registry: ScenarioRegistry) -> list[str]:
    """Warn about scenarios whose owning department (主管部门) is not in ``departments``: nobody
    could hold a token for it, so its own data could not be managed."""
    known = {r["code"] for r in await conn.fetch("SELECT code FROM departments")}
    missing = [s.key for s in registry.scenarios if s.department not in known]
    for scenario in registry.scenarios:
        if scenario.key in missing:
            log.warning("scenario %s: its owning department %r does not exist; add it with "
                        "`xinyi-api department add %s --name …`", scenario.key,
                        scenario.department, scenario.department)
    return missing


@asynccontextmanager
async def scenario_lifespan(app: Litestar) -> AsyncIterator[None]:
    """After the database lifespan: record the configuration, then refresh in the background."""
    registry: ScenarioRegistry = platform_of(app).scenarios
    # The refresh holds a session advisory lock across its batches: a direct connection, never
    # one of a transaction-mode pooler (docs/operations.md, "Connection budget").
    pool: asyncpg.Pool = platform_of(app).db.session
    async with pool.acquire(timeout=STARTUP_ACQUIRE_SECONDS) as conn:
        stale = await reconcile(conn, registry)
        await warn_missing_departments(conn, registry)
    # One scenario after another, in one task: each refresh holds a connection for as long as
    # it runs (its advisory lock), and in one process they would only take turns on the CPU
    # anyway — run side by side, five scenarios held five connections of the request pool for
    # the whole refresh (minutes at province scale; in tests, every connection of the pool).
    tasks = [asyncio.create_task(_refresh_in_turn(pool, platform_of(app).grader, stale,
                                                  platform_of(app).clock.today()),
                                 name="scenario refresh")] if stale else []
    app.state.scenario_refreshes = tasks
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        if tasks:
            # Bounded: a refresh stuck in a cancelled query must not hold the shutdown up; the
            # refresh is resumed at the next start.
            _, stuck = await asyncio.wait(tasks, timeout=SHUTDOWN_SECONDS)
            for task in stuck:
                log.warning("scenario refresh %s did not stop within %s s; leaving it",
                            task.get_name(), SHUTDOWN_SECONDS)


async def _refresh_in_turn(pool: asyncpg.Pool, grader: Grader, scenarios: list[Scenario],
                           today: date) -> None:
    for scenario in scenarios:
        try:
            await refresh(pool, grader, scenario, today)
        except asyncio.CancelledError:
            raise
        except Exception:  # a failed refresh is retried at the next start; serving goes on
            log.exception("scenario %s: background refresh failed", scenario.key)
