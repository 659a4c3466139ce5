"""信用+ scenarios as a plugin of the core: what the scenario seam contributes to the app.

The generic scenario endpoints and every scenario's own routes, the badges and offers on scans,
the scenarios' file loaders, person and business syncs, migrations, the daily business sync job
and the ``xinyi-api scenarios`` commands.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import asyncpg

from xinyi_api.hookspecs import hookimpl
from xinyi_api.jobs import Job

if TYPE_CHECKING:
    import click

    from xinyi_api.codes.hooks import ProfileContributor
    from xinyi_api.db.migrate import MigrationSource
    from xinyi_api.grading.service import FileLoader
    from xinyi_api.platform import Platform
    from xinyi_api.scenarios.model import BusinessSync, PersonDataSource, PersonSync
    from xinyi_api.scenarios.registry import ScenarioRegistry


@hookimpl
def route_handlers(platform: Platform) -> Sequence[Any]:
    from xinyi_api.scenarios.routes import CONTROLLERS, scenario_routers

    return [*CONTROLLERS, *scenario_routers(platform.scenarios)]


@hookimpl
def scan_profile_contributors(platform: Platform) -> Sequence[ProfileContributor]:
    from xinyi_api.scenarios.partners import offers_contributor
    from xinyi_api.scenarios.service import badge_contributor

    return [badge_contributor(platform.scenarios, platform.grader),
            offers_contributor(platform.scenarios)]


@hookimpl
def grade_loaders(scenarios: ScenarioRegistry) -> Sequence[FileLoader]:
    return scenarios.loaders()


@hookimpl
def person_syncs(scenarios: ScenarioRegistry) -> Sequence[PersonSync]:
    return [s.person_sync for s in scenarios.scenarios if s.person_sync is not None]


@hookimpl
def person_data_sources(platform: Platform) -> Sequence[PersonDataSource]:
    from xinyi_api.scenarios.persondata import person_data_sources as sources

    return sources(platform.scenarios)


@hookimpl
def business_syncs(scenarios: ScenarioRegistry) -> Sequence[BusinessSync]:
    return [s.business_sync for s in scenarios.scenarios if s.business_sync is not None]


@hookimpl
def migration_sources(scenarios: ScenarioRegistry) -> Sequence[MigrationSource]:
    return scenarios.migration_sources()


@hookimpl
def scheduled_jobs(platform: Platform) -> Sequence[Job]:
    from xinyi_api.plugins import collect

    syncs: list[BusinessSync] = collect("business_syncs", scenarios=platform.scenarios)

    async def business_sync(conn: asyncpg.Connection, today: date) -> str:
        changed: set[str] = set()
        for sync in syncs:
            async with conn.transaction():
                changed.update(await sync(conn, today))
        ids = sorted(changed)
        for start in range(0, len(ids), 1000):
            async with conn.transaction():
                await platform.grader.regrade(conn, ids[start:start + 1000], today)
        return f"{len(syncs)} business sync(s) ran; {len(ids)} subject(s) regraded"

    return [Job("scenarios.business_sync", "daily", "Run every scenario's daily business sync "
                "(its own data: lapsed ratings, agreements …) and regrade what changed.",
                business_sync, order=20)]


@hookimpl
def cli_commands() -> Sequence[click.Command]:
    from xinyi_api.scenarios.cli import scenarios

    return [scenarios]
