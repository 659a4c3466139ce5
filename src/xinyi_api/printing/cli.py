"""``xinyi-api codes export …``: a print job 批量印制 run in this process, with a progress bar.

The job is stored like one a department orders over HTTP (``print_jobs``, department empty,
audited as the operator), so an interrupted export is continued with ``--job N`` (or by any API
worker once its lease runs out) and never starts over.
"""

from __future__ import annotations

import getpass
import shutil
from pathlib import Path

import asyncpg
import click

from xinyi_api.commands import database, platform_for, run, settings_from_env


@click.group()
def codes() -> None:
    """诚信码: print exports."""


@codes.command("export")
@click.option("--region", help="6-digit 行政区划 code (340400 covers 3404xx); default: all.")
@click.option("--district", help="信用商圈/信用街区 id (D…): its stores.")
@click.option("--industry", help="行业 key, e.g. beef_soup.")
@click.option("--kind", type=click.Choice(["all", "store", "enterprise"]), default="all",
              show_default=True)
@click.option("--format", "fmt", type=click.Choice(["pdf", "zip"]), default="pdf",
              show_default=True, help="pdf: N-up sheets with crop marks; zip: images + CSV.")
@click.option("--paper", type=click.Choice(["A4", "A3"]), default="A4", show_default=True)
@click.option("--per-sheet", type=click.Choice(["4", "8"]), default="8", show_default=True)
@click.option("--image", type=click.Choice(["png", "svg"]), default="png", show_default=True)
@click.option("--job", "job_id", type=click.IntRange(1, None),
              help="Continue print job N (an interrupted export) instead of ordering a new one.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Copy the finished file here (default: print it's path in XINYI_PRINT_DIR).")
def codes_export(region: str | None, district: str | None, industry: str | None, kind: str,
                 fmt: str, paper: str, per_sheet: str, image: str, job_id: int | None,
                 output: Path | None) -> None:
    """Print every code of a region, district or industry: one PDF or one ZIP.

    Ctrl-C leaves the job at its last checkpoint; run again with ``--job N`` to continue.
    """
    import msgspec

    from xinyi_api.auth.tokens import Principal
    from xinyi_api.errors import AppError
    from xinyi_api.keys import KeyStore
    from xinyi_api.printing import schemas, service

    settings = settings_from_env()
    platform = platform_for(settings)
    try:
        order = msgspec.convert(
            {"region": region, "district": district, "industry": industry, "kind": kind,
             "format": fmt, "paper": paper, "per_sheet": int(per_sheet), "image": image},
            schemas.PrintJobCreate)
    except msgspec.ValidationError as exc:
        raise click.BadParameter(str(exc)) from None
    principal = Principal(sub=f"cli:{getpass.getuser()}", role="operator")

    with database(settings) as s:
        async def job(conn: asyncpg.Connection) -> tuple[str, asyncpg.Record]:
            number = job_id
            if number is None:
                try:
                    row = await service.create_job(
                        conn, principal, order, industries=platform.industries, settings=s,
                        now=platform.clock.now(), endpoint="cli:codes export")
                except AppError as exc:
                    raise click.ClickException(f"{exc.problem_slug}: {exc.detail}") from None
                number = row["id"]
                click.echo(f"print job {number}: {row['total']} code(s)")
            keys = KeyStore(None, s.secret_key)
            await keys.load(conn)
            runner = service.PrintRunner(s, platform.clock, keys, worker=f"cli:{getpass.getuser()}")
            with click.progressbar(length=1, label=f"job {number}", show_pos=True,
                                   show_percent=True) as bar:
                def progress(done: int, total: int) -> None:
                    bar.length = max(total, 1)
                    bar.update(done - bar.pos)

                outcome = await runner.run_job(conn, number, progress)
            final = await conn.fetchrow(service.q.job, number)
            if final is None:
                raise click.ClickException(f"no print job {number}")
            return outcome, final

        outcome, row = run(s, job)
        if outcome == "busy":
            raise click.ClickException(f"print job {row['id']} is being run by {row['worker']}")
        if row["status"] != "done":
            raise click.ClickException(f"print job {row['id']} is {row['status']}"
                                       + (f": {row['error']}" if row["error"] else ""))
        path = service.output_path(s, row)
        if output is not None:
            shutil.copyfile(path, output)
            path = output
        click.echo(f"{row['total']} code(s) → {path} ({row['output_bytes']} bytes)")
