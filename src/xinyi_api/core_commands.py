"""The core's own ``xinyi-api`` commands: serve, migrate, token, department, regrade, keys, jobs.

Registered through the ``cli_commands`` hook like any package's (``xinyi_api.plugins``).
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Sequence
from datetime import date, datetime
from functools import partial
from typing import Any

import asyncpg
import click

from xinyi_api.commands import (
    AS_OF,
    database,
    migrate_all,
    platform_for,
    run,
    settings_from_env,
    today_of,
)
from xinyi_api.hookspecs import hookimpl
from xinyi_api.jobs import Job
from xinyi_api.settings import Settings


@click.command()
def migrate() -> None:
    """Apply pending migrations (each once, under an advisory lock)."""
    from xinyi_api.db.migrate import MigrationError

    settings = settings_from_env()
    with database(settings) as s:
        try:
            applied = run(s, lambda conn: migrate_all(conn, s))
        except MigrationError as exc:
            raise click.ClickException(str(exc)) from None
    for name in applied:
        click.echo(f"applied {name}")
    click.echo("migrations are current" if not applied else f"{len(applied)} applied")


@click.command()
@click.option("--demo", is_flag=True,
              help="Load the demo data set (idempotent) and enable demo mode.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
def serve(demo: bool, host: str, port: int, workers: int) -> None:
    """Run the HTTP service (uvicorn)."""
    import uvicorn

    from xinyi_api.db.migrate import MigrationError

    settings = settings_from_env()
    with database(settings) as s:
        assert s.database_url is not None
        try:
            applied = run(s, lambda conn: migrate_all(conn, s))
        except MigrationError as exc:
            raise click.ClickException(str(exc)) from None
        for name in applied:
            click.echo(f"applied {name}")
        if demo:
            from xinyi_api.demo.loader import load_demo

            report = run(s, lambda conn: load_demo(conn, s))
            click.echo(report)
        # Workers are separate processes: they find the database and secret in the environment.
        os.environ["DATABASE_URL"] = s.database_url
        os.environ["XINYI_SECRET_KEY"] = s.secret_key
        if demo:
            os.environ["XINYI_DEMO"] = "true"
        click.echo(f"serving on http://{host}:{port} (OpenAPI UI at /schema)")
        uvicorn.run(
            "xinyi_api.asgi:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=s.log_level.lower(),
            # X-Forwarded-For is read by the app, from XINYI_TRUSTED_PROXIES only; uvicorn's
            # own handling would trust every loopback peer (consumers/context.py).
            proxy_headers=False,
        )


@click.command()
@click.option("--department", "department", help="部门 code of a department token.")
@click.option("--scenario", "scenarios", multiple=True, help="Scenario key (repeatable).")
@click.option("--operator", "operator", help="Operator name for an operator token.")
@click.option("--ttl", default=3600, show_default=True, type=click.IntRange(60, None),
              help="Lifetime in seconds.")
def token(department: str | None, scenarios: tuple[str, ...], operator: str | None,
          ttl: int) -> None:
    """Issue a signed service token for a department or an operator."""
    if (department is None) == (operator is None):
        raise click.UsageError("give exactly one of --department CODE or --operator NAME")
    settings = settings_from_env()
    if ttl > settings.service_token_max_ttl:
        raise click.UsageError(f"--ttl may be at most {settings.service_token_max_ttl} seconds "
                               "(XINYI_SERVICE_TOKEN_MAX_TTL)")
    if scenarios:
        from xinyi_api.scenarios.registry import registry_for

        enabled = registry_for(settings.scenarios).keys
        unknown = [key for key in scenarios if key not in enabled]
        if unknown:
            raise click.UsageError(f"no enabled scenario {', '.join(map(repr, unknown))} "
                                   f"(enabled: {', '.join(enabled) or 'none'})")

    async def job(conn: asyncpg.Connection) -> str:
        from xinyi_api.auth.tokens import issue_token
        from xinyi_api.keys import KeyStore

        claims: dict[str, Any] = {}
        if department is not None:
            row = await conn.fetchrow(
                "SELECT code, region_code FROM departments WHERE code = $1", department
            )
            if row is None:
                known = [r["code"] for r in await conn.fetch("SELECT code FROM departments")]
                raise click.ClickException(
                    f"no department {department!r}; known: {', '.join(known) or 'none'} "
                    "(add one with `xinyi-api department add`)"
                )
            claims = {"dept": department, "region": row["region_code"],
                      "scenarios": list(scenarios)}
        keys = KeyStore(None, settings.secret_key)
        await keys.load(conn)
        return issue_token(
            keys, issuer=settings.jwt_issuer, audience=settings.jwt_audience,
            subject=f"department:{department}" if department else f"operator:{operator}",
            role="department" if department else "operator",
            ttl_seconds=ttl, claims=claims,
        )

    with database(settings) as s:
        click.echo(run(s, job))


@click.group()
def department() -> None:
    """Manage departments (部门)."""


@department.command("add")
@click.argument("code")
@click.option("--name", required=True, help="Full Chinese name, e.g. 淮南市市场监督管理局.")
@click.option("--region", default=None, help="6-digit 行政区划 code the department covers.")
@click.option("--phone", default=None,
              help="Public telephone 咨询电话 shown on scan pages, e.g. 0554-6662315.")
def department_add(code: str, name: str, region: str | None, phone: str | None) -> None:
    """Add or rename a department."""
    settings = settings_from_env()

    async def job(conn: asyncpg.Connection) -> None:
        try:
            await conn.execute(
                "INSERT INTO departments (code, name, region_code, phone) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (code) DO UPDATE SET name = excluded.name,"
                " region_code = excluded.region_code,"
                " phone = coalesce(excluded.phone, departments.phone)",
                code, name, region, phone,
            )
        except asyncpg.CheckViolationError:
            raise click.UsageError(
                "code must be lower-case letters, digits or _ (2–40); region 6 digits; "
                "phone digits and dashes (3–20)"
            ) from None

    with database(settings) as s:
        run(s, job)
    click.echo(f"department {code} saved")


@department.command("list")
def department_list() -> None:
    """List departments."""
    settings = settings_from_env()
    with database(settings) as s:
        rows = run(s, lambda conn: conn.fetch(
            "SELECT code, name, region_code FROM departments ORDER BY code"))
    for r in rows:
        click.echo(f"{r['code']}\t{r['region_code'] or '-'}\t{r['name']}")


@click.command()
@click.option("--due", is_flag=True, help="Only subjects whose grade is due (a record expired).")
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1, 100_000))
@AS_OF
def regrade(due: bool, batch_size: int, as_of: datetime | None) -> None:
    """Recompute grades in batches; an interrupted run resumes where it stopped."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from xinyi_api.grading.regrade import run_regrade

    settings = settings_from_env()
    grader = platform_for(settings).grader
    today = today_of(settings, as_of)

    with database(settings) as s:
        assert s.direct_url is not None
        url = s.direct_url

        async def job() -> str:
            from xinyi_api.db.pool import connect

            conn = await connect(url)
            # A second connection: one batch is stored while the next is graded.
            second = await connect(url)
            try:
                with Progress("[progress.description]{task.description}", BarColumn(),
                              MofNCompleteColumn(), TimeRemainingColumn(),
                              transient=not sys.stderr.isatty()) as bar:
                    task = bar.add_task("regrading", total=None)
                    report = await run_regrade(
                        conn, grader, today, batch_size=batch_size, due_only=due,
                        second=second,
                        progress=lambda done, total: bar.update(task, completed=done,
                                                                total=total),
                    )
            finally:
                await second.close()
                await conn.close()
            verb = "resumed run" if report.resumed else "run"
            return f"{verb} {report.run_id}: {report.processed} subjects regraded"

        click.echo(asyncio.run(job()))


