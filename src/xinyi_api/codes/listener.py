"""The change listener 变更监听: one LISTEN connection per worker that evicts stale profiles.

Triggers (``migrations/0101_change_notifications.sql``) send ``NOTIFY xinyi_changes`` with the
ids of the subjects whose grade, records, codes or details changed, on commit, after the id of
the transaction (``<xid>:<ids>``, ``<xid>:*``; ``migrations/0104_scan_profiles.sql``). Every
worker holds one dedicated connection listening on that channel — to the primary directly,
never through a transaction-mode pooler (``Settings.direct_url``) — and evicts the matching scan
profiles, so a change shows on every worker's next scan — typically within a few milliseconds.
The transaction id goes to ``NotifiedChanges`` (``replica.py``: what a replica read must be past)
and every notification wakes the stored-profile builder (``materialise.py``).

Notifications sent while a worker is not listening are lost, so the cache is only trusted while
the connection is up: it is cleared and switched off when the connection drops (or stops
answering the periodic ping) and cleared again when a new connection is listening. In between,
scans read the database directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import asyncpg

from xinyi_api.codes.cache import ProfileCache
from xinyi_api.codes.replica import NotifiedChanges

log = logging.getLogger(__name__)

CHANNEL = "xinyi_changes"


class ChangeListener:
    """Keeps one LISTEN connection open (reconnecting with back-off) and feeds the cache."""

    def __init__(
        self,
        url: str,
        cache: ProfileCache,
        *,
        notified: NotifiedChanges | None = None,
        on_change: Callable[[], None] | None = None,
        ping_interval: float = 5.0,
        max_backoff: float = 10.0,
    ) -> None:
        self.url = url
        self.cache = cache
        self.notified = notified if notified is not None else NotifiedChanges()
        self.on_change = on_change
        self.ping_interval = ping_interval
        self.max_backoff = max_backoff
        self.connected = asyncio.Event()
        self.notifications = 0
        self.reconnects = 0
        self._task: asyncio.Task[None] | None = None

    def _on_notify(
        self, _conn: asyncpg.Connection, _pid: int, _channel: str, payload: str
    ) -> None:
        self.notifications += 1
        xid_text, sep, ids = payload.partition(":")
        if not sep or not xid_text.isdigit():  # not ours: trust nothing read before it
            xid, ids = self.notified.latest_xid, "*"
        else:
            xid = int(xid_text)
        if ids == "*" or not ids:
            self.cache.clear()
            self.notified.record(xid, None)
        else:
            subject_ids = ids.split(",")
            self.cache.invalidate(subject_ids)
            self.notified.record(xid, subject_ids)
        if self.on_change is not None:
            self.on_change()

    def _go_dark(self) -> None:
        self.cache.enabled = False
        self.cache.clear()
        self.connected.clear()

    async def _session(self) -> None:
        conn: asyncpg.Connection = await asyncpg.connect(
            self.url, server_settings={"application_name": "xinyi-api change listener"}
        )
        lost = asyncio.Event()
        try:
            conn.add_termination_listener(lambda _c: lost.set())
            await conn.add_listener(CHANNEL, self._on_notify)
            # From here on every commit is announced to us: entries cached now stay correct.
            # What committed before is not announced: a replica read must have all of it, i.e.
            # be past every transaction id the primary has handed out so far.
            next_xid = await conn.fetchval(
                "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint")
            self.cache.clear()
            self.notified.clear()
            self.notified.record(int(next_xid) - 1, None)
            self.cache.enabled = True
            self.connected.set()
            while not lost.is_set():
                try:
                    await asyncio.wait_for(lost.wait(), self.ping_interval)
                except TimeoutError:
                    # A silent network failure never fires the termination listener.
                    await asyncio.wait_for(conn.fetchval("SELECT 1"), self.ping_interval)
        finally:
            self._go_dark()
            if not conn.is_closed():
                conn.terminate()

    async def _run(self) -> None:
        backoff = 0.2
        while True:
            try:
                await self._session()
                backoff = 0.2
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("change listener disconnected (%s); scans read the database "
                            "until it reconnects", exc)
            self.reconnects += 1
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.max_backoff)

    async def start(self, wait: float = 5.0) -> None:
        """Start listening; wait up to ``wait`` seconds for the first connection."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="xinyi-change-listener")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.connected.wait(), wait)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._go_dark()
