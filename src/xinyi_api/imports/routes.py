"""HTTP endpoints of 数据归集: file uploads and NDJSON batches answered by jobs, the jobs' reports,
templates, the 双公示 timeliness report, the 重错码治理 review list and record revisions."""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import asyncpg
from litestar import Controller, Request, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromQuery, HeaderParameter, JSONBody, PathParameter, QueryParameter

from xinyi_api import audit
from xinyi_api.accountability.calendar import calendar_for
from xinyi_api.auth.guards import requires
from xinyi_api.auth.tokens import Principal
from xinyi_api.deps import DB, ClockDep, GraderDep, IndustriesDep, SettingsDep
from xinyi_api.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    Unauthorized,
    Unprocessable,
    UnsupportedMediaType,
)
from xinyi_api.imports import review, schemas, service, sheets, timeliness
from xinyi_api.imports.errors import BatchTooLarge, FileTooLarge
from xinyi_api.imports.files import FileProblem
from xinyi_api.imports.layouts import BY_NAME, LAYOUTS
from xinyi_api.imports.pipeline import q
from xinyi_api.openapi import ALSO_MEDIA_TYPES
from xinyi_api.settings import Settings
from xinyi_api.state import platform_of

JOB_ID = PathParameter(pattern=r"^[0-9]{1,18}$", description="import job id")
REVIEW_ID = PathParameter(pattern=r"^[0-9]{1,18}$", description="review item id")
RECORD_ID = PathParameter(pattern=r"^R[0-9]{10}$", description="record id")
TEMPLATE = PathParameter(pattern=r"^(penalty|licence|inspection|reward)\.(csv|xlsx)$",
                         description="`{layout}.csv` or `{layout}.xlsx`",
                         examples=[])
LAYOUT = QueryParameter(pattern=r"^(penalty|licence|inspection|reward)$",
                        description="the layout; omitted: told from the header row (files) or "
                        "each line's `layout` (batches)")
INDUSTRY = QueryParameter(pattern=r"^[a-z][a-z0-9_]{1,39}$",
                          description="industry of businesses registered by the import when a "
                          "row has no 行业")
FILE_NAME = QueryParameter(pattern=r"^[^/\\\x00-\x1f\x7f]{1,200}$", description="the file's name "
                           "(for the report; multipart uploads carry their own)")
IDEMPOTENCY_KEY = HeaderParameter(name="Idempotency-Key", pattern=r"^[\x21-\x7e]{1,200}$",
                            description="the same key with the same body answers the same job "
                            "(200); with another body, 409 `idempotency-key-reused`")
MONTH = r"^(19[9][0-9]|20[0-9]{2})-(0[1-9]|1[0-2])$"
DEPARTMENT = QueryParameter(pattern=r"^[a-z][a-z0-9_]{1,39}$",
                            description="source department (operators; a department sees its own)")

FILE_MEDIA_TYPES = frozenset({
    "text/csv", "application/csv", "text/plain", "application/octet-stream",
    "application/vnd.ms-excel", sheets.XLSX_MEDIA_TYPE, "multipart/form-data"})
NDJSON_MEDIA_TYPES = frozenset({"application/x-ndjson", "application/ndjson",
                                "application/jsonl", "application/x-jsonlines"})
PREVIEW_PROBLEMS = 20
REPLAYED = {200: ResponseSpec(data_container=schemas.ImportJob,
                              description="The job this Idempotency-Key already made (a retry)")}
JOB_ERRORS = [Unauthorized, Forbidden, NotFound]
KIND_LABELS = {"bad_check_character": "校验位错误", "name_with_several_codes": "一名多码",
               "code_with_several_names": "一码多名",
               "individual_code_reused": "个体工商户代码复用"}


# --- bodies -----------------------------------------------------------------------------------


