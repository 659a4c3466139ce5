"""The ``xinyi-api`` command.

Its commands come from every package through the ``cli_commands`` hook (``xinyi_api.hookspecs``),
the core's own (``core_commands``: serve, migrate, token, …) like any other; this module only
gathers them. Every command reads the same settings as the server. Without ``DATABASE_URL`` the
embedded PostgreSQL in ``XINYI_DATA_DIR`` is started (or joined, if ``serve`` is already running
it).
"""

from __future__ import annotations

import click

from xinyi_api.commands import CliContext
from xinyi_api.plugins import collect


@click.group()
@click.version_option(package_name="xinyi-api")
@click.pass_context
def main(ctx: click.Context) -> None:
    """xinyi-api: 诚信码 credit-scenario service."""
    from xinyi_api.platform import build_platform

    ctx.obj = CliContext(build_platform)


for _command in collect("cli_commands"):
    main.add_command(_command)


if __name__ == "__main__":  # pragma: no cover
    main()
