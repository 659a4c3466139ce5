"""``xinyi-api scenarios …``: the scenario kit on the command line.

``list`` and ``show KEY`` describe the installed scenarios, ``check [PATH]`` validates them (or
a package directory) — all without a server or a database; ``check PATH --diff`` compares a new
rule version with the grades stored now (read-only); ``new KEY`` writes a package skeleton.
See docs/scenario-kit.md.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from xinyi_api.commands import AS_OF, settings_from_env

if TYPE_CHECKING:
    from xinyi_api.scenarios.loader import LoadedScenario


@click.group()
def scenarios() -> None:
    """信用+ scenarios: list, show, check and create scenario plugins."""


@scenarios.command("list")
def list_scenarios() -> None:
    """Every installed scenario: key, rule version, whether enabled, where it comes from."""
    from xinyi_api.scenarios.loader import inspect_plugins

    settings = settings_from_env()
    report = inspect_plugins(None)
    enabled = set(settings.scenarios) if settings.scenarios is not None else None
    for item in report.loaded:
        s = item.scenario
        state = "enabled" if enabled is None or s.key in enabled else "disabled"
        click.echo(f"{s.key}\t{s.rule_version}\t{state}\t{s.name_zh}\t{item.distribution}")
    for plugin, problems in report.problems.items():
        click.echo(f"{plugin}\tBROKEN\t{'; '.join(problems)}")


@scenarios.command("show")
@click.argument("key")
def show(key: str) -> None:
    """A scenario's coverage, indicators, thresholds and grade → measures table."""
    from xinyi_api.grading.engine import GRADE_LABELS
    from xinyi_api.scenarios.loader import inspect_plugins

    report = inspect_plugins(None)
    item = next((i for i in report.loaded if i.scenario.key == key), None)
    if item is None:
        known = ", ".join(i.scenario.key for i in report.loaded) or "none"
        raise click.ClickException(f"no installed scenario {key!r} (installed: {known})")
    s = item.scenario
    click.echo(f"{s.key}: {s.name_zh} / {s.name_en} (rule {s.rule_version}, "
               f"{item.distribution}, 主管部门 {s.department})")
    click.echo(f"covers: {', '.join(s.subject_types)} in {', '.join(s.industries)}")
    click.echo(f"base {s.base_score}; thresholds "
               + ", ".join(f"{g} ≥ {m}" for g, m in s.thresholds))
    click.echo("indicators:")
    for ind in s.indicators:
        click.echo(f"  {ind.key} {ind.name_zh}: {ind.description.splitlines()[0]}")
    for grade in ("A", "B", "C", "D", "unrated"):
        measures = s.measures_for(grade)
        if measures:
            click.echo(f"{GRADE_LABELS[grade]}:")
            for m in measures:
                basis = f"{m.basis.document} {m.basis.article}" if m.basis else "-"
                click.echo(f"  [{m.kind}/{m.target}] {m.title_zh} — {basis}")


@scenarios.command("check")
@click.argument("path", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--diff", "diff", is_flag=True,
              help="Also grade the subjects the scenario at PATH covers, read-only, and show "
              "how many would change grade against the grades stored now (A → B: n …). Uses "
              "the usual database settings (embedded PostgreSQL when DATABASE_URL is unset).")
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1, 100_000),
              help="Subjects graded per query batch with --diff.")
