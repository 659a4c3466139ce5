"""Connection pools: one for writes (the primary) and one for public reads (a replica if set).

Every way of getting a connection is bounded in time, so a request never hangs on a database
that is down, unreachable or saturated: ``Pool.acquire`` waits at most ``acquire_timeout``
seconds (``XINYI_DB_ACQUIRE_TIMEOUT``) for a free slot *and* a new connection, and a connection
that sat idle for a while is checked with a ``SELECT 1`` inside that same budget before it is
handed out (a host that vanished leaves idle sockets that look open but never answer). Failing
that, it raises ``DatabaseUnavailable``, which the API answers with 503 and ``Retry-After``
(``xinyi_api.errors``). Nothing is remembered between attempts: the next request tries again,
so service resumes by itself as soon as the database answers.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Final, Literal

import asyncpg

log = logging.getLogger(__name__)

IDLE_CHECK_AFTER: Final = 1.0
"""A pooled connection unused for this many seconds is pinged before it is handed out."""

RETRY_AFTER: Final[dict[str, int]] = {"down": 5, "busy": 1}
"""``Retry-After`` seconds of the 503 answers: a database that is down or unreachable is rarely
back within a second; a pool that is merely saturated usually is."""

Reason = Literal["down", "busy"]


class DatabaseUnavailable(ConnectionError):
    """No usable connection in time: the database is ``down`` (refused, unreachable, shutting
    down, out of connection slots) or every connection of this pool is ``busy``.

    A ``ConnectionError`` (an ``OSError``), so background loops that already survive a lost
    connection (the audit sealer, the scan counter) survive this too."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(detail)
        self.reason: Reason = reason
        self.detail = detail

    @property
    def retry_after(self) -> int:
        return RETRY_AFTER[self.reason]


_SERVER_GONE = (
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08
    asyncpg.CannotConnectNowError,  # 57P03: starting up or shutting down
    asyncpg.AdminShutdownError,  # 57P01: terminated by the administrator
    asyncpg.CrashShutdownError,  # 57P02
    asyncpg.TooManyConnectionsError,  # 53300
    asyncpg.ConnectionDoesNotExistError,  # the connection died under a query
)


def unavailability(exc: BaseException) -> DatabaseUnavailable | None:
    """The ``DatabaseUnavailable`` that ``exc`` (or an exception it was raised from) amounts
    to, or ``None`` when it is not about reaching the database (a bug, a constraint …)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DatabaseUnavailable):
            return current
        if isinstance(current, _SERVER_GONE):
            return DatabaseUnavailable("down", f"the database connection failed: "
                                               f"{type(current).__name__}")
        current = current.__cause__ or current.__context__
    return None


async def _init_connection(conn: asyncpg.Connection) -> None:
    # jsonb columns come back as Python objects and accept them as parameters.
    await conn.set_type_codec(
        "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog", format="text"
    )


async def connect(url: str) -> asyncpg.Connection:
    """One connection with the same codecs as the pools (for the CLI and migrations)."""
    conn = await asyncpg.connect(url, server_settings={"application_name": "xinyi-api"})
    await _init_connection(conn)
    return conn


class Pool(asyncpg.Pool):  # type: ignore[misc]
    """An ``asyncpg.Pool`` whose ``acquire`` is bounded by ``acquire_timeout`` by default and
    raises ``DatabaseUnavailable`` instead of waiting, timing out or failing to connect."""

    def __init__(self, *args: Any, acquire_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.acquire_timeout = acquire_timeout
        self.idle_check_after = IDLE_CHECK_AFTER
        self._released_at: dict[int, float] = {}

    async def _acquire(self, timeout: float | None) -> Any:  # noqa: ASYNC109 (asyncpg's)
        budget = self.acquire_timeout if timeout is None else timeout
        deadline = time.monotonic() + budget
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DatabaseUnavailable("down", f"no answering database connection within "
                                                  f"{budget:g} s")
            try:
                proxy = await super()._acquire(remaining)
            except TimeoutError:
                if self.get_size() >= self.get_max_size() and self.get_idle_size() == 0:
                    raise DatabaseUnavailable(
                        "busy", f"all {self.get_max_size()} database connections stayed busy "
                        f"for {budget:g} s") from None
                raise DatabaseUnavailable(
                    "down", f"no database connection within {budget:g} s (the server does "
                    "not answer)") from None
            except (OSError, *_SERVER_GONE) as exc:
                raise DatabaseUnavailable(
                    "down", f"cannot connect to the database: {type(exc).__name__}") from exc
            released = self._released_at.get(id(getattr(proxy, "_holder", None)))
            if released is None or time.monotonic() - released < self.idle_check_after:
                return proxy
            try:
                await proxy.fetchval("SELECT 1", timeout=max(deadline - time.monotonic(), 0.01))
            except TimeoutError:
                await self._discard(proxy)
                raise DatabaseUnavailable(
                    "down", f"the database did not answer within {budget:g} s") from None
            except (OSError, *_SERVER_GONE):
                await self._discard(proxy)  # a dead socket: try again with a new connection
            else:
                return proxy

    async def _discard(self, proxy: Any) -> None:
        proxy.terminate()
        await self.release(proxy)

    async def release(self, connection: Any, *,
                      timeout: float | None = None) -> None:  # noqa: ASYNC109 (asyncpg's)
        holder = getattr(connection, "_holder", None)
        if holder is not None:
            self._released_at[id(holder)] = time.monotonic()
        try:
            await super().release(connection, timeout=timeout)
        except (asyncpg.InternalClientError, asyncpg.PostgresError, OSError, TimeoutError) as exc:
            # Resetting a connection the server dropped mid-operation fails; asyncpg has then
            # terminated it and the pool connects anew when needed. Raising here would replace
            # whatever the caller's block raised, or crash a background loop on its way out.
            log.info("dropped a database connection that could not be reset: %s: %s",
                     type(exc).__name__, exc)


async def create_pool(url: str, *, min_size: int, max_size: int,
                      acquire_timeout: float = 0.5) -> Pool:
    """A pool of ``min_size``..``max_size`` connections to ``url``; see ``Pool``."""
    pool = Pool(
        url,
        acquire_timeout=acquire_timeout,
        min_size=min_size,
        max_size=max_size,
        max_queries=50_000,
        max_inactive_connection_lifetime=300.0,
        loop=asyncio.get_running_loop(),
        connection_class=asyncpg.Connection,
        record_class=asyncpg.Record,
        init=_init_connection,
        command_timeout=60,
        # The connect timeout of each new connection; acquire() bounds it further.
        timeout=max(acquire_timeout, 1.0) * 10,
        server_settings={"application_name": "xinyi-api", "timezone": "UTC"},
    )
    await pool
    return pool


@dataclass(slots=True)
class Database:
    """The pools of one process. Handlers take ``db`` by dependency injection.

    ``read`` may lag the primary by the replica's delay; use it for public, anonymous reads only,
    never for a read that must see the caller's own write.
    """

    write: asyncpg.Pool
    read: asyncpg.Pool

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[asyncpg.Connection]:
        async with self.write.acquire() as conn, conn.transaction():
            yield conn

    async def close(self) -> None:
        await self.write.close()
        if self.read is not self.write:
            await self.read.close()


Record = asyncpg.Record
Row = dict[str, Any]
