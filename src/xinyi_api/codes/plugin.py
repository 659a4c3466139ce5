"""诚信码 codes as a plugin: the scan, the H5 page, images and posters; stored scan profiles."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import asyncpg

from xinyi_api.hookspecs import hookimpl
from xinyi_api.jobs import Job

if TYPE_CHECKING:
    from xinyi_api.platform import Platform


@hookimpl
def route_handlers(platform: Platform) -> Sequence[Any]:
    from xinyi_api.codes.routes import route_handlers as code_routes

    return code_routes(platform.settings)


async def _builder(conn: asyncpg.Connection, platform: Platform) -> Any:
    from xinyi_api.codes.materialise import Builder
    from xinyi_api.codes.signer import CodeSigner
    from xinyi_api.keys import KeyStore
    from xinyi_api.plugins import collect

    keys = KeyStore(None, platform.settings.secret_key)
    await keys.load(conn)
    signer = CodeSigner(keys, platform.settings.public_base_url)
    return Builder.of(platform.settings,
                      collect("scan_profile_contributors", platform=platform), signer)


@hookimpl
def scheduled_jobs(platform: Platform) -> Sequence[Job]:
    async def refresh_profiles(conn: asyncpg.Connection, today: date) -> str:
        from xinyi_api.codes.materialise import refresh_all

        report = await refresh_all(conn, await _builder(conn, platform), today)
        return (f"{report.built} stored scan profile(s) rebuilt"
                + (f", {report.skipped} left for later (changed meanwhile or a contributor "
                   "failed)" if report.skipped else ""))

    return [Job("codes.profiles", "daily", "Rebuild the stored scan profiles that are out of "
                "date: changed and not rebuilt yet, past the day their records leave the page, "
                "built under another configuration (running workers do this continuously; run "
                "it after a bulk load and daily, after the regrade of what is due).",
                refresh_profiles, order=60)]
