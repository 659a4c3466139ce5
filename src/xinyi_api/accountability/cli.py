"""``xinyi-api audit …``: operator commands for the 查询使用登记 audit log."""

from __future__ import annotations

import click


@click.group()
def audit() -> None:
    """The append-only, hash-chained audit log (查询使用登记 / 操作留痕)."""


@audit.command("verify")
def verify() -> None:
    """Re-compute the whole hash chain; exit 1 naming the first changed or missing entry."""
    from xinyi_api import cli
    from xinyi_api.accountability.audit import verify as verify_chain

    settings = cli._settings()
    with cli._database(settings) as s:
        result = cli._run(s, verify_chain)
    if not result.ok:
        click.echo(f"audit chain BROKEN at entry {result.first_bad_id}: {result.problem} "
                   f"({result.checked} entries verified before it)", err=True)
        raise SystemExit(1)
    click.echo(f"audit chain OK: {result.checked} entries, last id {result.last_id}")
