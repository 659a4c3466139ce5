"""``xinyi-api persons …``: personal credit (个人信用) jobs."""

from __future__ import annotations

from datetime import datetime

import asyncpg
import click

from xinyi_api.commands import AS_OF, database, platform_for, run, settings_from_env, today_of


@click.group()
def persons() -> None:
    """个人信用: personal credit jobs."""


@persons.command("sync")
@AS_OF
def persons_sync(as_of: datetime | None) -> None:
    """Let every scenario update person records (e.g. mark unpaid 先医后付 bills overdue).

    Run it daily (cron); a person's records are also synced whenever their credit is read.
    """
    settings = settings_from_env()
    today = today_of(settings, as_of)
    service = platform_for(settings).persons

    async def job(conn: asyncpg.Connection) -> int:
        async with conn.transaction():
            return await service.sync(conn, None, today)

    with database(settings) as s:
        written = run(s, job)
    click.echo(f"{written} person record(s) written")
