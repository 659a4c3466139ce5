"""Import jobs: storing what arrives, processing it (here or in any other worker), polling it.

A job is a row of ``import_jobs``; what it imports — an uploaded file or an NDJSON batch — is
stored with it in ``import_files`` (chunks), so any worker can process it and a job whose worker
died is resumed by the next sweep. A worker processes a job while holding the job's session
advisory lock on its own connection (``pg_try_advisory_lock``): a lock that dies with the
connection, so "running" never outlives its worker, and two workers never run one job.

The CLI (``xinyi-api import FILE``) runs the same pipeline on a job of its own, reading the file
from disk.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
from litestar import Litestar

from xinyi_api import audit
from xinyi_api.auth.tokens import Principal
from xinyi_api.clock import Clock
from xinyi_api.db.queries import Queries
from xinyi_api.errors import BadRequest
from xinyi_api.grading.service import Grader
from xinyi_api.imports import pipeline
from xinyi_api.imports.files import FileProblem, Table, open_table
from xinyi_api.imports.layouts import BY_NAME, HeaderError, HeaderMap, Layout, detect, map_headers
from xinyi_api.imports.pipeline import JobContext, Outcome, Pipeline
from xinyi_api.industries import IndustryRegistry
from xinyi_api.inputs.body import parse_json_body
from xinyi_api.jobs import SweepingRunner
from xinyi_api.settings import Settings

log = logging.getLogger(__name__)
q = Queries.beside(__file__)

CHUNK = 1024 * 1024
"""Bytes per stored chunk of an uploaded file."""
SWEEP_SECONDS = 5.0
FILE_RETENTION_DAYS = 7
"""How long the file of a dry run (or a failed job) stays to be committed without re-upload."""


# --- opening what a job imports ---------------------------------------------------------------


@dataclass(slots=True)
class Opened:
    """A file ready to stage: its table and the layout its header row matched."""

    table: Table
    header_map: HeaderMap

    @property
    def layout(self) -> Layout:
        return self.header_map.layout


def open_file(path: Path, layout_name: str | None, *, max_rows: int) -> Opened:
    """Open ``path`` and match its header row; ``FileProblem`` naming what does not fit."""
    table = open_table(path, max_rows=max_rows)
    try:
        name = layout_name or detect(table.headers)
        if name is None:
            raise FileProblem("unknown-layout", "无法从表头判断版式(行政处罚、行政许可、监督检查、"
                              "行政奖励):请指定 layout")
        try:
            header_map = map_headers(BY_NAME[name], table.headers)
        except HeaderError as exc:
            raise FileProblem("invalid-columns", str(exc), unknown=exc.unknown,
                              missing=exc.missing, repeated=exc.repeated) from None
    except BaseException:
        table.close()
        raise
    return Opened(table, header_map)


async def stage_file(work: Pipeline, opened: Opened) -> None:
    """Every data row of an opened file through stage 1."""
    layout, positions = opened.layout, opened.header_map.positions
    try:
        for row_no, cells in opened.table.rows:
            values = {column.key: cells[i] for i, column in enumerate(positions)
                      if column is not None and i < len(cells)}
            await work.add(row_no, layout, values)
    finally:
        opened.table.close()


async def stage_ndjson(work: Pipeline, path: Path, default_layout: str | None) -> None:
    """Every line of an NDJSON batch through stage 1: one JSON object per line, keys are the
    layout's English keys (or its Chinese headers), ``layout`` names the layout when the batch
    does not."""
    with path.open("rb") as lines:
        for line_no, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                obj = parse_json_body(line.rstrip(b"\r\n"))
            except BadRequest as exc:
                work.refuse_row(line_no, "行", "invalid-json", f"不是有效的 JSON:{exc.detail}")
                continue
            if not isinstance(obj, dict):
                work.refuse_row(line_no, "行", "invalid-json", "每行应为一个 JSON 对象")
                continue
            name = obj.pop("layout", None) or default_layout
            layout = BY_NAME.get(name) if isinstance(name, str) else None
            if layout is None:
                work.refuse_row(line_no, "layout", "unknown-layout",
                                "layout 应为 penalty、licence、inspection 或 reward",
                                str(name or ""))
                continue
            cells: dict[str, Any] = {}
            unknown = []
            for key, value in obj.items():
                column = layout.find(key)
                if column is None:
                    unknown.append(key)
                elif column.kind != "ignored":
                    cells[column.key] = value
            nested = [k for k, v in obj.items() if isinstance(v, (dict, list))]
            if unknown or nested:
                message = ("未知字段: " + "、".join(unknown)) if unknown else \
                    ("字段值应为文本、数字或 null: " + "、".join(nested))
                work.refuse_row(line_no, "行", "invalid-columns", message)
                continue
            await work.add(line_no, layout, cells)


# --- creating jobs ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Received:
    """A request body written to a temporary file while it was counted and hashed."""

    path: Path
    size: int
    sha256: str


async def store_job(conn: asyncpg.Connection, principal: Principal, *, source: str,
                    received: Received, file_name: str | None, media_type: str | None,
                    layout: str | None, dry_run: bool, register_unknown: bool,
                    default_industry: str | None, idempotency_key: str | None,
                    today: date) -> asyncpg.Record:
    """Insert the job and its file in one transaction; the job is ``queued``."""
    assert principal.department is not None
    async with conn.transaction():
        job = await conn.fetchrow(
            q.insert_job, principal.department, principal.sub, principal.region, source,
            file_name, media_type, received.sha256, received.size, layout, dry_run,
            register_unknown, default_industry, idempotency_key, "queued", today)
        seq = 0
        with received.path.open("rb") as data:
            while chunk := data.read(CHUNK):
                await conn.execute(q.store_chunk, job["id"], seq, chunk)
                seq += 1
    return job


async def materialise(conn: asyncpg.Connection, job_id: int, directory: Path) -> Path:
    """Write the job's stored file to a temporary file (16 chunks per query)."""
    path = directory / f"import-{job_id}"
    seq = 0
    with path.open("wb") as out:
        while True:
            rows = await conn.fetch(q.file_chunks, job_id, seq, 16)
            for row in rows:
                out.write(row["data"])
            seq += len(rows)
            if len(rows) < 16:
                break
    return path


