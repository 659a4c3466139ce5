"""Print jobs 批量印制 as a plugin: the endpoints, ``xinyi-api codes export`` and the retention
job."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from xinyi_api.hookspecs import hookimpl

if TYPE_CHECKING:
    import click

    from xinyi_api.jobs import Job
    from xinyi_api.platform import Platform


@hookimpl
def route_handlers(platform: Platform) -> Sequence[Any]:
    from xinyi_api.printing.routes import CONTROLLERS

    return CONTROLLERS


@hookimpl
def app_lifespans() -> Sequence[Any]:
    from xinyi_api.printing.service import runner_lifespan

    return [runner_lifespan]


@hookimpl
def cli_commands() -> Sequence[click.Command]:
    from xinyi_api.printing.cli import codes

    return [codes]


@hookimpl
def scheduled_jobs(platform: Platform) -> Sequence[Job]:
    from xinyi_api.jobs import Job
    from xinyi_api.printing.service import expire_outputs

    settings = platform.settings

    async def expire(conn: Any, today: Any) -> str:
        removed = await expire_outputs(conn, settings, platform.clock.now())
        return f"{removed} print job output(s) past XINYI_PRINT_RETENTION_DAYS removed"

    return [Job(name="printing.expire", schedule="daily",
                description="remove print job outputs older than XINYI_PRINT_RETENTION_DAYS",
                run=expire)]
