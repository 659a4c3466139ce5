"""Extension points 扩展点: everything a package contributes to xinyi-api, as pluggy hooks.

One mechanism for all of it, the way datasette does it: the core's own packages register their
routes, scan-profile parts, grade loaders, jobs and CLI commands through these hooks exactly as a
third-party package does (``xinyi_api.plugins.DEFAULT_PLUGINS``); a third-party package lists a
module of ``@hookimpl`` functions under the entry-point group ``xinyi_api.plugins``. Every hook
has a heading in ``docs/extensions.md`` (a test enforces it).

Every hook returns a list (pluggy collects one per implementation and the core flattens them).
Implementations take the arguments they need by name, e.g. ``def route_handlers(platform)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from collections.abc import Callable
    from contextlib import AbstractAsyncContextManager

    import click
    from litestar import Litestar

    from xinyi_api.codes.hooks import ProfileContributor, ScanHook
    from xinyi_api.db.migrate import MigrationSource
    from xinyi_api.grading.service import FileLoader
    from xinyi_api.jobs import Job
    from xinyi_api.platform import Platform
    from xinyi_api.scenarios.model import BusinessSync, PersonSync
    from xinyi_api.scenarios.registry import ScenarioRegistry

PROJECT = "xinyi_api"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

__all__ = ["PROJECT", "hookimpl", "hookspec"]


@hookspec
def route_handlers(platform: Platform) -> Sequence[Any]:
    """Litestar controllers, route handlers or routers the package serves."""
    raise NotImplementedError


@hookspec
def scan_profile_contributors(platform: Platform) -> Sequence[ProfileContributor]:
    """Async ``(conn, draft) -> None`` callables that add to a scan profile while it is built
    (badges, ratings; ``xinyi_api.codes.hooks``)."""
    raise NotImplementedError


@hookspec
def scan_hooks(platform: Platform) -> Sequence[ScanHook]:
    """Async ``(principal, event) -> mapping | None`` callables run on every logged-in scan;
    what they return goes into the response's ``personal``."""
    raise NotImplementedError


@hookspec
def grade_loaders(scenarios: ScenarioRegistry) -> Sequence[FileLoader]:
    """Async ``(conn, files, today) -> None`` callables that add data to a batch of credit files
    before grading (consumer ratings, a scenario's own tables). Called before the grader exists,
    so they get the scenario registry, not the platform."""
    raise NotImplementedError


@hookspec
def person_syncs(scenarios: ScenarioRegistry) -> Sequence[PersonSync]:
    """Async ``(conn, person_ids | None, today) -> int`` callables run before a person is graded
    and daily (``xinyi-api persons sync``)."""
    raise NotImplementedError


@hookspec
def business_syncs(scenarios: ScenarioRegistry) -> Sequence[BusinessSync]:
    """Async ``(conn, today) -> subject_ids`` callables run daily (``xinyi-api jobs daily``);
    the subjects they return are regraded."""
    raise NotImplementedError


@hookspec
def scheduled_jobs(platform: Platform) -> Sequence[Job]:
    """Named jobs an operator runs on a schedule (cron, systemd timer) with
    ``xinyi-api jobs run NAME``; ``jobs daily`` runs every job whose schedule is daily."""
    raise NotImplementedError


@hookspec
def migration_sources(scenarios: ScenarioRegistry) -> Sequence[MigrationSource]:
    """Directories of plain-SQL migrations the package ships (applied after the core's)."""
    raise NotImplementedError


@hookspec
def app_lifespans(platform: Platform) -> Sequence[
        Callable[[Litestar], AbstractAsyncContextManager[None]]]:
    """Async context managers ``(app) -> …`` the app enters at start-up, after the database is
    open, and leaves at shutdown: background work of the package (a job runner)."""
    raise NotImplementedError


@hookspec
def cli_commands() -> Sequence[click.Command]:
    """Click commands or groups added to ``xinyi-api`` (they import what they need when run,
    so ``xinyi-api --help`` stays fast)."""
    raise NotImplementedError
