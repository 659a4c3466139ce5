"""Scheduled jobs 定时任务: named work an operator runs from cron or a systemd timer.

``xinyi-api jobs list`` shows them, ``xinyi-api jobs run NAME`` runs one and ``xinyi-api jobs
daily`` runs every daily job in order. Packages contribute jobs through the ``scheduled_jobs``
hook (``xinyi_api.hookspecs``); each runs on one connection of its own, with today's date in
``XINYI_TIMEZONE`` (or ``--as-of``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
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


class SweepingRunner:
    """A background loop that runs stored jobs: ``poke()`` after storing one; it also sweeps
    every ``sweep_seconds`` for jobs nobody runs (stored by another process, or whose worker
    died). Subclasses give ``run_pending``; a failed pass is logged and the next one retries.
    ``close`` waits at most ``STOP_SECONDS`` for a pass stuck in a cancelled query (the job
    resumes from its checkpoint in the next runner)."""

    STOP_SECONDS = 5.0

    def __init__(self, name: str, sweep_seconds: float) -> None:
        self.name = name
        self.sweep_seconds = sweep_seconds
        self._wanted = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None

    async def run_pending(self) -> int:
        raise NotImplementedError

    def start(self) -> None:
        self._wanted.set()
        self._task = asyncio.create_task(self._loop(), name=f"{self.name}-runner")

    def poke(self) -> None:
        self._wanted.set()

    async def _loop(self) -> None:
        while not self._closing:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wanted.wait(), self.sweep_seconds)
            self._wanted.clear()
            if self._closing:
                break
            try:
                await self.run_pending()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                _log.exception("%s runner: a pass failed; the next sweep retries", self.name)

    async def close(self) -> None:
        self._closing = True
        self._wanted.set()
        if self._task is not None:
            self._task.cancel()
            _, stuck = await asyncio.wait({self._task}, timeout=self.STOP_SECONDS)
            if stuck:
                _log.warning("%s runner did not stop within %s s; leaving it", self.name,
                             self.STOP_SECONDS)
            self._task = None


_log = logging.getLogger(__name__)
