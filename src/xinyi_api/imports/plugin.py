"""数据归集 imports as a plugin: routes, the job runner, the CLI commands and scheduled jobs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import asyncpg

from xinyi_api.hookspecs import hookimpl
from xinyi_api.jobs import Job

if TYPE_CHECKING:
    import click

    from xinyi_api.platform import Platform


@hookimpl
def route_handlers() -> Sequence[Any]:
    from xinyi_api.imports.routes import CONTROLLERS

    return CONTROLLERS


@hookimpl
def app_lifespans() -> Sequence[Any]:
    from xinyi_api.imports.service import runner_lifespan

    return [runner_lifespan]


@hookimpl
def cli_commands() -> Sequence[click.Command]:
    from xinyi_api.imports.cli import import_file, import_template

    return [import_file, import_template]


@hookimpl
def scheduled_jobs(platform: Platform) -> Sequence[Job]:
    async def code_review(conn: asyncpg.Connection, today: date) -> str:
        from xinyi_api.imports.review import scan

        return f"{await scan(conn, today)} suspected duplicate or wrong code(s) on the review list"

    async def cleanup(conn: asyncpg.Connection, today: date) -> str:
        from xinyi_api.imports.service import FILE_RETENTION_DAYS, q

        rows = await conn.fetch(q.expired_files, FILE_RETENTION_DAYS)
        return f"stored files of {len({r['job_id'] for r in rows})} finished import job(s) dropped"

    async def resume(conn: asyncpg.Connection, today: date) -> str:
        from xinyi_api.imports.service import ImportRunner, Services

        runner = ImportRunner(Services(platform.settings, platform.grader, platform.industries,
                                       platform.clock))
        return f"{await runner.run_pending(conn)} import job(s) run"

    return [
        Job("imports.code_review", "monthly", "重错码治理: check every subject's code (check "
            "character, one name with several codes, 个体工商户 codes) onto the review list.",
            code_review),
        Job("imports.cleanup", "daily", "Drop the stored files of import dry runs not committed "
            "within 7 days.", cleanup, order=200),
        Job("imports.resume", "hourly", "Run import jobs no worker is running (when no app "
            "process runs).", resume),
    ]
