"""The two baselines the scan is measured against, served by the same uvicorn settings.

- ``bare_app``: a Litestar endpoint returning a small msgspec struct, no I/O — the framework's
  ceiling on this machine.
- ``select_app``: a Litestar endpoint doing one asyncpg primary-key SELECT on ``subjects`` —
  what "one database query per scan" would cost.

Run with ``uvicorn --factory bench.baselines:bare_app`` / ``select_app`` (``DATABASE_URL`` set).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import msgspec
from litestar import Litestar, Request, get
from litestar.exceptions import NotFoundException


class Small(msgspec.Struct):
    id: str
    name: str
    grade: str


@get("/bare/{subject_id:str}", sync_to_thread=False)
def bare(subject_id: str) -> Small:
    return Small(id=subject_id, name="老韩家牛肉汤(洞山店)", grade="A")


@get("/select/{subject_id:str}")
async def select(subject_id: str, request: Request[Any, Any, Any]) -> Small:
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT id, name FROM subjects WHERE id = $1", subject_id)
    if row is None:
        raise NotFoundException()
    return Small(id=row["id"], name=row["name"], grade="A")


def bare_app() -> Litestar:
    return Litestar([bare])


@asynccontextmanager
async def _pool(app: Litestar) -> AsyncIterator[None]:
    size = int(os.environ.get("XINYI_DB_POOL_MAX", "10"))
    app.state.pool = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=2,
                                               max_size=size)
    try:
        yield
    finally:
        await app.state.pool.close()


def select_app() -> Litestar:
    return Litestar([select], lifespan=[_pool])
