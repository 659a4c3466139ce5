"""``xinyi-api import FILE --department CODE …`` and ``xinyi-api import-template LAYOUT``.

``import`` runs the same pipeline as an uploaded file's job, on a job of its own (source
``cli``, on the audit log), reading FILE from disk as it goes: a progress bar over the file's
bytes, then over the subjects regraded; a summary; exit status 1 when rows were refused (or the
file could not be read), 0 otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import hashlib
import sys
from datetime import datetime
from pathlib import Path

import click

from xinyi_api.commands import AS_OF, database, platform_for, settings_from_env, today_of
from xinyi_api.imports.layouts import BY_NAME, LAYOUTS


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        while chunk := data.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--department", required=True, help="部门 code of the source department.")
@click.option("--layout", type=click.Choice(LAYOUTS), default=None,
              help="The file's layout; default: told from its header row.")
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
@click.option("--register-unknown", is_flag=True,
              help="Register businesses whose 统一社会信用代码 is not on file.")
@click.option("--industry", default=None,
              help="Industry key of businesses registered without a 行业 column.")
@click.option("--report", "report", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Write the row-level report here (.csv or .xlsx).")
@AS_OF
def import_file(file: Path, department: str, layout: str | None, dry_run: bool,
                register_unknown: bool, industry: str | None, report: Path | None,
                as_of: datetime | None) -> None:
    """Import FILE (CSV or XLSX in a 双公示 layout) exactly once as records of a department."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from xinyi_api.db.pool import connect
    from xinyi_api.imports import pipeline as stages
    from xinyi_api.imports import service, sheets
    from xinyi_api.imports.files import FileProblem
    from xinyi_api.imports.pipeline import JobContext, Outcome, q

    settings = settings_from_env()
    platform = platform_for(settings)
    today = today_of(settings, as_of)
    if industry is not None and industry not in platform.industries:
        raise click.UsageError(f"unknown industry {industry!r} (xinyi-api: GET /api/v1/industries)")
    console = Console(stderr=True)
    size = file.stat().st_size

    with database(settings) as s:
        assert s.database_url is not None
        url = s.database_url

        async def job() -> tuple[Outcome | None, str | None, int]:
            conn = await connect(url)
            try:
                dept = await conn.fetchrow(
                    "SELECT code, region_code FROM departments WHERE code = $1", department)
                if dept is None:
                    known = [r["code"] for r in await conn.fetch(
                        "SELECT code FROM departments ORDER BY code")]
                    raise click.ClickException(f"no department {department!r}; known: "
                                               f"{', '.join(known) or 'none'}")
                actor = f"cli:{getpass.getuser()}"
                async with conn.transaction():
                    row = await conn.fetchrow(
                        q.insert_job, department, actor, dept["region_code"], "cli", file.name,
                        None, _sha256(file), size, layout, dry_run, register_unknown, industry,
                        None, "validating", today)
                    await conn.fetchval(q.job_lock, row["id"])  # held until we close
                ctx = JobContext(job_id=row["id"], department=department, actor=actor,
                                 region=dept["region_code"], dry_run=dry_run,
                                 register_unknown=register_unknown, default_industry=industry,
                                 today=today, endpoint="cli:import", layout=layout)
                services = service.Services(platform.settings, platform.grader,
                                            platform.industries, platform.clock)
                with Progress(TextColumn("[progress.description]{task.description}"),
                              BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                              console=console, transient=not console.is_terminal) as bar:
                    task = bar.add_task(f"checking {file.name}", total=size)
                    opened_box: list[service.Opened] = []

                    async def stage(work: stages.Pipeline) -> None:
                        opened = service.open_file(file, layout,
                                                   max_rows=settings.import_max_rows)
                        opened_box.append(opened)
                        await service.stage_file(work, opened)

                    def progress(_: Outcome) -> None:
                        if opened_box:
                            # ValueError: the file was closed, stage 1 is over
                            with contextlib.suppress(ValueError):
                                bar.update(task, completed=opened_box[0].table.position())

                    try:
                        outcome = await service.run_stages(conn, services, ctx, stage,
                                                           progress=progress)
                    except FileProblem as exc:  # pragma: no cover - run_stages records it
                        return None, exc.message, row["id"]
                    bar.update(task, completed=size)
                if outcome is None:
                    failed = await conn.fetchrow(q.get_job, row["id"])
                    return None, failed["failure"], row["id"]
                if not dry_run:
                    affected = outcome.subjects_affected
                    with Progress(TextColumn("[progress.description]{task.description}"),
                                  BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                                  console=console, transient=not console.is_terminal) as bar:
                        task = bar.add_task("regrading", total=affected)
                        await stages.regrade(conn, platform.grader, row["id"], today,
                                             progress=lambda n: bar.update(task, completed=n))
                    await conn.execute("SELECT 1")
                if report is not None:
                    rows = await conn.fetch(q.problems_page, row["id"], 0, 10_000_000)
                    cells = [[r["row_no"], r["column_name"], r["code"], r["message"],
                              r["value"]] for r in rows]
                    data = sheets.to_xlsx([("问题清单", sheets.REPORT_HEADER, cells)]) \
                        if report.suffix.lower() == ".xlsx" else \
                        sheets.to_csv(sheets.REPORT_HEADER, cells)
                    await asyncio.to_thread(report.write_bytes, data)
                if outcome.problems:
                    for r in await conn.fetch(q.problems_page, row["id"], 0, 20):
                        click.echo(f"row {r['row_no']} [{r['column_name']}] {r['code']}: "
                                   f"{r['message']}", err=True)
                    if outcome.problems > 20:
                        click.echo(f"… {outcome.problems - 20} more problem(s)"
                                   + (f" in {report}" if report else " (use --report FILE)"),
                                   err=True)
                return outcome, None, row["id"]
            finally:
                await conn.close()

        outcome, failure, job_id = asyncio.run(job())

    if outcome is None:
        click.echo(f"import job {job_id} failed, nothing written: {failure}", err=True)
        sys.exit(1)
    verb = "would write" if dry_run else "wrote"
    click.echo(
        f"import job {job_id}: {outcome.rows_total} row(s), {outcome.rows_refused} refused; "
        f"{verb} {outcome.inserted} new, {outcome.corrected} corrected, {outcome.withdrawn} "
        f"withdrawn, {outcome.unchanged} unchanged, {outcome.registered} business(es) "
        f"registered" + ("" if dry_run else f"; {outcome.subjects_affected} subject(s) regraded"))
    if outcome.rows_refused:
        sys.exit(1)


@click.command("import-template")
@click.argument("layout", type=click.Choice(LAYOUTS))
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv"]), default="xlsx",
              show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write it (default: LAYOUT-template.FORMAT here).")
def import_template(layout: str, fmt: str, output: Path | None) -> None:
    """Write the template of an import layout (the header row; XLSX also explains each
    column)."""
    from xinyi_api.imports import sheets

    chosen = BY_NAME[layout]
    data = sheets.template_xlsx(chosen) if fmt == "xlsx" else sheets.template_csv(chosen)
    target = output or Path(f"{layout}-template.{fmt}")
    target.write_bytes(data)
    click.echo(f"wrote {target} ({len(chosen.headers)} columns)")
