"""What every ``xinyi-api`` command shares, whichever package contributes it.

``settings_from_env`` (a usage error naming a bad variable), ``database`` (the embedded
PostgreSQL started and stopped around the command when ``DATABASE_URL`` is unset, SIGTERM
included), ``run`` (one connection for an async job), ``migrate_all``, and the ``--as-of``
option with ``today_of``. Packages add commands through the ``cli_commands`` hook
(``xinyi_api.hookspecs``) and import this module, never ``xinyi_api.cli``.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from types import FrameType
from typing import TYPE_CHECKING, TypeVar

import asyncpg
import click

from xinyi_api.settings import Settings, SettingsError

if TYPE_CHECKING:
    from xinyi_api.platform import Platform

__all__ = ["AS_OF", "CliContext", "Terminated", "database", "migrate_all", "platform_for", "run",
           "settings_from_env", "stop_on_sigterm", "today_of"]


class CliContext:
    """What the ``xinyi-api`` group hands its commands (``click.Context.obj``): the platform of
    the command's settings, built once when a command first asks (``platform_for``). The group
    (``xinyi_api.cli``) passes the factory, so no package's command imports the composition
    root."""

    def __init__(self, build: Callable[[Settings], Platform]) -> None:
        self._build = build
        self._built: dict[Settings, Platform] = {}

    def platform(self, settings: Settings) -> Platform:
        if settings not in self._built:
            self._built[settings] = self._build(settings)
        return self._built[settings]


def platform_for(settings: Settings) -> Platform:
    """The platform (scenarios, grader, migrations …) of ``settings`` for the running command."""
    ctx = click.get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx is not None else None
    if not isinstance(obj, CliContext):
        raise click.UsageError("run this command through the xinyi-api command")
    return obj.platform(settings)

T = TypeVar("T")

AS_OF = click.option(
    "--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
    help="Work as of this date (YYYY-MM-DD) instead of today in XINYI_TIMEZONE: re-run a "
    "missed day's job, or check what a date will bring.")


def settings_from_env() -> Settings:
    """The settings of this command, or a usage error naming the bad variable."""
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
def stop_on_sigterm() -> Iterator[_SigtermGuard]:
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
def database(settings: Settings) -> Iterator[Settings]:
    """Settings with a usable ``database_url``, starting the embedded server if needed.

    The embedded server is stopped on the way out — normal return, error, Ctrl-C or SIGTERM.
    """
    if settings.database_url is not None:
        yield settings
        return
    from xinyi_api.db.embedded import EmbeddedPostgres

    with stop_on_sigterm() as guard:
        embedded = EmbeddedPostgres(settings.data_dir)
        try:
            guard.arm()
            yield settings.with_database(embedded.url)
        finally:
            guard.disarm()
            embedded.stop()


def run(settings: Settings, job: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    from xinyi_api.db.pool import connect

    async def main() -> T:
        # The command's own session (advisory locks of migrations and batch runs): never
        # through a transaction-mode pooler.
        assert settings.direct_url is not None
        try:
            conn = await connect(settings.direct_url)
        except (OSError, asyncpg.PostgresError) as exc:
            raise click.ClickException(f"cannot reach the database: {exc}") from None
        try:
            return await job(conn)
        finally:
            await conn.close()

    return asyncio.run(main())


async def migrate_all(conn: asyncpg.Connection, settings: Settings) -> list[str]:
    """Apply every pending migration (the core's and every package's) and make sure the signing
    keys exist; the names applied."""
    from xinyi_api.db.migrate import migrate
    from xinyi_api.db.partitions import ensure_ahead
    from xinyi_api.keys import ensure_keys

    applied = await migrate(conn, platform_for(settings).migration_sources)
    await ensure_keys(conn, settings.secret_key)
    await ensure_ahead(conn)
    return [f"{m.source}/{m.name}" for m in applied]


def today_of(settings: Settings, as_of: datetime | None) -> date:
    """``--as-of`` if given, else today in ``XINYI_TIMEZONE``."""
    from xinyi_api.clock import Clock

    return as_of.date() if as_of is not None else Clock(settings.tz).today()