@AS_OF
def check(path: Path | None, diff: bool, batch_size: int, as_of: datetime | None) -> None:
    """Validate scenarios as the server would, reporting every problem of every one.

    Without PATH: every installed scenario. With PATH: the scenario package in that directory,
    installed or not (its pyproject.toml entry points, imported from its src/). Exits 1 when
    anything is wrong. Needs no server and, without --diff, no database.
    """
    from xinyi_api.scenarios.checking import PackageError, check_installed, check_package

    if diff and path is None:
        raise click.UsageError("--diff compares the scenario package at PATH with the stored "
                               "grades: give PATH")
    try:
        report = check_installed() if path is None else check_package(path)
    except PackageError as exc:
        raise click.ClickException(str(exc)) from None
    for item in report.loaded:
        s = item.scenario
        click.echo(f"ok  {s.key} (rule {s.rule_version}, {item.distribution}): "
                   f"{len(s.indicators)} indicator(s), {len(s.measures)} measure(s), "
                   f"{len(s.route_handlers)} own route handler(s)")
    for plugin, problems in report.problems.items():
        click.echo(f"BAD {plugin}: {len(problems)} problem(s)")
        for problem in problems:
            click.echo(f"    - {problem}")
    if not report.ok:
        click.echo(f"{report.problem_count} problem(s) in {len(report.problems)} scenario(s)",
                   err=True)
        sys.exit(1)
    if not report.loaded:
        click.echo("no scenario installed", err=True)
    if diff:
        _diff(report.loaded, batch_size, as_of)


def _diff(loaded: list[LoadedScenario], batch_size: int, as_of: datetime | None) -> None:
    import asyncpg

    from xinyi_api.commands import database, today_of
    from xinyi_api.db.pool import connect
    from xinyi_api.scenarios.diff import grade_diff

    settings = settings_from_env()
    today = today_of(settings, as_of)
    with database(settings) as s:
        assert s.database_url is not None
        url = s.database_url

        async def job() -> list[str]:
            try:
                conn = await connect(url)
            except (OSError, asyncpg.PostgresError) as exc:
                raise click.ClickException(f"cannot reach the database: {exc}") from None
            lines: list[str] = []
            try:
                for item in loaded:
                    try:
                        result = await grade_diff(conn, item.scenario, today,
                                                  batch_size=batch_size)
                    except asyncpg.PostgresError as exc:
                        raise click.ClickException(
                            f"{item.scenario.key}: cannot grade against this database "
                            f"({type(exc).__name__}: {exc}); are its migrations applied "
                            "(xinyi-api migrate, with the scenario installed)?") from None
                    lines += result.lines()
            finally:
                await conn.close()
            return lines

        for line in asyncio.run(job()):
            click.echo(line)


@scenarios.command("new")
@click.argument("key")
@click.option("--dir", "directory", type=click.Path(path_type=Path, file_okay=False),
              default=None, help="Directory to write the package into (must not exist, or be "
              "empty). Default: ./xinyi-scenario-<key>.")
@click.option("--name-zh", default=None,
              help="Chinese name, e.g. 信用+家政 (default 信用+<industry>).")
@click.option("--name-en", default=None, help="English name (default Credit + <industry>).")
@click.option("--department", default="scjg", show_default=True,
              help="Code of the owning department (主管部门).")
def new(key: str, directory: Path | None, name_zh: str | None, name_en: str | None,
        department: str) -> None:
    """Write a working scenario package skeleton for KEY.

    One documented indicator fed by the scenario's own table and endpoint, thresholds,
    measures whose bases are placeholders (check refuses them until you fill them in), a
    settings struct and tests using xinyi-api's pytest fixtures. See docs/scenario-kit.md.
    """
    from xinyi_api.scenarios.loader import discover
    from xinyi_api.scenarios.skeleton import SkeletonError, skeleton_for, write

    try:
        skeleton = skeleton_for(key, name_zh=name_zh, name_en=name_en, department=department)
        target = directory or Path(skeleton.distribution)
        written = write(skeleton, target)
    except SkeletonError as exc:
        raise click.ClickException(str(exc)) from None
    installed = [ep for ep in discover() if ep.name == key]
    if installed:
        click.echo(f"warning: a scenario {key!r} is already installed ({installed[0].value}); "
                   "two packages with one key stop start-up", err=True)
    click.echo(f"wrote {target}/ ({len(written)} files): {skeleton.name_zh}, key {key}, "
               f"package {skeleton.package}")
    click.echo("next:")
    click.echo(f"  1. fill in every <待填写 …> (the bases of the measures) in "
               f"{target / 'src' / skeleton.package / '__init__.py'}")
    click.echo(f"  2. xinyi-api scenarios check {target}")
    click.echo(f"  3. pip install -e '{target}[test]' && (cd {target} && pytest)")