# --- processing -------------------------------------------------------------------------------


@dataclass(slots=True)
class Services:
    """What processing a job needs from the process."""

    settings: Settings
    grader: Grader
    industries: IndustryRegistry
    clock: Clock


def context_of(job: asyncpg.Record, endpoint: str) -> JobContext:
    return JobContext(
        job_id=job["id"], department=job["department"], actor=job["actor"],
        region=job["region"], dry_run=job["dry_run"], register_unknown=job["register_unknown"],
        default_industry=job["default_industry"], today=job["today"], endpoint=endpoint,
        layout=job["layout"])


async def fail(conn: asyncpg.Connection, ctx: JobContext, code: str, message: str) -> None:
    """Record a failed job (nothing of it was written) on the job and the audit log."""
    await conn.execute(q.set_failure, ctx.job_id, code, message)
    await audit.append(conn, ctx.principal, action="import.fail", endpoint=ctx.endpoint,
                       detail={"job_id": ctx.job_id, "code": code, "dry_run": ctx.dry_run})


async def run_stages(conn: asyncpg.Connection, services: Services, ctx: JobContext,
                     stage: Callable[[Pipeline], Any], *,
                     progress: Callable[[Outcome], None] | None = None) -> Outcome | None:
    """Stages 1–3 of a job (``stage`` feeds the rows); on a file problem the job fails and
    nothing is written. The job must be locked by the caller."""
    await conn.execute(q.set_state, ctx.job_id, "validating")
    work = Pipeline(conn, ctx, services.industries, progress=progress)
    try:
        await work.open()
        await stage(work)
        if not ctx.dry_run:
            await conn.execute(q.set_state, ctx.job_id, "committing")
        outcome = await work.finish()
    except FileProblem as exc:
        await work.flush()
        await fail(conn, ctx, exc.code, exc.message)
        return None
    finally:
        await work.close()
    if ctx.dry_run:
        await audit.append(conn, ctx.principal, action="import.dry_run", endpoint=ctx.endpoint,
                           detail=work.audit_detail())
    return outcome


