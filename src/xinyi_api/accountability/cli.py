"""``xinyi-api audit …`` and ``xinyi-api holidays …``: operator commands of accountability —
the 查询使用登记 audit log and the working-day calendar of its deadlines."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import asyncpg
import click

from xinyi_api.commands import AS_OF, database, run, settings_from_env, today_of


@click.group()
def audit() -> None:
    """The append-only, hash-chained audit log (查询使用登记 / 操作留痕)."""


@audit.command("verify")
def verify() -> None:
    """Seal the committed entries, then re-compute the whole hash chain; exit 1 naming the first
    changed or missing entry."""
    from xinyi_api.audit import verify as verify_chain

    settings = settings_from_env()
    with database(settings) as s:
        result = run(s, verify_chain)
    if not result.ok:
        entry = f"entry {result.first_bad_id}" if result.first_bad_id is not None else "an entry"
        click.echo(f"audit chain BROKEN at {entry} (chain position {result.first_bad_seq}): "
                   f"{result.problem} ({result.checked} entries verified before it)", err=True)
        raise SystemExit(1)
    click.echo(f"audit chain OK: {result.checked} entries, last id {result.last_id} (chain "
               f"position {result.last_seq})")
    if result.unsealed:
        click.echo(f"{result.unsealed} entries committed during the check are not sealed yet "
                   f"(oldest at {result.oldest_unsealed_at}); run the check again to cover them")


@audit.command("seal")
def seal() -> None:
    """Seal every committed audit entry into the hash chain now (the app does this on its own
    shortly after each write; useful after bulk loads or with no app running)."""
    from xinyi_api.audit import seal as seal_entries

    settings = settings_from_env()
    with database(settings) as s:
        sealed = run(s, seal_entries)
    click.echo(f"sealed {sealed} audit entries")


@click.group()
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
    settings = settings_from_env()
    with database(settings) as s:
        report = run(s, lambda conn: load_schedules(conn, schedules, principal=principal,
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
    settings = settings_from_env()
    today = today_of(settings, as_of)

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

    with database(settings) as s:
        for line in run(s, job):
            click.echo(line)
