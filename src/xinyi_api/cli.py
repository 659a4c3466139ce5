"""The ``xinyi-api`` command: serve, migrate, token, regrade, department, keys, audit, persons.

Every command reads the same settings as the server. Without ``DATABASE_URL`` the embedded
PostgreSQL in ``XINYI_DATA_DIR`` is started (or joined, if ``serve`` is already running it).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

import asyncpg
import click

from xinyi_api.accountability.cli import audit as audit_commands
from xinyi_api.settings import Settings, SettingsError

T = TypeVar("T")

AS_OF = click.option(
    "--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
    help="Work as of this date (YYYY-MM-DD) instead of today in XINYI_TIMEZONE: re-run a "
    "missed day's job, or check what a date will bring.")


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise click.UsageError(f"bad configuration: {exc}") from None


class Terminated(BaseException):
    """SIGTERM arrived: raised in the main thread, like ``KeyboardInterrupt`` for SIGINT, so
    every ``finally`` runs (the embedded PostgreSQL is stopped) before the process ends."""


class _SigtermGuard:
    """SIGTERM raises ``Terminated`` while armed; before that it is held (``pending``)."""

    def __init__(self) -> None:
        self.armed = False
        self.pending = False

    def handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.armed:
            self.armed = False  # a second SIGTERM must not interrupt the clean-up
            raise Terminated(signum)
        self.pending = True

    def arm(self) -> None:
        """From now on SIGTERM raises — and one that arrived before does, now."""
        self.armed = True
        if self.pending:
            self.pending = self.armed = False
            raise Terminated(signal.SIGTERM)

    def disarm(self) -> None:
        self.armed = False


@contextmanager
def _stop_on_sigterm() -> Iterator[_SigtermGuard]:
    """Treat SIGTERM (systemd, ``docker stop``, ``kill``) like SIGINT for the duration.

    Python's default SIGTERM ends the process at once — no ``finally``, no ``atexit`` — which
    left the embedded PostgreSQL running, with a holder list naming a dead process. Here the
    signal raises ``Terminated`` once the caller ``arm``s the guard (a SIGTERM that arrives while
    the database starts is held until then); when everything has unwound, the process ends by
    the same signal, as it would have, so a supervisor sees an ordinary SIGTERM exit.

    ``uvicorn.run`` installs its own handlers for a graceful shutdown and afterwards restores
    this one and raises the signal again: ``serve`` stops uvicorn first, then the database.
    """
    guard = _SigtermGuard()
    if threading.current_thread() is not threading.main_thread():
        yield guard  # signals reach the main thread only; nothing to do
        return
    previous = signal.signal(signal.SIGTERM, guard.handle)
    terminated = False
    try:
        yield guard
    except Terminated:
        terminated = True
    finally:
        signal.signal(signal.SIGTERM, previous)
    if terminated:
        sys.stdout.flush()
        sys.stderr.flush()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.raise_signal(signal.SIGTERM)


@contextmanager
def _database(settings: Settings) -> Iterator[Settings]:
    """Settings with a usable ``database_url``, starting the embedded server if needed.

    The embedded server is stopped on the way out — normal return, error, Ctrl-C or SIGTERM.
    """
    if settings.database_url is not None:
        yield settings
        return
    from xinyi_api.db.embedded import EmbeddedPostgres

    with _stop_on_sigterm() as guard:
        embedded = EmbeddedPostgres(settings.data_dir)
        try:
            guard.arm()
            yield settings.with_database(embedded.url)
        finally:
            guard.disarm()
            embedded.stop()


def _run(settings: Settings, job: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    from xinyi_api.db.pool import connect

    async def main() -> T:
        assert settings.database_url is not None
        try:
            conn = await connect(settings.database_url)
        except (OSError, asyncpg.PostgresError) as exc:
            raise click.ClickException(f"cannot reach the database: {exc}") from None
        try:
            return await job(conn)
        finally:
            await conn.close()

    return asyncio.run(main())


async def _migrate(conn: asyncpg.Connection, settings: Settings) -> list[str]:
    from xinyi_api.app import migration_sources
    from xinyi_api.db.migrate import migrate
    from xinyi_api.keys import ensure_keys

    applied = await migrate(conn, migration_sources(settings))
    await ensure_keys(conn, settings.secret_key)
    return [f"{m.source}/{m.name}" for m in applied]


@click.group()
@click.version_option(package_name="xinyi-api")
def main() -> None:
    """xinyi-api: 诚信码 credit-scenario service."""


@main.command()
def migrate() -> None:
    """Apply pending migrations (each once, under an advisory lock)."""
    from xinyi_api.db.migrate import MigrationError

    settings = _settings()
    with _database(settings) as s:
        try:
            applied = _run(s, lambda conn: _migrate(conn, s))
        except MigrationError as exc:
            raise click.ClickException(str(exc)) from None
    for name in applied:
        click.echo(f"applied {name}")
    click.echo("migrations are current" if not applied else f"{len(applied)} applied")


@main.command()
@click.option("--demo", is_flag=True,
              help="Load the demo data set (idempotent) and enable demo mode.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
def serve(demo: bool, host: str, port: int, workers: int) -> None:
    """Run the HTTP service (uvicorn)."""
    import uvicorn

    from xinyi_api.db.migrate import MigrationError

    settings = _settings()
    with _database(settings) as s:
        assert s.database_url is not None
        try:
            applied = _run(s, lambda conn: _migrate(conn, s))
        except MigrationError as exc:
            raise click.ClickException(str(exc)) from None
        for name in applied:
            click.echo(f"applied {name}")
        if demo:
            from xinyi_api.demo.loader import load_demo

            report = _run(s, lambda conn: load_demo(conn, s))
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


@main.command()
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
    settings = _settings()
    if ttl > settings.service_token_max_ttl:
        raise click.UsageError(f"--ttl may be at most {settings.service_token_max_ttl} seconds "
                               "(XINYI_SERVICE_TOKEN_MAX_TTL)")

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

    with _database(settings) as s:
        click.echo(_run(s, job))


@main.group()
def department() -> None:
    """Manage departments (部门)."""


@department.command("add")
@click.argument("code")
@click.option("--name", required=True, help="Full Chinese name, e.g. 淮南市市场监督管理局.")
@click.option("--region", default=None, help="6-digit 行政区划 code the department covers.")
def department_add(code: str, name: str, region: str | None) -> None:
    """Add or rename a department."""
    settings = _settings()

    async def job(conn: asyncpg.Connection) -> None:
        try:
            await conn.execute(
                "INSERT INTO departments (code, name, region_code) VALUES ($1, $2, $3)"
                " ON CONFLICT (code) DO UPDATE SET name = excluded.name,"
                " region_code = excluded.region_code",
                code, name, region,
            )
        except asyncpg.CheckViolationError:
            raise click.UsageError(
                "code must be lower-case letters, digits or _ (2–40); region 6 digits"
            ) from None

    with _database(settings) as s:
        _run(s, job)
    click.echo(f"department {code} saved")


@department.command("list")
def department_list() -> None:
    """List departments."""
    settings = _settings()
    with _database(settings) as s:
        rows = _run(s, lambda conn: conn.fetch(
            "SELECT code, name, region_code FROM departments ORDER BY code"))
    for r in rows:
        click.echo(f"{r['code']}\t{r['region_code'] or '-'}\t{r['name']}")


@main.command()
@click.option("--due", is_flag=True, help="Only subjects whose grade is due (a record expired).")
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1, 100_000))
@AS_OF
def regrade(due: bool, batch_size: int, as_of: datetime | None) -> None:
    """Recompute grades in batches; an interrupted run resumes where it stopped."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from xinyi_api.app import build_grader
    from xinyi_api.clock import Clock
    from xinyi_api.grading.regrade import run_regrade

    settings = _settings()
    grader = build_grader(settings)
    today = as_of.date() if as_of is not None else Clock(settings.tz).today()

    with _database(settings) as s:
        assert s.database_url is not None
        url = s.database_url

        async def job() -> str:
            from xinyi_api.db.pool import connect

            conn = await connect(url)
            try:
                with Progress("[progress.description]{task.description}", BarColumn(),
                              MofNCompleteColumn(), TimeRemainingColumn(),
                              transient=not sys.stderr.isatty()) as bar:
                    task = bar.add_task("regrading", total=None)
                    report = await run_regrade(
                        conn, grader, today, batch_size=batch_size, due_only=due,
                        progress=lambda done, total: bar.update(task, completed=done,
                                                                total=total),
                    )
            finally:
                await conn.close()
            verb = "resumed run" if report.resumed else "run"
            return f"{verb} {report.run_id}: {report.processed} subjects regraded"

        click.echo(asyncio.run(job()))