async def process(conn: asyncpg.Connection, services: Services, job_id: int,
                  workdir: Path) -> None:
    """Run a stored job to its end: validate (and commit), then regrade. The caller holds the
    job's lock."""
    job = await conn.fetchrow(q.get_job, job_id)
    if job is None or job["state"] in ("validated", "done", "failed"):
        return
    endpoint = "POST /api/v1/imports/batches" if job["source"] == "batch" else \
        "POST /api/v1/imports"
    ctx = context_of(job, endpoint)
    if job["state"] != "regrading":
        path = await materialise(conn, job_id, workdir)
        try:
            if job["source"] == "batch":
                async def stage(work: Pipeline) -> None:
                    await stage_ndjson(work, path, job["layout"])
            else:
                async def stage(work: Pipeline) -> None:
                    opened = await asyncio.to_thread(open_file, path, job["layout"],
                                                     max_rows=services.settings.import_max_rows)
                    await stage_file(work, opened)
            outcome = await run_stages(conn, services, ctx, stage)
        finally:
            path.unlink(missing_ok=True)
        if outcome is None or ctx.dry_run:
            return
        await conn.execute(q.drop_file, job_id)
        job = await conn.fetchrow(q.get_job, job_id)
        assert job is not None
    await pipeline.regrade(conn, services.grader, job_id, services.clock.today(),
                           cursor=job["regrade_cursor"])


class ImportRunner(SweepingRunner):
    """One process's runner of stored import jobs: ``poke()`` after storing one; it also sweeps
    every ``sweep_seconds`` for jobs nobody runs (their worker died, or they were stored by
    another process that is busy)."""

    def __init__(self, services: Services, *, sweep_seconds: float = SWEEP_SECONDS) -> None:
        super().__init__("import", sweep_seconds)
        self.services = services

    async def run_pending(self, conn: asyncpg.Connection | None = None) -> int:
        """Run every job nobody else is running (on ``conn``, else a connection of its own);
        the number run."""
        if conn is not None:
            return await self._run_pending(conn)
        from xinyi_api.db.pool import connect

        url = self.services.settings.database_url
        assert url is not None
        own = await connect(url)
        try:
            return await self._run_pending(own)
        finally:
            await own.close()

    async def _run_pending(self, conn: asyncpg.Connection) -> int:
        ran = 0
        for row in await conn.fetch(q.pending_jobs):
            if self._closing:
                break
            if not await conn.fetchval(q.try_job_lock, row["id"]):
                continue
            try:
                with tempfile.TemporaryDirectory(prefix="xinyi-import-") as tmp:
                    await process(conn, self.services, row["id"], Path(tmp))
                ran += 1
            except Exception as exc:
                log.exception("import job %s failed", row["id"])
                job = None if conn.is_closed() else await conn.fetchrow(q.get_job, row["id"])
                if job is not None and job["state"] != "regrading":
                    await fail(conn, context_of(job, "runner"), "internal-error",
                               f"内部错误,未写入任何记录({type(exc).__name__})")
            finally:
                if not conn.is_closed():
                    await conn.fetchval(q.job_unlock, row["id"])
        return ran


RUNNER_KEY = "imports.runner"


@asynccontextmanager
async def runner_lifespan(app: Litestar) -> AsyncIterator[None]:
    """Each app process runs its own ``ImportRunner`` (``app_lifespans`` hook)."""
    from xinyi_api.state import platform_of

    platform = platform_of(app)
    runner = ImportRunner(Services(platform.settings, platform.grader, platform.industries,
                                   platform.clock))
    platform.extras[RUNNER_KEY] = runner
    runner.start()
    try:
        yield
    finally:
        platform.extras.pop(RUNNER_KEY, None)
        await runner.close()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        while chunk := data.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def file_size(path: Path) -> int:
    return os.stat(path).st_size
