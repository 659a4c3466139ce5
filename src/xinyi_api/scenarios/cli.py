"""``xinyi-api scenarios …``: the scenario kit on the command line.

``list`` and ``show KEY`` describe the installed scenarios without a server or a database.
"""

from __future__ import annotations

import click

from xinyi_api.commands import settings_from_env


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
