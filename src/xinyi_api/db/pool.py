"""Connection pools: one for writes (the primary) and one for public reads (a replica if set)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg


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


async def create_pool(url: str, *, min_size: int, max_size: int) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        url,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        command_timeout=60,
        server_settings={"application_name": "xinyi-api", "timezone": "UTC"},
    )
    assert pool is not None
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
