"""Grading 信用评价 as a plugin: the daily regrade of subjects whose grade is due."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

import asyncpg

from xinyi_api.hookspecs import hookimpl
from xinyi_api.jobs import Job

if TYPE_CHECKING:
    from xinyi_api.platform import Platform


@hookimpl
def scheduled_jobs(platform: Platform) -> Sequence[Job]:
    async def regrade_due(conn: asyncpg.Connection, today: date) -> str:
        from xinyi_api.grading.regrade import run_regrade

        report = await run_regrade(conn, platform.grader, today, due_only=True)
        return f"{report.processed} subject(s) whose grade was due regraded"

    return [Job("grading.regrade_due", "daily", "Regrade the subjects whose grade is due (a "
                "record left its display period, an indicator's data lapsed).", regrade_due,
                order=50)]