async def _receive(request: Request[Any, Any, Any], directory: Path, limit: int,
                   too_large: type[FileTooLarge] | type[BatchTooLarge], setting: str,
                   *, max_lines: int | None = None) -> service.Received:
    """Stream the body to a temporary file, counting and hashing; 413 past ``limit``."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large(f"the body announces {declared} bytes; at most {limit} ({setting})",
                        limit=limit)
    digest = hashlib.sha256()
    size, lines = 0, 0
    path = directory / "body"
    with path.open("wb") as out:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise too_large(f"the body is larger than {limit} bytes ({setting})",
                                limit=limit)
            if max_lines is not None:
                lines += chunk.count(b"\n")
                if lines > max_lines:
                    raise BatchTooLarge(f"more than {max_lines} records "
                                        "(XINYI_IMPORT_MAX_BATCH_RECORDS)", limit=max_lines)
            digest.update(chunk)
            out.write(chunk)
    return service.Received(path, size, digest.hexdigest())


def _extract_multipart(body: Path, boundary: str, directory: Path) -> tuple[Path, str | None]:
    """The ``file`` part of a multipart body, saved to its own file (disk-spooled parser)."""
    import multipart

    target = directory / "upload"
    with body.open("rb") as stream:
        try:
            parser = multipart.MultipartParser(stream, boundary, content_length=-1,
                                               disk_limit=2**40, mem_limit=2**40)
            for part in parser:
                if part.name == "file":
                    part.save_as(str(target))
                    return target, part.filename or None
        except multipart.ParserError as exc:
            raise BadRequest(f"the multipart body cannot be read: {exc}",
                             slug="invalid-multipart") from None
    raise BadRequest("a multipart upload carries the file in a part named `file`",
                     slug="invalid-multipart")


def _file_problem(exc: FileProblem, settings: Settings) -> Exception:
    if exc.code == "too-many-rows":
        return FileTooLarge(f"{exc.message}", limit=settings.import_max_rows, code=exc.code)
    if exc.code == "invalid-columns":
        return Unprocessable(exc.message, slug="invalid-columns", **exc.extra)
    if exc.code == "unknown-layout":
        return Unprocessable(exc.message, slug="unknown-layout")
    return Unprocessable(exc.message, slug="unreadable-file", code=exc.code)


def _check_file(path: Path, layout: str | None, max_rows: int) -> str:
    opened = service.open_file(path, layout, max_rows=max_rows)
    opened.table.close()
    return opened.layout.name


# --- views ------------------------------------------------------------------------------------


def _problem_view(r: asyncpg.Record) -> schemas.ProblemView:
    return schemas.ProblemView(row=r["row_no"], column=r["column_name"], code=r["code"],
                               message=r["message"], value=r["value"])


async def job_view(conn: asyncpg.Connection, job: asyncpg.Record) -> schemas.ImportJob:
    problems = await conn.fetch(q.problems_page, job["id"], 0, PREVIEW_PROBLEMS)
    base = f"/api/v1/imports/{job['id']}"
    links = {"self": base, "problems": f"{base}/problems", "report_csv": f"{base}/report.csv",
             "report_xlsx": f"{base}/report.xlsx"}
    if job["state"] == "validated":
        links["commit"] = f"{base}/commit"
    return schemas.ImportJob(
        id=job["id"], state=job["state"], department=job["department"], source=job["source"],
        layout=job["layout"], dry_run=job["dry_run"], register_unknown=job["register_unknown"],
        file_name=job["file_name"], file_bytes=job["file_bytes"],
        file_sha256=job["file_sha256"], idempotency_key=job["idempotency_key"],
        counts=schemas.Counts(
            rows=job["rows_total"], refused=job["rows_refused"], inserted=job["inserted"],
            corrected=job["corrected"], withdrawn=job["withdrawn"], unchanged=job["unchanged"],
            registered=job["registered"], subjects_affected=job["subjects_affected"],
            subjects_regraded=job["subjects_regraded"]),
        problems_listed=job["problems_listed"], problems=[_problem_view(p) for p in problems],
        failure=schemas.Failure(code=job["failure_slug"], message=job["failure"])
        if job["failure_slug"] else None,
        created_at=job["created_at"], started_at=job["started_at"],
        finished_at=job["finished_at"], links=links)


async def _own_job(conn: asyncpg.Connection, principal: Principal, job_id: str) -> asyncpg.Record:
    job = await conn.fetchrow(q.get_job, int(job_id))
    if job is None or (principal.role != "operator" and job["department"] != principal.department):
        raise NotFound(f"no import job {job_id}")
    return job


def _poke(request: Request[Any, Any, Any]) -> None:
    runner = platform_of(request.app).extras.get(service.RUNNER_KEY)
    if runner is not None:
        runner.poke()


async def _accept(request: Request[Principal, Any, Any], conn: asyncpg.Connection,
                  received: service.Received, *, source: str, file_name: str | None,
                  media_type: str, layout: str | None, dry_run: bool, register_unknown: bool,
                  industry: str | None, idempotency_key: str | None,
                  today: date) -> Response[schemas.ImportJob]:
    """Store the job (or find the one this Idempotency-Key already made) and answer it."""
    principal = request.user
    if idempotency_key is not None:
        existing = await conn.fetchrow(q.job_by_idempotency_key, principal.department,
                                       idempotency_key)
        if existing is not None:
            return _replay(await job_view(conn, existing), existing, received)
    try:
        job = await service.store_job(
            conn, principal, source=source, received=received, file_name=file_name,
            media_type=media_type, layout=layout, dry_run=dry_run,
            register_unknown=register_unknown, default_industry=industry,
            idempotency_key=idempotency_key, today=today)
    except asyncpg.UniqueViolationError:
        existing = await conn.fetchrow(q.job_by_idempotency_key, principal.department,
                                       idempotency_key)
        assert existing is not None
        return _replay(await job_view(conn, existing), existing, received)
    _poke(request)
    return Response(await job_view(conn, job), status_code=202,
                    headers={"Location": f"/api/v1/imports/{job['id']}"})


def _replay(view: schemas.ImportJob, job: asyncpg.Record,
            received: service.Received) -> Response[schemas.ImportJob]:
    if job["file_sha256"] != received.sha256:
        raise Conflict(f"Idempotency-Key {job['idempotency_key']!r} was used for job {job['id']} "
                       "with another body", slug="idempotency-key-reused", job_id=job["id"])
    return Response(view, status_code=200, headers={"Location": f"/api/v1/imports/{job['id']}"})


class ImportController(Controller):
    path = "/api/v1/imports"
    tags = ("imports 数据归集",)

    @post(
        "/",
        guards=[requires("department")],
        request_max_body_size=None,  # counted here against XINYI_IMPORT_MAX_FILE_BYTES
        status_code=202,
        summary="Upload a file of records (CSV or XLSX) as an import job",
        description="The body is the file itself (`text/csv`, `application/vnd.openxmlformats-"
        "officedocument.spreadsheetml.sheet`, `application/vnd.ms-excel`, `application/"
        "octet-stream`; the format is told from the bytes: CSV in UTF-8 with or without BOM or "
        "GB18030/GBK, or XLSX) or `multipart/form-data` with the file in a part named `file`. "
        "Options are query parameters. The header row is checked at once (unknown or missing "
        "columns: 422 naming them); the rows are then checked and, unless `dry_run`, written "
        "by a job: poll `Location`. At most `XINYI_IMPORT_MAX_FILE_BYTES` (413 "
        "`file-too-large`). An `Idempotency-Key` makes a retry safe. docs/imports.md.",
        raises=[Unauthorized, Forbidden, BadRequest, Conflict, Unprocessable, FileTooLarge,
                UnsupportedMediaType],
        responses=REPLAYED,
    )
    async def upload(
        self, request: Request[Principal, Any, Any], db: DB, clock: ClockDep,
        settings: SettingsDep, industries: IndustriesDep,
        layout: Annotated[str | None, LAYOUT] = None,
        dry_run: FromQuery[bool] = False,
        register_unknown: FromQuery[bool] = False,
        industry: Annotated[str | None, INDUSTRY] = None,
        file_name: Annotated[str | None, FILE_NAME] = None,
        idempotency_key: Annotated[str | None, IDEMPOTENCY_KEY] = None,
    ) -> Response[schemas.ImportJob]:
        media_type, options = request.content_type
        if media_type not in FILE_MEDIA_TYPES:
            sent = request.headers.get("content-type") or "no Content-Type"
            raise UnsupportedMediaType(
                f"an import file is sent as CSV, XLSX or multipart/form-data; got {sent}",
                errors=[{"message": "Expected text/csv, an XLSX media type or "
                         "multipart/form-data", "key": "Content-Type", "source": "header"}])
        if industry is not None and industry not in industries:
            raise Unprocessable(f"unknown industry {industry!r}; see GET /api/v1/industries",
                                slug="unknown-industry")
        with tempfile.TemporaryDirectory(prefix="xinyi-upload-") as tmp:
            directory = Path(tmp)
            received = await _receive(request, directory, settings.import_max_file_bytes,
                                      FileTooLarge, "XINYI_IMPORT_MAX_FILE_BYTES")
            if media_type == "multipart/form-data":
                boundary = options.get("boundary")
                if not boundary:
                    raise BadRequest("multipart/form-data without a boundary",
                                     slug="invalid-multipart")
                path, part_name = await asyncio.to_thread(_extract_multipart, received.path,
                                                          boundary, directory)
                file_name = file_name or part_name
                received = service.Received(path, service.file_size(path),
                                            await asyncio.to_thread(service.sha256_file, path))
            try:
                found = await asyncio.to_thread(_check_file, received.path, layout,
                                                settings.import_max_rows)
            except FileProblem as exc:
                raise _file_problem(exc, settings) from None
            async with db.write.acquire() as conn:
                return await _accept(
                    request, conn, received, source="upload", file_name=file_name,
                    media_type=media_type, layout=layout or found, dry_run=dry_run,
                    register_unknown=register_unknown, industry=industry,
                    idempotency_key=idempotency_key, today=clock.today())

    @post(
        "/batches",
        guards=[requires("department")],
        request_max_body_size=None,  # counted here against XINYI_IMPORT_MAX_BATCH_BYTES
        status_code=202,
        summary="Send a batch of records as NDJSON (department systems)",
        description="`application/x-ndjson`: one JSON object per line, keyed by the layout's "
        "English keys (or its Chinese headers), with `layout` per line or as a query parameter. "
        "`Idempotency-Key` is required: sending the same batch again answers the same job "
        "(200), and rows are exactly-once by their key anyway. Each line passes the same guards "
        "as a JSON body. At most `XINYI_IMPORT_MAX_BATCH_BYTES` and "
        "`XINYI_IMPORT_MAX_BATCH_RECORDS` lines (413 `batch-too-large`). docs/imports.md.",
        raises=[Unauthorized, Forbidden, BadRequest, Conflict, Unprocessable, BatchTooLarge,
                UnsupportedMediaType],
        responses=REPLAYED,
    )
    async def batch(
        self, request: Request[Principal, Any, Any], db: DB, clock: ClockDep,
        settings: SettingsDep, industries: IndustriesDep,
        layout: Annotated[str | None, LAYOUT] = None,
        dry_run: FromQuery[bool] = False,
        register_unknown: FromQuery[bool] = False,
        industry: Annotated[str | None, INDUSTRY] = None,
        idempotency_key: Annotated[str | None, IDEMPOTENCY_KEY] = None,
    ) -> Response[schemas.ImportJob]:
        media_type, _ = request.content_type
        if media_type not in NDJSON_MEDIA_TYPES:
            sent = request.headers.get("content-type") or "no Content-Type"
            raise UnsupportedMediaType(
                f"a batch is sent as application/x-ndjson; got {sent}",
                errors=[{"message": "Expected application/x-ndjson", "key": "Content-Type",
                         "source": "header"}])
        if idempotency_key is None:
            raise BadRequest("a batch needs an Idempotency-Key header",
                             slug="idempotency-key-required",
                             errors=[{"message": "required", "key": "Idempotency-Key",
                                      "source": "header"}])
        if industry is not None and industry not in industries:
            raise Unprocessable(f"unknown industry {industry!r}; see GET /api/v1/industries",
                                slug="unknown-industry")
        with tempfile.TemporaryDirectory(prefix="xinyi-batch-") as tmp:
            received = await _receive(request, Path(tmp), settings.import_max_batch_bytes,
                                      BatchTooLarge, "XINYI_IMPORT_MAX_BATCH_BYTES",
                                      max_lines=settings.import_max_batch_records)
            async with db.write.acquire() as conn:
                return await _accept(
                    request, conn, received, source="batch", file_name=None,
                    media_type=media_type, layout=layout, dry_run=dry_run,
                    register_unknown=register_unknown, industry=industry,
                    idempotency_key=idempotency_key, today=clock.today())

    @get("/", guards=[requires("department", "operator")],
         summary="Import jobs, newest first", raises=JOB_ERRORS)
    async def list_jobs(
        self, request: Request[Principal, Any, Any], db: DB,
        cursor: Annotated[int | None, QueryParameter(ge=1, le=2**62)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    ) -> schemas.JobPage:
        department = None if request.user.role == "operator" else request.user.department
        async with db.read.acquire() as conn:
            rows = await conn.fetch(q.list_jobs, department, cursor or 2**62, limit + 1)
            items = [await job_view(conn, r) for r in rows[:limit]]
        return schemas.JobPage(items=items,
                               next_cursor=items[-1].id if len(rows) > limit else None)

    @get("/{job_id:str}", guards=[requires("department", "operator")],
         summary="An import job: state, counts, first problems", raises=JOB_ERRORS)
    async def read(self, request: Request[Principal, Any, Any], db: DB,
                   job_id: Annotated[str, JOB_ID]) -> schemas.ImportJob:
        async with db.write.acquire() as conn:
            return await job_view(conn, await _own_job(conn, request.user, job_id))

    @get("/{job_id:str}/problems", guards=[requires("department", "operator")],
         summary="An import job's row-level problems, paged", raises=JOB_ERRORS)
    async def problems(
        self, request: Request[Principal, Any, Any], db: DB, job_id: Annotated[str, JOB_ID],
        cursor: Annotated[int, QueryParameter(ge=0, le=2**31)] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
    ) -> schemas.ProblemPage:
        async with db.write.acquire() as conn:
            await _own_job(conn, request.user, job_id)
            rows = await conn.fetch(q.problems_page, int(job_id), cursor, limit + 1)
        return schemas.ProblemPage(items=[_problem_view(r) for r in rows[:limit]],
                                   next_cursor=rows[limit - 1]["n"] if len(rows) > limit
                                   else None)

    async def _report(self, request: Request[Principal, Any, Any], db: Any,
                      job_id: str) -> tuple[asyncpg.Record, list[list[Any]]]:
        async with db.write.acquire() as conn:
            job = await _own_job(conn, request.user, job_id)
            rows = await conn.fetch(q.problems_page, job["id"], 0, 1_000_000)
        return job, [[r["row_no"], r["column_name"], r["code"], r["message"], r["value"]]
                     for r in rows]

    @get("/{job_id:str}/report.csv", guards=[requires("department", "operator")],
         summary="The row-level report as CSV (UTF-8 with BOM, formula-safe)",
         raises=JOB_ERRORS, media_type="text/csv")
    async def report_csv(self, request: Request[Principal, Any, Any], db: DB,
                         job_id: Annotated[str, JOB_ID]) -> Response[bytes]:
        job, rows = await self._report(request, db, job_id)
        return Response(sheets.to_csv(sheets.REPORT_HEADER, rows),
                        media_type=sheets.CSV_MEDIA_TYPE, headers={
                            "Content-Disposition":
                                f'attachment; filename="import-{job["id"]}-report.csv"'})

    @get("/{job_id:str}/report.xlsx", guards=[requires("department", "operator")],
         summary="The row-level report as XLSX (formula-safe)", raises=JOB_ERRORS,
         media_type=sheets.XLSX_MEDIA_TYPE)
    async def report_xlsx(self, request: Request[Principal, Any, Any], db: DB,
                          job_id: Annotated[str, JOB_ID]) -> Response[bytes]:
        job, rows = await self._report(request, db, job_id)
        data = await asyncio.to_thread(sheets.to_xlsx, [("问题清单", sheets.REPORT_HEADER, rows)])
        return Response(data, media_type=sheets.XLSX_MEDIA_TYPE, headers={
            "Content-Disposition": f'attachment; filename="import-{job["id"]}-report.xlsx"'})

    @post("/{job_id:str}/commit", guards=[requires("department")], status_code=202,
          summary="Commit a validated dry run (the stored file, checked again)",
          description="Only a job in state `validated` whose file is still stored (7 days).",
          raises=[*JOB_ERRORS, Conflict])
    async def commit(self, request: Request[Principal, Any, Any], db: DB, clock: ClockDep,
                     job_id: Annotated[str, JOB_ID]) -> Response[schemas.ImportJob]:
        async with db.write.acquire() as conn:
            job = await _own_job(conn, request.user, job_id)
            if job["state"] != "validated" or not await conn.fetchval(q.has_file, job["id"]):
                raise Conflict(f"import job {job_id} is {job['state']}: only a validated dry "
                               "run whose file is kept can be committed", slug="job-not-validated")
            async with conn.transaction():
                await conn.execute(q.clear_problems, job["id"])
                updated = await conn.fetchrow(q.reset_for_commit, job["id"], clock.today())
            if updated is None:
                raise Conflict(f"import job {job_id} changed meanwhile", slug="job-not-validated")
            _poke(request)
            return Response(await job_view(conn, updated), status_code=202,
                            headers={"Location": f"/api/v1/imports/{job_id}"})


class LayoutController(Controller):
    path = "/api/v1/import-layouts"
    tags = ("imports 数据归集",)

    @get("/", summary="The import layouts and every column", sync_to_thread=False)
    def layouts(self) -> list[schemas.LayoutView]:
        return [schemas.LayoutView(
            name=layout.name, title_zh=layout.title_zh, kind=layout.kind,
            key_column=layout.column(layout.key_column).zh, description=layout.description,
            columns=[schemas.LayoutColumn(key=c.key, zh=c.zh, required=c.required,
                                          stored=c.kind != "ignored", aliases=list(c.aliases),
                                          description=c.description) for c in layout.columns])
            for layout in (BY_NAME[n] for n in LAYOUTS)]

    @get("/{template:str}", summary="A layout's template: `penalty.xlsx`, `licence.csv` …",
         description="XLSX: the header row on the first sheet, the columns explained on the "
         "second. CSV: the header row, UTF-8 with BOM.", raises=[NotFound],
         media_type=sheets.XLSX_MEDIA_TYPE,
         responses={200: ResponseSpec(bytes, media_type=sheets.XLSX_MEDIA_TYPE,
                                      description="the template, XLSX or CSV by its name",
                                      generate_examples=False)},
         opt={ALSO_MEDIA_TYPES: {200: ("text/csv",)}})
    async def template(self, template: Annotated[str, TEMPLATE]) -> Response[bytes]:
        name, fmt = template.split(".")
        layout = BY_NAME[name]
        if fmt == "csv":
            data, media = sheets.template_csv(layout), sheets.CSV_MEDIA_TYPE
        else:
            data = await asyncio.to_thread(sheets.template_xlsx, layout)
            media = sheets.XLSX_MEDIA_TYPE
        return Response(data, media_type=media, headers={
            "Content-Disposition": f'attachment; filename="{name}-template.{fmt}"'})


def _months(first: str | None, last: str | None, today: date) -> tuple[date, date]:
    end = date(int(last[:4]), int(last[5:7]), 1) if last else today.replace(day=1)
    if first:
        start = date(int(first[:4]), int(first[5:7]), 1)
    else:
        index = end.year * 12 + end.month - 1 - 11
        start = date(index // 12, index % 12 + 1, 1)
    if start > end or (end.year * 12 + end.month) - (start.year * 12 + start.month) >= 36:
        raise Unprocessable("from must not be after to, and the report covers at most 36 "
                            "months", slug="invalid-range")
    index = end.year * 12 + end.month
    after = date(index // 12, index % 12 + 1, 1)
    return start, date.fromordinal(after.toordinal() - 1)


def _scope(principal: Principal, department: str | None) -> str | None:
    if principal.role == "operator":
        return department
    if department is not None and department != principal.department:
        raise Forbidden("a department sees its own timeliness report")
    return principal.department


class TimelinessController(Controller):
    path = "/api/v1/disclosure-timeliness"
    tags = ("imports 数据归集",)

    @get("/", guards=[requires("department", "operator")],
         summary="双公示 timeliness: records public within 7 working days, per department and "
         "month",
         description="Per source department and month of decision: records of the "
         "administrative kinds, how many became public by the 7th working day after the "
         "decision (holiday calendar), and the share. A department sees its own.",
         raises=[Unauthorized, Forbidden, Unprocessable])
    async def report(
        self, request: Request[Principal, Any, Any], db: DB, clock: ClockDep,
        from_month: Annotated[str | None, QueryParameter(name="from", pattern=MONTH)] = None,
        to_month: Annotated[str | None, QueryParameter(name="to", pattern=MONTH)] = None,
        department: Annotated[str | None, DEPARTMENT] = None,
    ) -> schemas.TimelinessReport:
        first, last = _months(from_month, to_month, clock.today())
        scope = _scope(request.user, department)
        async with db.read.acquire() as conn:
            calendar = await calendar_for(conn)
            rows, provisional = await timeliness.report(conn, calendar, scope, first, last,
                                                        timeliness.KINDS)
        grouped: dict[tuple[str, str], schemas.TimelinessRow] = {}
        for r in rows:
            key = (r["department"], r["month"])
            row = grouped.get(key)
            if row is None:
                row = grouped[key] = schemas.TimelinessRow(
                    department=key[0], month=key[1], records=0, on_time=0, late=0,
                    on_time_share=0.0, kinds=[])
            row.records += r["records"]
            row.on_time += r["on_time"]
            row.kinds.append(schemas.TimelinessKind(kind=r["kind"], records=r["records"],
                                                    on_time=r["on_time"]))
        for row in grouped.values():
            row.late = row.records - row.on_time
            row.on_time_share = round(row.on_time / row.records, 4) if row.records else 0.0
        return schemas.TimelinessReport(
            rule=f"公示于决定之日后第 {timeliness.WORKING_DAYS} 个工作日内为及时",
            provisional=provisional, rows=list(grouped.values()))

    @get("/late", guards=[requires("department", "operator")],
         summary="Records published later than 7 working days after their decision",
         raises=[Unauthorized, Forbidden, Unprocessable])
    async def late(
        self, request: Request[Principal, Any, Any], db: DB, clock: ClockDep,
        from_month: Annotated[str | None, QueryParameter(name="from", pattern=MONTH)] = None,
        to_month: Annotated[str | None, QueryParameter(name="to", pattern=MONTH)] = None,
        department: Annotated[str | None, DEPARTMENT] = None,
        cursor: Annotated[str | None, QueryParameter(pattern=r"^R[0-9]{10}$")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    ) -> schemas.LatePage:
        first, last = _months(from_month, to_month, clock.today())
        scope = _scope(request.user, department)
        async with db.read.acquire() as conn:
            calendar = await calendar_for(conn)
            rows = await timeliness.late(conn, calendar, scope, first, last, timeliness.KINDS,
                                         cursor or "", limit + 1)
        items = [schemas.LateRecord(**r) for r in rows[:limit]]
        return schemas.LatePage(items=items,
                                next_cursor=items[-1].id if len(rows) > limit else None)


def _review_view(r: asyncpg.Record) -> schemas.CodeReview:
    return schemas.CodeReview(
        id=r["id"], kind=r["kind"], kind_label=KIND_LABELS[r["kind"]], key=r["key"],
        department=r["department"], subject_ids=list(r["subject_ids"]), codes=list(r["codes"]),
        names=list(r["names"]), evidence=list(r["evidence"]), found_by=r["found_by"],
        status=r["status"], resolution=r["resolution"], reason=r["reason"],
        resolved_by=r["resolved_by"], found_at=r["found_at"], resolved_at=r["resolved_at"])


class CodeReviewController(Controller):
    path = "/api/v1/code-reviews"
    tags = ("imports 数据归集",)

    @get("/", guards=[requires("department", "operator")],
         summary="重错码治理: suspected duplicate and wrong codes to resolve",
         description="A department sees the items assigned to it (found in its imports, or "
         "about subjects it registered); an operator sees all.",
         raises=[Unauthorized, Forbidden])
    async def list_items(
        self, request: Request[Principal, Any, Any], db: DB,
        status: Annotated[str | None, QueryParameter(
            pattern=r"^(open|merged|corrected|dismissed)$")] = "open",
        kind: Annotated[str | None, QueryParameter(
            pattern=r"^(bad_check_character|name_with_several_codes|code_with_several_names|"
                    r"individual_code_reused)$")] = None,
        cursor: Annotated[int, QueryParameter(ge=0, le=2**62)] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> schemas.CodeReviewPage:
        department = None if request.user.role == "operator" else request.user.department
        async with db.read.acquire() as conn:
            rows = await conn.fetch(review.q.list_reviews, department, status, kind, cursor,
                                    limit + 1)
        items = [_review_view(r) for r in rows[:limit]]
        return schemas.CodeReviewPage(items=items,
                                      next_cursor=items[-1].id if len(rows) > limit else None)

    @get("/{review_id:str}", guards=[requires("department", "operator")],
         summary="A review item", raises=[Unauthorized, Forbidden, NotFound])
    async def read(self, request: Request[Principal, Any, Any], db: DB,
                   review_id: Annotated[str, REVIEW_ID]) -> schemas.CodeReview:
        async with db.read.acquire() as conn:
            return _review_view(await review.get_item(conn, int(review_id), request.user))

    @post("/{review_id:str}/resolution", guards=[requires("department", "operator")],
          status_code=200, summary="Resolve a review item: dismiss, correct or merge",
          description="`merge` marks `merge` as merged into `keep`: its records are re-pointed "
          "(each change kept as a revision), its stores move, it is closed; subjects are never "
          "deleted. Audited as `code_review.<action>`; the subjects are regraded.",
          raises=[Unauthorized, Forbidden, NotFound, Conflict, Unprocessable])
    async def resolve(self, request: Request[Principal, Any, Any], db: DB, grader: GraderDep,
                      clock: ClockDep, review_id: Annotated[str, REVIEW_ID],
                      data: JSONBody[schemas.Resolution]) -> schemas.CodeReview:
        async with db.write.acquire() as conn:
            row = await review.resolve(
                conn, grader, request.user, int(review_id), data.action, reason=data.reason,
                keep=data.keep, merge=data.merge, subject_id=data.subject_id, uscc=data.uscc,
                name=data.name, today=clock.today(), endpoint=audit.endpoint_of(request))
            return _review_view(row)


class RevisionController(Controller):
    path = "/api/v1/records/{record_id:str}/revisions"
    tags = ("records 信用记录",)

    @get("/", guards=[requires("department", "operator")],
         summary="A record's earlier versions (corrections, withdrawal, merges)",
         description="The source department (or an operator) sees every earlier version of "
         "its record, oldest first.", raises=[Unauthorized, Forbidden, NotFound])
    async def revisions(self, request: Request[Principal, Any, Any], db: DB,
                        record_id: Annotated[str, RECORD_ID]) -> list[schemas.Revision]:
        async with db.read.acquire() as conn:
            owner = await conn.fetchrow(q.record_owner, record_id)
            if owner is None:
                raise NotFound(f"no record {record_id}")
            if request.user.role != "operator" and \
                    owner["source_department"] != request.user.department:
                raise Forbidden("only the department that recorded it sees its revisions",
                                slug="not-record-owner")
            rows = await conn.fetch(q.record_revisions, record_id)
        return [schemas.Revision(id=r["id"], revised_at=r["revised_at"], previous=r["previous"])
                for r in rows]


CONTROLLERS = [ImportController, LayoutController, TimelinessController, CodeReviewController,
               RevisionController]
