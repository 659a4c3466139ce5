"""Print jobs 批量印制: ordering, and the runner that writes their output chunk by chunk.

How a job runs (any worker, or ``xinyi-api codes export``):

1. **Ordered** (``create_job``, one transaction): the filters are checked, the selection is
   fixed into ``print_job_items`` (seq 1..total, one set-based INSERT), the order is audited.
2. **Claimed** (``PrintRunner.claim``): one ``UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP
   LOCKED)`` takes the oldest queued job, or a running one whose worker has not checkpointed
   for ``XINYI_PRINT_LEASE_SECONDS`` (it died or hung), and bumps its ``attempt``: the fencing
   number every later write names, so a worker that lost its job cannot move it any more.
3. **Chunks**: the next ``chunk`` codes after the last checkpoint are read (keyset on seq),
   rendered in a thread (PDF sheets with fpdf2, or PNG/SVG images), appended to the attempt's
   file and fsynced; then one transaction records the chunk (its cross-reference entries or
   central-directory records, its manifest rows) and moves the checkpoint (``done``,
   ``bytes_done``, the lease's heartbeat). Memory holds one chunk at a time, whatever the
   job's size.
4. **Finished**: the tail (PDF page tree and cross-reference table, or ZIP manifest and central
   directory) is streamed from the chunk rows, the file renamed to its final name, the job
   marked done and its work tables dropped.

A restart after a crash copies the last attempt's file up to ``bytes_done`` into a new file for
the new attempt (an old worker that still held the old file open cannot write into the new one)
and carries on from the last checkpoint: no chunk is ever written twice into the output.
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import os
import shutil
import socket
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Final

import asyncpg

from xinyi_api import audit
from xinyi_api.auth.guards import ensure_region, region_prefix
from xinyi_api.auth.tokens import Principal
from xinyi_api.codes.poster import PosterSubject
from xinyi_api.codes.token import code_url, encode_code_token
from xinyi_api.db.queries import Queries
from xinyi_api.errors import Conflict, Forbidden, Gone, NotFound, Unprocessable
from xinyi_api.jobs import SweepingRunner
from xinyi_api.printing import pdfstream, schemas, sheets, zipstream

if TYPE_CHECKING:
    from litestar import Litestar

    from xinyi_api.clock import Clock
    from xinyi_api.industries import IndustryRegistry
    from xinyi_api.keys import KeyStore
    from xinyi_api.settings import Settings

log = logging.getLogger(__name__)
q = Queries.beside(__file__)

SHEETS_PER_CHUNK: Final = 25
"""PDF chunk: 25 sheets (200 codes 8-up), one fpdf2 document with one font subset."""
ZIP_CHUNK: Final = 500
SWEEP_SECONDS: Final = 5.0
MANIFEST_COLUMNS: Final = ("subject_id", "type", "name", "enterprise", "uscc", "store_number",
                           "code_url", "file")
RUNNER_KEY: Final = "printing.runner"

Progress = Callable[[int, int], None]


# --- ordering -------------------------------------------------------------------------------


async def create_job(
    conn: asyncpg.Connection, principal: Principal, order: schemas.PrintJobCreate, *,
    industries: IndustryRegistry, settings: Settings, now: datetime,
    endpoint: str = "service:print",
) -> asyncpg.Record:
    """Check ``order``, fix its selection and store the job (status ``queued``).

    A department prints only inside its region (403 ``out-of-region``), one job at a time (409
    ``print-job-running``); an unknown district is 404, an unknown industry 422, and a selection
    with no code (422 ``print-selection-empty``) or more than ``XINYI_PRINT_MAX_CODES`` (422
    ``print-selection-too-large``) stores nothing.
    """
    if order.region is not None and order.district is not None:
        raise Unprocessable("give region or district, not both", slug="invalid-print-filters",
                            key="district")
    if order.industry is not None and order.industry not in industries:
        raise Unprocessable(f"no industry {order.industry!r} (GET /api/v1/industries)",
                            slug="unknown-industry", key="industry")
    region = order.region
    district_name = None
    if order.district is not None:
        district = await conn.fetchrow(q.district, order.district)
        if district is None:
            raise NotFound(f"no district {order.district}", slug="unknown-district")
        ensure_region(principal, district["region_code"])
        district_name = district["name"]
    elif region is not None:
        ensure_region(principal, region)
        if principal.region is not None and len(region_prefix(region)) < len(
                region_prefix(principal.region)):
            # 340000 is not covered by a 340400 department even though 3404xx is inside it.
            raise Forbidden(f"department {principal.department} is limited to region "
                            f"{principal.region}", slug="out-of-region")
    elif principal.role == "department":
        region = principal.region
    filters = {"region": region, "district": order.district, "district_name": district_name,
               "industry": order.industry, "kind": order.kind}
    options: dict[str, Any] = ({"paper": order.paper, "per_sheet": order.per_sheet}
                               if order.format == "pdf" else {"image": order.image})
    department = principal.department if principal.role == "department" else None
    try:
        async with conn.transaction():
            job_id: int = await conn.fetchval(q.insert_job, department, principal.sub, filters,
                                              order.format, options, now)
            status = await conn.execute(
                q.select_items, job_id, region_prefix(region) if region else None,
                order.industry, order.district, order.kind)
            total = int(status.rsplit(" ", 1)[1])
            if total == 0:
                raise Unprocessable("no open business with a code matches these filters",
                                    slug="print-selection-empty")
            if total > settings.print_max_codes:
                raise Unprocessable(f"{total} codes selected; at most "
                                    f"{settings.print_max_codes} per job (XINYI_PRINT_MAX_CODES)"
                                    " — split by district or industry",
                                    slug="print-selection-too-large", selected=total)
            await conn.execute(q.set_total, job_id, total)
            await audit.append(conn, principal, action="print.order", endpoint=endpoint,
                               detail={"job": job_id, "filters": filters, "format": order.format,
                                       "options": options, "total": total})
    except asyncpg.UniqueViolationError:
        raise Conflict(f"department {department} already has a print job queued or running; "
                       "wait for it to finish", slug="print-job-running") from None
    row: asyncpg.Record = await conn.fetchrow(q.job, job_id)
    return row


async def get_job(conn: asyncpg.Connection, principal: Principal, job_id: int) -> asyncpg.Record:
    """The job, for its department or an operator (another department gets 404)."""
    row: asyncpg.Record | None = await conn.fetchrow(q.job, job_id)
    if row is None or (principal.role == "department"
                       and row["department"] != principal.department):
        raise NotFound(f"no print job {job_id}", slug="unknown-print-job")
    return row


def output_path(settings: Settings, row: asyncpg.Record) -> Path:
    name: str = row["output_name"]
    return settings.print_dir / f"job-{row['id']}" / name


async def output_of(conn: asyncpg.Connection, principal: Principal, job_id: int,
                    settings: Settings, *, endpoint: str) -> tuple[Path, asyncpg.Record]:
    """The finished output to download (audited as ``print.download``)."""
    row = await get_job(conn, principal, job_id)
    if row["status"] == "expired":
        raise Gone(f"print job {job_id}'s output was removed after "
                   f"{settings.print_retention_days} days; order it again",
                   slug="print-output-expired")
    if row["status"] != "done":
        raise Conflict(f"print job {job_id} is {row['status']} ({row['done']}/{row['total']})",
                       slug="print-job-not-ready", job_status=row["status"])
    path = output_path(settings, row)
    if not path.is_file():
        raise Gone(f"print job {job_id}'s output is no longer stored; order it again",
                   slug="print-output-expired")
    await audit.append(conn, principal, action="print.download", endpoint=endpoint,
                       detail={"job": job_id, "bytes": row["output_bytes"]})
    return path, row


def media_type(fmt: str) -> str:
    return "application/pdf" if fmt == "pdf" else "application/zip"


def to_schema(row: asyncpg.Record, settings: Settings) -> schemas.PrintJob:
    output = None
    if row["status"] == "done":
        output = schemas.PrintOutput(
            file_name=row["output_name"], bytes=row["output_bytes"],
            media_type=media_type(row["format"]),
            download_url=f"/api/v1/print-jobs/{row['id']}/output")
    finished = row["finished_at"]
    return schemas.PrintJob(
        id=row["id"], department=row["department"], created_by=row["created_by"],
        status=row["status"], format=row["format"], filters=row["filters"],
        options=row["options"], total=row["total"], done=row["done"],
        progress=round(row["done"] / row["total"], 4) if row["total"] else 0.0,
        error=row["error"], attempts=row["attempt"], created_at=row["created_at"],
        started_at=row["started_at"], finished_at=finished,
        expires_at=finished + timedelta(days=settings.print_retention_days)
        if finished is not None else None,
        output=output)


# --- rendering one chunk (in a worker thread) -----------------------------------------------


@dataclass(frozen=True, slots=True)
class Card:
    seq: int
    subject: PosterSubject


@dataclass(frozen=True, slots=True)
class ChunkOut:
    end: int
    directory: bytes
    node: int | None = None
    pages: int = 0
    next_object: int = 0
    manifest: str = ""


_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str | None) -> str:
    """A manifest cell a spreadsheet will not run: text starting like a formula gets a ``'``."""
    text = value or ""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _manifest_rows(cards: list[Card], files: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for card, name in zip(cards, files, strict=True):
        s = card.subject
        writer.writerow([csv_cell(v) for v in (
            s.subject_id, s.kind, s.name, s.enterprise_name, s.uscc,
            s.subject_id if s.is_store else "", s.url, name)])
    return buffer.getvalue()


def _write_chunk(out: BinaryIO, offset: int, fmt: str, options: dict[str, Any],
                 cards: list[Card], next_object: int, stamp: tuple[int, int]) -> ChunkOut:
    out.seek(offset)
    if fmt == "pdf":
        grid = sheets.grid(options["paper"], options["per_sheet"])
        chunk = sheets.render_sheets([c.subject for c in cards], grid)
        appended = pdfstream.append_chunk(out, offset, chunk, next_object)
        result = ChunkOut(end=appended.end, directory=appended.xref, node=appended.node,
                          pages=appended.pages, next_object=appended.next_object)
    else:
        ext = options["image"]
        method = zipstream.DEFLATED if ext == "svg" else zipstream.STORED  # PNG: compressed
        records = io.BytesIO()
        files = []
        end = offset
        for card in cards:
            name = f"codes/{card.subject.subject_id}.{ext}"
            written = zipstream.entry(out, end, name,
                                      sheets.code_image(card.subject.url, ext),
                                      method=method, stamp=stamp)
            records.write(written.record)
            files.append(name)
            end = written.end
        result = ChunkOut(end=end, directory=records.getvalue(),
                          manifest=_manifest_rows(cards, files))
    out.flush()
    os.fsync(out.fileno())
    return result


# --- the runner -----------------------------------------------------------------------------


class JobLost(RuntimeError):
    """The job moved on without this attempt (another worker's attempt holds it)."""


class PrintRunner(SweepingRunner):
    """One process's runner of print jobs: ``poke()`` after ordering one; it also sweeps every
    ``sweep_seconds`` for jobs no worker runs (ordered elsewhere, or whose worker died)."""

    def __init__(self, settings: Settings, clock: Clock, keys: KeyStore, *,
                 chunk_codes: int | None = None, sweep_seconds: float = SWEEP_SECONDS,
                 worker: str | None = None) -> None:
        super().__init__("print", sweep_seconds)
        self.settings = settings
        self.clock = clock
        self.keys = keys
        self.chunk_codes = chunk_codes
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"

    async def run_pending(self) -> int:
        """Claim and run jobs until none is left to claim; the number finished."""
        from xinyi_api.db.pool import connect

        url = self.settings.database_url
        assert url is not None
        conn = await connect(url)
        try:
            finished = 0
            while not self._closing:
                job = await self.claim(conn)
                if job is None:
                    break
                if await self._attempt(conn, job) == "done":
                    finished += 1
            return finished
        finally:
            await conn.close()

    async def claim(self, conn: asyncpg.Connection,
                    job_id: int | None = None) -> asyncpg.Record | None:
        """The next job no worker holds (or ``job_id`` only), now this worker's new attempt."""
        now = self.clock.now()
        stale = now - timedelta(seconds=self.settings.print_lease_seconds)
        row: asyncpg.Record | None = await conn.fetchrow(q.claim, self.worker, now, stale,
                                                          job_id)
        return row

    # -- one job ---------------------------------------------------------------------------

    async def run_job(self, conn: asyncpg.Connection, job_id: int,
                      progress: Progress | None = None) -> str:
        """Claim and run job ``job_id``: ``"done"``, ``"failed"``, ``"busy"`` (a live worker
        holds it, or took it over from this one) or ``"gone"`` (finished, failed or unknown)."""
        job = await self.claim(conn, job_id)
        if job is None:
            row = await conn.fetchrow(q.job, job_id)
            return "busy" if row is not None and row["status"] == "running" else "gone"
        return await self._attempt(conn, job, progress)

    async def _attempt(self, conn: asyncpg.Connection, job: asyncpg.Record,
                       progress: Progress | None = None) -> str:
        job_id = job["id"]
        try:
            await self._run(conn, job, progress)
        except JobLost:
            log.warning("print job %s: attempt %s lost the job", job_id, job["attempt"])
            return "busy"
        except Exception as exc:
            log.exception("print job %s failed", job_id)
            if not conn.is_closed() and not conn.is_in_transaction():
                await conn.execute(q.fail_job, job_id, job["attempt"],
                                   f"内部错误,任务中止({type(exc).__name__})",
                                   self.clock.now())
            return "failed"
        return "done"

    def _chunk_size(self, job: asyncpg.Record) -> int:
        options = job["options"]
        if job["format"] == "pdf":
            per_sheet: int = options["per_sheet"]
            wanted = self.chunk_codes or per_sheet * SHEETS_PER_CHUNK
            return max(1, wanted // per_sheet) * per_sheet  # whole sheets in every chunk
        return self.chunk_codes or ZIP_CHUNK

    async def _run(self, conn: asyncpg.Connection, job: asyncpg.Record,
                   progress: Progress | None) -> None:
        job_id, attempt, fmt = job["id"], job["attempt"], job["format"]
        options: dict[str, Any] = job["options"]
        folder = self.settings.print_dir / f"job-{job_id}"
        await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
        part = folder / f"attempt-{attempt}.part"
        offset: int = job["bytes_done"]
        await asyncio.to_thread(_take_over, folder, part, offset)
        last = await conn.fetchrow(q.last_chunk, job_id)
        chunk_no = 0 if last is None else last["chunk"] + 1
        last_seq = 0 if last is None else last["last_seq"]
        next_object: int = job["next_object"] or pdfstream.FIRST_OBJECT
        done: int = job["done"]
        stamp = zipstream.dos_time(job["created_at"].astimezone(self.settings.tz))
        size = self._chunk_size(job)
        with open(part, "r+b") as out:  # noqa: ASYNC230 - opened once; writes run in a thread
            if offset == 0 and fmt == "pdf":
                out.write(pdfstream.HEADER)
                offset = len(pdfstream.HEADER)
            if progress is not None:
                progress(done, job["total"])
            while True:
                rows = await conn.fetch(q.chunk_subjects, job_id, last_seq, size)
                if not rows:
                    break
                cards = await self._cards(rows)
                result = await asyncio.to_thread(_write_chunk, out, offset, fmt, options, cards,
                                                 next_object, stamp)
                async with conn.transaction():
                    await conn.execute(q.insert_chunk, job_id, chunk_no, rows[-1]["seq"],
                                       len(rows), result.end, result.node, result.pages,
                                       result.directory, result.manifest)
                    moved = await conn.fetchval(q.checkpoint, job_id, attempt, len(rows),
                                                result.end, result.next_object,
                                                self.clock.now())
                    if moved is None:
                        raise JobLost(job_id)
                done = moved
                offset, next_object = result.end, result.next_object
                last_seq, chunk_no = rows[-1]["seq"], chunk_no + 1
                if progress is not None:
                    progress(done, job["total"])
            final = await self._finish(conn, job, out, offset, next_object, folder)
        name = f"xinyi-codes-{job_id}.{fmt}"
        await asyncio.to_thread(os.replace, part, folder / name)
        async with conn.transaction():
            if await conn.fetchval(q.finish_job, job_id, attempt, name, final,
                                   self.clock.now()) is None:
                raise JobLost(job_id)
            await conn.execute(q.drop_work, job_id)

    async def _cards(self, rows: list[asyncpg.Record]) -> list[Card]:
        """Subjects with their current code URL: tokens signed here, with the live key each
        code was issued with (reloaded if another worker created it)."""
        private = {}
        for number in {r["key_number"] for r in rows}:
            key = self.keys.by_number("code", number)
            if key is None:
                await self.keys.refresh_if_stale(force=True)
                key = self.keys.by_number("code", number)
            if key is None:
                raise RuntimeError(f"code key {number} is not live; reissue its codes")
            private[number] = self.keys.any_private_key(key)
        base = self.settings.public_base_url
        return [Card(seq=r["seq"], subject=PosterSubject(
            url=code_url(base, encode_code_token(r["serial"], r["key_number"],
                                                 private[r["key_number"]])),
            kind=r["type"], subject_id=r["id"], name=r["name"],
            enterprise_name=r["enterprise_name"], uscc=r["uscc"],
            programme_name=self.settings.programme_name,
            authority=self.settings.issuing_authority)) for r in rows]

    async def _finish(self, conn: asyncpg.Connection, job: asyncpg.Record, out: BinaryIO,
                      offset: int, next_object: int, folder: Path) -> int:
        """Write the output's tail from the chunk rows; the final size."""
        job_id = job["id"]
        with tempfile.TemporaryFile(dir=folder) as directory, \
                tempfile.TemporaryFile(dir=folder) as manifest:
            nodes: list[int] = []
            pages = entries = 0
            if job["format"] == "zip":
                manifest.write("\ufeff".encode())  # BOM: Excel opens UTF-8 CSV as UTF-8
                header = io.StringIO()
                csv.writer(header, lineterminator="\r\n").writerow(MANIFEST_COLUMNS)
                manifest.write(header.getvalue().encode("utf-8"))
            async with conn.transaction():
                async for row in conn.cursor(q.chunk_directories, job_id, prefetch=8):
                    directory.write(row["directory"])
                    manifest.write(row["manifest"].encode("utf-8"))
                    if row["node"] is not None:
                        nodes.append(row["node"])  # one int per chunk (200 codes)
                    pages += row["pages"]
                    entries += row["count"]
            directory.seek(0)
            manifest.seek(0)
            return await asyncio.to_thread(
                _write_tail, out, offset, job, directory, manifest, nodes, pages, entries,
                next_object, self.settings.programme_name, self.settings.tz, folder)


def _blocks(source: BinaryIO) -> Iterator[bytes]:
    while block := source.read(1 << 16):
        yield block


def _write_tail(out: BinaryIO, offset: int, job: asyncpg.Record, directory: BinaryIO,
                manifest: BinaryIO, nodes: list[int], pages: int, entries: int,
                next_object: int,
                programme: str, tz: Any, folder: Path) -> int:
    out.seek(offset)
    created = job["created_at"].astimezone(tz)
    if job["format"] == "pdf":
        end = pdfstream.finish(out, offset, nodes, pages, _blocks(directory), next_object,
                               title=f"{programme} 诚信码印制 #{job['id']}", created_at=created)
    else:
        with tempfile.TemporaryFile(dir=folder) as scratch:
            written = zipstream.entry_from_file(out, offset, "manifest.csv", manifest, scratch,
                                                stamp=zipstream.dos_time(created))

        def records() -> Iterator[bytes]:
            yield from _blocks(directory)
            yield written.record

        end = zipstream.finish(out, written.end, records(), entries + 1)
    out.truncate(end)
    out.flush()
    os.fsync(out.fileno())
    return end


def _take_over(folder: Path, part: Path, checkpoint: int) -> None:
    """Give this attempt its own file holding the last checkpoint's ``checkpoint`` bytes.

    The previous attempt's file (if any) is copied up to the checkpoint rather than renamed: a
    worker that lost its lock but still has the old file open writes only into the old file,
    which is deleted here. Anything past the checkpoint — a chunk written but never recorded —
    is left behind.
    """
    previous = sorted((p for p in folder.glob("attempt-*.part") if p != part),
                      key=lambda p: int(p.stem.split("-")[1]))
    with open(part, "wb") as new:
        if checkpoint:
            if not previous:
                raise RuntimeError(f"{folder}: checkpoint at {checkpoint} bytes but no file")
            with open(previous[-1], "rb") as old:
                remaining = checkpoint
                while remaining:
                    block = old.read(min(remaining, 1 << 20))
                    if not block:
                        raise RuntimeError(f"{previous[-1]} is shorter than its checkpoint")
                    new.write(block)
                    remaining -= len(block)
        new.flush()
        os.fsync(new.fileno())
    for stale in previous:
        stale.unlink(missing_ok=True)


# --- retention ------------------------------------------------------------------------------


async def expire_outputs(conn: asyncpg.Connection, settings: Settings, now: datetime) -> int:
    """Mark jobs finished more than ``XINYI_PRINT_RETENTION_DAYS`` ago expired and delete their
    folders; the number expired."""
    cutoff = now - timedelta(days=settings.print_retention_days)
    rows = await conn.fetch(q.expired_outputs, cutoff)
    for row in rows:
        await asyncio.to_thread(shutil.rmtree, settings.print_dir / f"job-{row['id']}", True)
    return len(rows)


# --- wiring ---------------------------------------------------------------------------------


@asynccontextmanager
async def runner_lifespan(app: Litestar) -> AsyncIterator[None]:
    """Each API worker runs a print runner in the background (it needs the database and keys
    open, so it starts after them)."""
    from xinyi_api.state import platform_of

    platform = platform_of(app)
    if not platform.settings.print_worker:
        yield
        return
    runner = PrintRunner(platform.settings, platform.clock, platform.key_store)
    platform.extras[RUNNER_KEY] = runner
    runner.start()
    try:
        yield
    finally:
        await runner.close()
        platform.extras.pop(RUNNER_KEY, None)


def runner_of(state: Any) -> PrintRunner | None:
    from xinyi_api.state import platform_of

    runner = platform_of(state).extras.get(RUNNER_KEY)
    return runner if isinstance(runner, PrintRunner) else None
