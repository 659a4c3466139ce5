"""Sealing audit entries in the background of each app process (see ``audit`` for the chain).

``AuditSealMiddleware`` notes whether a request appended audit entries; once the response is
sent — so the request's transaction has committed — it pokes the process's ``AuditSealer``. The
sealer is one background task: poked, it seals everything committed (``audit.seal``), then waits
``MIN_INTERVAL`` before it seals again, so under load one pass seals many entries; when nobody
pokes it, it sweeps every ``SWEEP_SECONDS`` (entries written by the CLI, by another process that
stopped before sealing, or committed while a pass was running). Correctness never depends on it:
any sealer anywhere seals every committed entry, and reads and ``verify`` seal first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import asyncpg
from litestar import Litestar
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware

from xinyi_api import audit
from xinyi_api.state import platform_of

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)

MIN_INTERVAL = 0.1
"""Seconds between two passes of one process's sealer (the batching window under load)."""
SWEEP_SECONDS = 5.0
"""A pass at least this often even without pokes."""
CLOSE_SECONDS = 5.0
"""How long shutdown waits for the last pass."""


class AuditSealer:
    """One process's background sealer; ``poke()`` after a commit that appended entries."""

    def __init__(self, pool: asyncpg.Pool, *, min_interval: float = MIN_INTERVAL,
                 sweep_seconds: float = SWEEP_SECONDS) -> None:
        self.pool = pool
        self.min_interval = min_interval
        self.sweep_seconds = sweep_seconds
        self._wanted = asyncio.Event()
        self._closing = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._wanted.set()  # seal what earlier processes left behind
        self._task = asyncio.create_task(self._run(), name="audit-sealer")

    def poke(self) -> None:
        self._wanted.set()

    async def _pass(self) -> None:
        try:
            async with self.pool.acquire() as conn:
                await audit.seal(conn)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, RuntimeError):
            log.exception("sealing audit entries failed; the next pass retries")

    async def _run(self) -> None:
        while not self._closing.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wanted.wait(), self.sweep_seconds)
            if self._closing.is_set():
                break
            self._wanted.clear()
            await self._pass()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), self.min_interval)
        await self._pass()

    async def close(self) -> None:
        """Stop after one last pass (entries of the last requests get sealed)."""
        if self._task is None:
            return
        self._closing.set()
        self._wanted.set()
        try:
            await asyncio.wait_for(self._task, CLOSE_SECONDS)
        except TimeoutError:
            log.warning("the audit sealer did not finish its last pass in %.0f s", CLOSE_SECONDS)
        self._task = None


class AuditSealMiddleware(ASGIMiddleware):
    """Pokes the app's ``audit_sealer`` after a request that appended audit entries."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        with audit.noting_appends() as appended:
            try:
                await next_app(scope, receive, send)
            finally:
                if appended:
                    sealer: AuditSealer | None = getattr(scope["app"].state, "audit_sealer",
                                                         None)
                    if sealer is not None:
                        sealer.poke()


@asynccontextmanager
async def sealer_lifespan(app: Litestar) -> AsyncIterator[None]:
    """Run the process's sealer on the write pool (after ``database_lifespan`` opened it)."""
    sealer = AuditSealer(platform_of(app).db.write)
    sealer.start()
    app.state.audit_sealer = sealer
    try:
        yield
    finally:
        app.state.audit_sealer = None
        await sealer.close()
