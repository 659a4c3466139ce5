"""``xinyi-api audit …``: operator commands for the 查询使用登记 audit log."""

from __future__ import annotations

import click


@click.group()
def audit() -> None:
    """The append-only, hash-chained audit log (查询使用登记 / 操作留痕)."""


@audit.command("verify")
def verify() -> None:
    """Seal the committed entries, then re-compute the whole hash chain; exit 1 naming the first
    changed or missing entry."""
    from xinyi_api import cli
    from xinyi_api.accountability.audit import verify as verify_chain

    settings = cli._settings()
    with cli._database(settings) as s:
        result = cli._run(s, verify_chain)
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
    from xinyi_api import cli
    from xinyi_api.accountability.audit import seal as seal_entries

    settings = cli._settings()
    with cli._database(settings) as s:
        sealed = cli._run(s, seal_entries)
    click.echo(f"sealed {sealed} audit entries")