@click.group()
def keys() -> None:
    """Manage signing keys (rotate, retire, list)."""


@keys.command("list")
def keys_list() -> None:
    """List signing keys."""
    settings = settings_from_env()
    with database(settings) as s:
        rows = run(s, lambda conn: conn.fetch(
            "SELECT kid, algorithm, created_at, retired_at FROM signing_keys"
            " ORDER BY purpose, number"))
    for r in rows:
        state = f"retired {r['retired_at']:%Y-%m-%d}" if r["retired_at"] else "live"
        click.echo(f"{r['kid']}\t{r['algorithm']}\t{r['created_at']:%Y-%m-%d}\t{state}")


@keys.command("rotate")
@click.option("--purpose", type=click.Choice(["access", "code"]), required=True)
def keys_rotate(purpose: str) -> None:
    """Create a new newest key; older keys keep verifying until retired.

    Access keys are Ed25519; code keys are BLS12-381 (version-2 tokens, QR version 5). Rotate the
    code key once every worker runs a release that knows BLS keys.
    """
    from xinyi_api.keys import create_key

    settings = settings_from_env()
    with database(settings) as s:
        kid = run(s, lambda conn: create_key(conn, purpose, s.secret_key))  # type: ignore[arg-type]
    click.echo(f"created {kid}; running workers sign with it within seconds (at most 30 s)")


