"""扫码统计 scan statistics: counted in memory, written in batches, never per request.

Each worker adds one to a ``(subject_id, day)`` counter per scan (a dict increment, no I/O) and a
background task writes all counters every ``interval`` seconds, or sooner when ``max_pending``
scans are waiting, with ONE statement::

    INSERT INTO scan_daily … ON CONFLICT (subject_id, day)
        DO UPDATE SET count = count + excluded.count

Several workers add to the same rows without coordination. A failed write puts its counts back
for the next flush, so nothing is lost while the database is away; the only double count
possible is one batch whose COMMIT succeeded but whose reply never arrived. The counters are
flushed once more on shutdown; a crash loses at most the last ``interval`` seconds of counts.
Only counts are kept: an anonymous scan leaves no personal data behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Callable
from datetime import date

import asyncpg

from xinyi_api.db.queries import Queries

log = logging.getLogger(__name__)
q = Queries.beside(__file__)


class ScanCounter:
    """In-memory scan counters with a periodic batch flush to ``scan_daily``."""

    def __init__(
        self,
        pool: Callable[[], asyncpg.Pool],
        *,
        interval: float = 1.0,
        max_pending: int = 1000,
    ) -> None:
        self._pool = pool
        self.interval = interval
        self.max_pending = max_pending
        self._pending: Counter[tuple[str, date]] = Counter()
        self._scans = 0
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self.flushed_batches = 0

    def add(self, subject_id: str, day: date) -> None:
        """Count one scan (the hot path: no I/O, no await)."""
        self._pending[(subject_id, day)] += 1
        self._scans += 1
        if self._scans >= self.max_pending:
            self._wake.set()

    @property
    def pending(self) -> int:
        """Scans counted but not written yet."""
        return self._scans

    async def flush(self) -> int:
        """Write every pending count in one statement; return how many scans were written.

        On failure the counts go back into the pending counters and the error propagates.
        """
        async with self._lock:
            batch, self._pending = self._pending, Counter()
            scans, self._scans = self._scans, 0
            if not batch:
                return 0
            keys = list(batch)
            try:
                async with self._pool().acquire() as conn:
                    await conn.execute(
                        q.add_scans,
                        [k[0] for k in keys],
                        [k[1] for k in keys],
                        [batch[k] for k in keys],
                    )
            except BaseException:
                self._pending.update(batch)
                self._scans += scans
                raise
            self.flushed_batches += 1
            return scans

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()
            try:
                await self.flush()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("scan statistics flush failed, will retry: %s", exc)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="xinyi-scan-stats-flusher")

    async def stop(self) -> None:
        """Stop the background task and write what is left."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        try:
            await self.flush()
        except Exception as exc:
            log.error("final scan statistics flush failed; %d scans lost: %s", self._scans, exc)
