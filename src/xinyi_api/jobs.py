"""Scheduled jobs 定时任务: named work an operator runs from cron or a systemd timer.

``xinyi-api jobs list`` shows them, ``xinyi-api jobs run NAME`` runs one and ``xinyi-api jobs
daily`` runs every daily job in order. Packages contribute jobs through the ``scheduled_jobs``
hook (``xinyi_api.hookspecs``); each runs on one connection of its own, with today's date in
``XINYI_TIMEZONE`` (or ``--as-of``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal

import asyncpg

__all__ = ["Job", "JobRun"]

JobRun = Callable[[asyncpg.Connection, date], Awaitable[str]]
"""``async def run(conn, today) -> summary``: the job's work; the summary is printed."""


@dataclass(frozen=True, slots=True)
class Job:
    """A job: its name (``package.what``), when to run it, what it does, and the work."""

    name: str
    schedule: Literal["daily", "hourly", "monthly"]
    description: str
    run: JobRun
    order: int = 100
    """Daily jobs run in ascending order (syncs before the regrade they feed)."""
