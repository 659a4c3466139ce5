"""HTTP endpoints of print jobs 批量印制: order, poll, download, list."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.response import File

from xinyi_api import audit
from xinyi_api.auth.guards import requires
from xinyi_api.auth.tokens import Principal
from xinyi_api.deps import DB, IndustriesDep, SettingsDep
from xinyi_api.errors import Conflict, Forbidden, Gone, NotFound, Unauthorized, Unprocessable
from xinyi_api.printing import schemas, service

TAG = "codes 诚信码"
JOB_ID = PathParameter(pattern=r"^[0-9]{1,18}$", description="print job id")
Req = Request[Principal, Any, Any]


class PrintJobController(Controller):
    path = "/api/v1/print-jobs"
    tags = (TAG,)

    @post(
        "/",
        status_code=202,
        guards=[requires("department")],
        summary="Order the codes of a region, district or industry for print (批量印制)",
        description="A background job: one print-ready PDF of N-up sheets with crop marks "
        "(`paper` A4 or A3, `per_sheet` 4 or 8) or a ZIP of one PNG/SVG per code with "
        "`manifest.csv`. Answers 202 with the job and `Location`; poll it, then download "
        "`/output`. Filters: `region` (default: the department's), or `district` (its stores), "
        "optionally with `industry` and `kind`; only open businesses with an active code are "
        "printed. Inside the department's region only (403 `out-of-region`); one job at a time "
        "per department (409 `print-job-running`); an unknown district is 404 "
        "`unknown-district`, an unknown industry 422 `unknown-industry`, region and district "
        "together 422 `invalid-print-filters`, nothing selected 422 `print-selection-empty`, "
        "more than `XINYI_PRINT_MAX_CODES` 422 `print-selection-too-large`. Audited "
        "(`print.order`).",
        raises=[Unauthorized, Forbidden, NotFound, Conflict, Unprocessable],
        responses={202: ResponseSpec(schemas.PrintJob, description="the job, queued",
                                     generate_examples=False)},
    )
    async def create(self, request: Req, data: JSONBody[schemas.PrintJobCreate], db: DB,
                     settings: SettingsDep, industries: IndustriesDep
                     ) -> Response[schemas.PrintJob]:
        clock = request.app.state.clock
        async with db.write.acquire() as conn:
            row = await service.create_job(conn, request.user, data, industries=industries,
                                           settings=settings, now=clock.now(),
                                           endpoint=audit.endpoint_of(request))
        runner = service.runner_of(request.app)
        if runner is not None:
            runner.poke()
        return Response(service.to_schema(row, settings), status_code=202,
                        headers={"Location": f"/api/v1/print-jobs/{row['id']}"})

    @get(
        "/",
        guards=[requires("department", "operator")],
        summary="The department's print jobs, newest first (an operator: every job)",
        raises=[Unauthorized, Forbidden],
    )
    async def list_jobs(
        self, request: Req, db: DB, settings: SettingsDep,
        limit: Annotated[int, QueryParameter(ge=1, le=100, description="at most")] = 20,
    ) -> list[schemas.PrintJob]:
        async with db.read.acquire() as conn:
            department = (request.user.department if request.user.role == "department"
                          else None)
            rows = await conn.fetch(service.q.jobs_of_department, department, limit)
        return [service.to_schema(r, settings) for r in rows]

    @get(
        "/{job_id:str}",
        guards=[requires("department", "operator")],
        summary="A print job and its progress",
        description="`status` queued → running → done (or failed), `done` of `total` codes, "
        "`output` once done. Another department's job is 404 `unknown-print-job`.",
        raises=[Unauthorized, Forbidden, NotFound],
    )
    async def read(self, request: Req, job_id: Annotated[str, JOB_ID], db: DB,
                   settings: SettingsDep) -> schemas.PrintJob:
        async with db.write.acquire() as conn:  # the primary: progress moves every chunk
            row = await service.get_job(conn, request.user, int(job_id))
        return service.to_schema(row, settings)

    @get(
        "/{job_id:str}/output",
        guards=[requires("department", "operator")],
        summary="Download a finished print job (PDF or ZIP, streamed from storage)",
        description="409 `print-job-not-ready` until the job is done; 410 "
        "`print-output-expired` after `XINYI_PRINT_RETENTION_DAYS`. Audited "
        "(`print.download`).",
        raises=[Unauthorized, Forbidden, NotFound, Conflict, Gone],
        responses={200: ResponseSpec(bytes, media_type="application/pdf",
                                     description="application/pdf or application/zip",
                                     generate_examples=False)},
    )
    async def output(self, request: Req, job_id: Annotated[str, JOB_ID], db: DB,
                     settings: SettingsDep) -> File:
        async with db.write.acquire() as conn:
            path, row = await service.output_of(conn, request.user, int(job_id), settings,
                                                endpoint=audit.endpoint_of(request))
        # Litestar streams the file from disk in chunks: a large output never sits in memory.
        return File(path=path, filename=row["output_name"],
                    media_type=service.media_type(row["format"]),
                    content_disposition_type="attachment")


CONTROLLERS = [PrintJobController]
