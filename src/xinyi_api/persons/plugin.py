"""Personal credit 个人信用 as a plugin: endpoints, ``persons sync`` and its daily job."""

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
    from xinyi_api.persons.routes import CONTROLLERS

    return CONTROLLERS


@hookimpl
def cli_commands() -> Sequence[click.Command]:
    from xinyi_api.persons.cli import persons

    return [persons]


@hookimpl
def scheduled_jobs(platform: Platform) -> Sequence[Job]:
    async def sync(conn: asyncpg.Connection, today: date) -> str:
        async with conn.transaction():
            written = await platform.persons.sync(conn, None, today)
        return f"{written} person record(s) written"

    return [Job("persons.sync", "daily", "Let every scenario update person records (mark "
                "unpaid 先医后付 bills overdue …).", sync, order=10)]
