"""Connection pools: one for writes (the primary) and one for public reads (a replica if set).

Behind a transaction-mode pooler (PgBouncer, ``XINYI_DB_POOLER=transaction``) a pooled
connection is one server connection for the length of a transaction only, so the pools keep no
session state: no prepared statements (asyncpg's statement cache is off — a named statement
would be prepared on one server connection and executed on another) and no reset query when a
connection comes back (``RESET ALL``, ``pg_advisory_unlock_all()`` … would run on whichever
server connection the pooler picks — another client's). What needs a session — LISTEN, session
advisory locks (migrations) — uses ``XINYI_DIRECT_DATABASE_URL`` instead (``Settings.direct_url``).

The read pool (``ReadPool``) prefers the replica and falls back to the primary, with a warning,
while the replica cannot be reached; it tries the replica again every few seconds.

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
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol

import asyncpg

if TYPE_CHECKING:
    from xinyi_api.settings import Settings

log = logging.getLogger(__name__)

IDLE_CHECK_AFTER: Final = 1.0
"""A pooled connection unused for this many seconds is pinged before it is handed out."""

STARTUP_ACQUIRE_SECONDS: Final = 30.0
"""How long work at start-up waits for a connection (``pool.acquire(timeout=…)``): a loaded
machine or a database still starting is no reason to fail a start, as it is to keep a request
waiting."""

CLOSE_SECONDS: Final = 5.0
"""How long closing the pools at shutdown waits for connections still in use."""

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
    # Refused at connect: the database named does not exist (3D000), or the role or password
    # is wrong (28000, 28P01) — a misconfigured replica falls back like a missing one.
    asyncpg.InvalidCatalogNameError,
    asyncpg.InvalidAuthorizationSpecificationError,
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


async def _no_session_reset(_conn: asyncpg.Connection) -> None:
    """Behind a transaction-mode pooler there is no session to reset (see the module docstring);
    asyncpg still rolls back a transaction left open before calling this."""


async def create_pool(url: str, *, min_size: int, max_size: int,
                      acquire_timeout: float = 0.5, pooler: bool = False) -> Pool:
    """A pool of ``min_size``..``max_size`` connections to ``url``; see ``Pool``. ``pooler``:
    ``url`` is a transaction-mode pooler (no prepared statements, no session reset)."""
    extra: dict[str, Any] = {"statement_cache_size": 0, "reset": _no_session_reset} \
        if pooler else {}
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
        **extra,
    )
    await pool
    return pool


class ReadPool:
    """The replica's pool, falling back to the primary's while the replica is down.

    A replica that refuses connections, is unreachable or does not answer within the acquire
    timeout (``DatabaseUnavailable("down")``) is skipped for ``retry_after`` seconds: its reads
    go to the primary, with one warning per outage, and no request fails for it. A replica that
    is merely busy is not skipped (the primary must not take the replicas' load). After the
    pause the replica is tried again, and used as soon as it answers.
    """

    def __init__(self, replica: asyncpg.Pool, primary: asyncpg.Pool, *,
                 retry_after: float = 2.0) -> None:
        self.replica = replica
        self.primary = primary
        self.retry_after = retry_after
        self.down_until = 0.0
        self.fallbacks = 0
        self._warned = False

    @property
    def replica_up(self) -> bool:
        return time.monotonic() >= self.down_until

    @asynccontextmanager
    async def acquire_tagged(self) -> AsyncIterator[tuple[asyncpg.Connection, bool]]:
        """A connection and whether it is the replica's."""
        if time.monotonic() >= self.down_until:
            try:
                proxy = await self.replica.acquire()
            except DatabaseUnavailable as exc:
                if exc.reason != "down":
                    raise
                self.down_until = time.monotonic() + self.retry_after
                if not self._warned:
                    log.warning("read replica unavailable (%s); public reads go to the primary "
                                "until it answers again", exc.detail)
                    self._warned = True
            else:
                if self._warned:
                    log.warning("read replica is back; public reads go to it again")
                    self._warned = False
                try:
                    yield proxy, True
                finally:
                    await self.replica.release(proxy)
                return
        self.fallbacks += 1
        async with self.primary.acquire() as conn:
            yield conn, False

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[asyncpg.Connection]:
        async with self.acquire_tagged() as (conn, _):
            yield conn

    async def close(self) -> None:
        await self.replica.close()


class Reads(Protocol):
    """Where reads come from: an ``asyncpg.Pool`` or a ``ReadPool``."""

    def acquire(self) -> AbstractAsyncContextManager[asyncpg.Connection]: ...

    async def close(self) -> None: ...


async def open_database(settings: Settings) -> Database:
    """The pools ``settings`` ask for: the primary's, and the replica's with fallback to the
    primary if ``XINYI_READ_DATABASE_URL`` is set."""
    assert settings.database_url is not None
    write = await create_pool(settings.database_url, min_size=settings.db_pool_min,
                              max_size=settings.db_pool_max,
                              acquire_timeout=settings.db_acquire_timeout,
                              pooler=settings.behind_pooler)
    db = Database(write=write, read=write)
    try:
        if settings.behind_pooler and settings.direct_url != settings.database_url:
            assert settings.direct_url is not None
            # Background work only (it waits for a connection, it does not answer 503).
            db.direct = await create_pool(settings.direct_url, min_size=0, max_size=4,
                                          acquire_timeout=30.0)
        if settings.read_database_url:
            replica = await create_pool(settings.read_database_url, min_size=0,
                                        max_size=settings.db_pool_max,
                                        acquire_timeout=settings.db_acquire_timeout,
                                        pooler=settings.behind_pooler)
            db.read = ReadPool(replica, write)
    except BaseException:
        await db.close()
        raise
    return db


@asynccontextmanager
async def direct_connection(settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    """A connection of its own to the primary, not through a pooler (``Settings.direct_url``):
    for session locks (migrations) and the like."""
    assert settings.direct_url is not None
    conn = await connect(settings.direct_url)
    try:
        yield conn
    finally:
        await conn.close()


@dataclass(slots=True)
class Database:
    """The pools of one process. Handlers take ``db`` by dependency injection.

    ``read`` may lag the primary by the replica's delay; use it for public reads only, never for
    a read that must see the caller's own write. The ``db`` dependency gives callers that write
    (departments, operators, merchants) a ``Database`` whose ``read`` is the primary
    (``primary_only``): they read their own writes at once.
    """

    write: asyncpg.Pool
    read: Reads
    """The primary's pool (no replica) or a ``ReadPool``."""
    direct: asyncpg.Pool | None = None
    """Behind a transaction-mode pooler: a small pool of direct connections to the primary for
    work that holds a session lock across transactions (``session``)."""

    @property
    def session(self) -> asyncpg.Pool:
        """Where work that needs a session of its own (advisory locks held across transactions)
        gets its connection: the direct pool behind a pooler, else the primary's pool."""
        return self.direct if self.direct is not None else self.write

    @property
    def has_replica(self) -> bool:
        return self.read is not self.write

    @property
    def primary_only(self) -> Database:
        """The same pools with reads on the primary."""
        if not self.has_replica:
            return self
        return Database(write=self.write, read=self.write, direct=self.direct)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[asyncpg.Connection]:
        async with self.write.acquire() as conn, conn.transaction():
            yield conn

    async def close(self, timeout: float = CLOSE_SECONDS) -> None:  # noqa: ASYNC109
        """Close every pool, waiting at most ``timeout`` seconds for each to be given back its
        connections; then the rest are terminated. A query stuck on a database that stopped
        answering would otherwise hold the shutdown until its ``command_timeout`` (60 s)."""
        pools: list[Reads | asyncpg.Pool] = [self.write]
        if self.read is not self.write:
            pools.append(self.read)
        if self.direct is not None:
            pools.append(self.direct)
        for pool in pools:
            try:
                await asyncio.wait_for(pool.close(), timeout)
            except TimeoutError:
                log.warning("database connections still in use after %g s at shutdown; "
                            "closing them", timeout)
                stuck = pool.replica if isinstance(pool, ReadPool) else pool
                if isinstance(stuck, asyncpg.Pool):
                    stuck.terminate()


Record = asyncpg.Record
Row = dict[str, Any]
