"""The scenario's own endpoint: the owning department records a staff report.

The core mounts ``route_handlers`` under ``/api/v1/scenarios/<key>`` and gives every handler a
``ctx`` (``ContextDep``): who calls, a transaction, the covered subject, the regrade, the audit
log, the clock and the settings. Paths must stay clear of the generic endpoints every scenario
has (``/``, ``/participants…``, ``/redemptions``, ``/person-reports``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import msgspec
from litestar import Controller, put
from litestar.params import JSONBody, PathParameter
from xinyi_api.scenarios.kit import (
    GRADE_LABELS,
    ContextDep,
    Forbidden,
    NotFound,
    PlausibleDate,
    Unauthorized,
    Unprocessable,
    requires,
)

from xinyi_scenario_housekeeping.data import Settings, q

SUBJECT_ID = PathParameter(pattern=r"^[ES][0-9]{8}$", description="enterprise or store id")


class WorkerCheckPut(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A staff report (从业人员情况) of one day."""

    reported_on: Annotated[PlausibleDate, msgspec.Meta(
        description="not in the future, nor older than the configured max_report_age_days")]
    workers: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]
    certified_workers: Annotated[int, msgspec.Meta(ge=0, le=1_000_000,
                                                    description="at most workers")]


class WorkerCheck(msgspec.Struct, kw_only=True):
    subject_id: str
    reported_on: date
    workers: int
    certified_workers: int
    recorded_by: str | None
    grade: str
    """The subject's grade under the scenario after the report."""
    grade_label: str


class WorkerCheckController(Controller):
    path = "/worker-checks"

    @put(
        "/{subject_id:str}",
        guards=[requires("department")],
        summary="Record a subject's staff report",
        description="The owning department "
        "(`swj`, or a department token carrying the scenario) "
        "records how many of the subject's workers are certified (持证上岗); the subject is "
        "regraded in the same transaction. One report per day: recording the same day again "
        "corrects it. 422 `invalid-dates` for a report in the future or older than "
        "`XINYI_SCENARIO_HOUSEKEEPING_MAX_REPORT_AGE_DAYS`.",
        raises=[Unauthorized, Forbidden, NotFound, Unprocessable],
    )
    async def put_worker_check(
        self, ctx: ContextDep, subject_id: Annotated[str, SUBJECT_ID],
        data: JSONBody[WorkerCheckPut],
    ) -> WorkerCheck:
        ctx.ensure_owner()
        config: Settings = ctx.config
        if data.certified_workers > data.workers:
            raise Unprocessable("certified_workers exceeds workers")
        if data.reported_on > ctx.today:
            raise Unprocessable("reported_on lies in the future", slug="invalid-dates")
        if (ctx.today - data.reported_on).days > config.max_report_age_days:
            raise Unprocessable(f"reported_on is more than {config.max_report_age_days} days "
                                "ago", slug="invalid-dates")
        async with ctx.transaction() as conn:
            subject = await ctx.covered_subject(conn, subject_id)
            row = await conn.fetchrow(q.upsert_worker_check, subject.id, data.reported_on,
                                      data.workers, data.certified_workers, ctx.principal.sub)
            grades = await ctx.regrade(conn, [subject.id])
            await ctx.audit(conn, "worker_check.put", subject_id=subject.id,
                            detail={"reported_on": data.reported_on.isoformat(),
                                    "workers": data.workers,
                                    "certified_workers": data.certified_workers})
        result = grades.get(subject.id)
        grade = result.grade if result is not None else "unrated"
        return WorkerCheck(**dict(row), grade=grade, grade_label=GRADE_LABELS[grade])
