"""The database as a plugin: the daily partition maintenance job."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

import asyncpg

from xinyi_api.hookspecs import hookimpl
from xinyi_api.jobs import Job

if TYPE_CHECKING:
    from xinyi_api.platform import Platform


@hookimpl
def scheduled_jobs(platform: Platform) -> Sequence[Job]:
    async def partitions(conn: asyncpg.Connection, _today: date) -> str:
        from xinyi_api.db.partitions import maintain

        # Partitions follow the database's clock (UTC months and days), not --as-of.
        return (await maintain(conn)).summary()

    return [Job("db.partitions", "daily", "Create the partitions of the append-only tables "
                "ahead of time and apply their retention: rate-limit counters after 8 days, "
                "daily scan counts summed by month after 13 months; the audit log and grade "
                "history are kept (docs/operations.md, \"Partitions and retention\").",
                partitions, order=10)]