@keys.command("retire")
@click.argument("kid")
def keys_retire(kid: str) -> None:
    """Retire a key: nothing it signed verifies any more (printed codes too, for code keys)."""
    from xinyi_api.keys import retire_key

    settings = settings_from_env()
    with database(settings) as s:
        try:
            done = run(s, lambda conn: retire_key(conn, kid))
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
    if not done:
        raise click.ClickException(f"no live key {kid}")
    click.echo(f"retired {kid}; running workers stop accepting it within seconds (at most 30 s)")




@click.group()
def jobs() -> None:
    """Scheduled jobs 定时任务 of every package: run them from cron or a systemd timer.

    Run `xinyi-api jobs daily` once a day (after midnight in XINYI_TIMEZONE).
    """


def _jobs(settings: Settings) -> list[Job]:
    from xinyi_api.plugins import collect

    found: list[Job] = collect("scheduled_jobs", platform=platform_for(settings))
    return sorted(found, key=lambda job: (job.order, job.name))


@jobs.command("list")
def jobs_list() -> None:
    """Every scheduled job: name, schedule, what it does."""
    for job in _jobs(settings_from_env()):
        click.echo(f"{job.name}	{job.schedule}	{job.description}")


def _run_jobs(names: list[str] | None, schedule: str | None, as_of: datetime | None) -> None:
    settings = settings_from_env()
    today = today_of(settings, as_of)
    chosen = [j for j in _jobs(settings)
              if (names is None or j.name in names) and (schedule is None or
                                                         j.schedule == schedule)]
    if names is not None and len(chosen) != len(set(names)):
        known = ", ".join(j.name for j in _jobs(settings))
        raise click.UsageError(f"unknown job among {', '.join(names)} (known: {known})")
    with database(settings) as s:
        for job in chosen:
            summary: str = run(s, partial(_run_one, job, today))
            click.echo(f"{job.name}: {summary}")


async def _run_one(job: Job, today: date, conn: asyncpg.Connection) -> str:
    return await job.run(conn, today)


@jobs.command("run")
@click.argument("names", nargs=-1, required=True)
@AS_OF
def jobs_run(names: tuple[str, ...], as_of: datetime | None) -> None:
    """Run the named jobs now, in order."""
    _run_jobs(list(names), None, as_of)


@jobs.command("daily")
@AS_OF
def jobs_daily(as_of: datetime | None) -> None:
    """Run every daily job, syncs first, then the regrade of what is due."""
    _run_jobs(None, "daily", as_of)


@hookimpl
def cli_commands() -> Sequence[click.Command]:
    return [migrate, serve, token, department, regrade, keys, jobs]