@main.group()
def keys() -> None:
    """Manage signing keys (rotate, retire, list)."""


@keys.command("list")
def keys_list() -> None:
    """List signing keys."""
    settings = _settings()
    with _database(settings) as s:
        rows = _run(s, lambda conn: conn.fetch(
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

    settings = _settings()
    with _database(settings) as s:
        kid = _run(s, lambda conn: create_key(conn, purpose, s.secret_key))  # type: ignore[arg-type]
    click.echo(f"created {kid}; running workers sign with it within seconds (at most 30 s)")


@keys.command("retire")
@click.argument("kid")
def keys_retire(kid: str) -> None:
    """Retire a key: nothing it signed verifies any more (printed codes too, for code keys)."""
    from xinyi_api.keys import retire_key

    settings = _settings()
    with _database(settings) as s:
        try:
            done = _run(s, lambda conn: retire_key(conn, kid))
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
    if not done:
        raise click.ClickException(f"no live key {kid}")
    click.echo(f"retired {kid}; running workers stop accepting it within seconds (at most 30 s)")


@main.group()
def holidays() -> None:
    """The working-day calendar of objection and repair deadlines (法定节假日与调休)."""


@holidays.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and say what it holds; store "
              "nothing.")
@click.option("--operator", "operator", default=None,
              help="Who loads it, for the audit log (default: the login name).")
def holidays_load(file: Path, dry_run: bool, operator: str | None) -> None:
    """Load the State Council holiday schedule of one or more years from FILE.

    FILE has the format of the shipped holidays_cn.json: {"years": {"2027": {"notice": "国务院办公厅
    关于2027年部分节假日安排的通知 …", "holidays": [{"name": "元旦", "off": ["2027-01-01",
    "2027-01-03"], "make_up_workdays": []}, …]}}}. Every year must name all seven 法定节假日; a
    year already loaded (or shipped) is replaced. Running workers use it for the next deadline
    they compute, and open objections and pending repairs get their due dates recomputed.
    """
    from xinyi_api.accountability.calendar import ScheduleError, load_schedules, read_schedule_file
    from xinyi_api.auth.tokens import Principal

    try:
        schedules = read_schedule_file(file)
    except ScheduleError as exc:
        raise click.ClickException(f"{file}: {exc}") from None
    for year, spec in sorted(schedules.items()):
        click.echo(f"{year}: {len(spec['holidays'])} holidays — {spec['notice']}")
    if dry_run:
        click.echo("dry run: nothing stored")
        return
    name = operator or os.environ.get("USER") or "cli"
    principal = Principal(sub=f"operator:{name}", role="operator")
    settings = _settings()
    with _database(settings) as s:
        report = _run(s, lambda conn: load_schedules(conn, schedules, principal=principal,
                                                     endpoint="cli:holidays load"))
    click.echo(f"loaded {', '.join(str(y) for y in report.years)}; due dates moved: "
               f"{report.objections_moved} open objection(s), {report.repairs_moved} pending "
               "repair(s)")


@holidays.command("list")
@AS_OF
def holidays_list(as_of: datetime | None) -> None:
    """The years with an official schedule, where each comes from, and what is missing."""
    from xinyi_api.accountability.calendar import (
        calendar_for,
        missing_schedule_warning,
        shipped_schedules,
    )
    from xinyi_api.clock import Clock

    settings = _settings()
    today = as_of.date() if as_of is not None else Clock(settings.tz).today()

    async def job(conn: asyncpg.Connection) -> list[str]:
        loaded = {r["year"]: r for r in await conn.fetch(
            "SELECT year, notice, loaded_by, loaded_at FROM holiday_schedules")}
        calendar = await calendar_for(conn)
        lines = []
        for year in sorted(calendar.years):
            row = loaded.get(year)
            if row is not None:
                lines.append(f"{year}\tloaded {row['loaded_at']:%Y-%m-%d} by "
                             f"{row['loaded_by']}\t{row['notice']}")
            else:
                lines.append(f"{year}\tshipped\t{shipped_schedules()[year]['notice']}")
        warning = missing_schedule_warning(calendar.missing_years(today))
        if warning:
            lines.append(f"WARNING: {warning}")
        return lines

    with _database(settings) as s:
        for line in _run(s, job):
            click.echo(line)


@main.group()
def persons() -> None:
    """个人信用: personal credit jobs."""


@persons.command("sync")
@AS_OF
def persons_sync(as_of: datetime | None) -> None:
    """Let every scenario update person records (e.g. mark unpaid 先医后付 bills overdue).

    Run it daily (cron); a person's records are also synced whenever their credit is read.
    """
    from xinyi_api.clock import Clock
    from xinyi_api.persons.service import PersonalCredit
    from xinyi_api.scenarios.registry import registry_for

    settings = _settings()
    today = as_of.date() if as_of is not None else Clock(settings.tz).today()
    service = PersonalCredit(registry_for(settings.scenarios).scenarios, settings)

    async def job(conn: asyncpg.Connection) -> int:
        async with conn.transaction():
            return await service.sync(conn, None, today)

    with _database(settings) as s:
        written = _run(s, job)
    click.echo(f"{written} person record(s) written")


main.add_command(audit_commands)


if __name__ == "__main__":  # pragma: no cover
    main()
