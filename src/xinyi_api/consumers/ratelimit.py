"""Rate limits 频率限制 shared by every worker: fixed-window counters in PostgreSQL.

Each limit is ``count`` hits per ``seconds`` window, for one key (a consumer id or a client
address). A hit is one ``INSERT … ON CONFLICT DO UPDATE SET n = n + 1 RETURNING n`` for all the
buckets of a request, committed on its own (outside the request's transaction), so refused and
failed requests count too and two workers — or twenty — share one count. Over the limit the
request gets 429 ``rate-limited`` with ``Retry-After`` (seconds to the end of the window).

Defaults below; ``XINYI_RATE_LIMITS`` overrides any of them (``rating=20/3600,login=10/60``).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from xinyi_api.db.queries import Queries
from xinyi_api.errors import TooManyRequests
from xinyi_api.settings import Settings

q = Queries.beside(__file__)

DEFAULT_LIMITS: dict[str, tuple[int, int]] = {
    "login": (10, 60),  # per account (after the code exchange)
    "login_address": (60, 60),  # per client address
    "scan": (60, 60),  # logged-in scans per consumer
    "scan_address": (600, 60),
    "rating": (30, 3600),  # rating submissions per consumer
    "rating_address": (300, 3600),
    "complaint": (10, 86400),
    "complaint_address": (100, 86400),
    "claim": (10, 3600),  # claim-code attempts per merchant (guessing codes)
    "personal_code": (20, 600),  # 动态个人信用码 issued per consumer
}
GC_PROBABILITY = 0.005
"""Share of hits that also delete windows older than eight days."""


@dataclass(frozen=True, slots=True)
class Limit:
    name: str
    count: int
    seconds: int


def limits_of(settings: Settings) -> dict[str, Limit]:
    """The limits in force: the defaults with ``XINYI_RATE_LIMITS`` applied."""
    merged = {name: Limit(name, c, s) for name, (c, s) in DEFAULT_LIMITS.items()}
    for name, count, seconds in settings.rate_limits:
        merged[name] = Limit(name, count, seconds)
    return merged


def buckets(settings: Settings, checks: dict[str, str]) -> list[tuple[str, Limit]]:
    """The ``(bucket, limit)`` pairs of ``{limit name: key}``, sorted (the order rows lock in)."""
    limits = limits_of(settings)
    return sorted((f"{name}:{limits[name].seconds}:{key}", limits[name])
                  for name, key in checks.items())


def enforce(counts: Iterable[tuple[str, int, datetime]],
            checked: list[tuple[str, Limit]]) -> None:
    """Raise 429 if a ``(bucket, count, window_start)`` just counted is over its limit."""
    by_bucket = dict(checked)
    worst: tuple[Limit, datetime] | None = None  # the exceeded limit whose window ends last
    for bucket, n, window_start in counts:
        limit = by_bucket[bucket]
        end = window_start + timedelta(seconds=limit.seconds)
        if n > limit.count and (worst is None or end > worst[1]):
            worst = (limit, end)
    if worst is not None:
        limit, end = worst
        retry = max(1, math.ceil((end - datetime.now(UTC)).total_seconds()))
        raise TooManyRequests(
            f"too many requests ({limit.name}: at most {limit.count} per {limit.seconds} s); "
            f"retry in {retry} s", headers={"Retry-After": str(retry)}, limit=limit.name,
            retry_after=retry)


async def collect_garbage_sometimes(pool: asyncpg.Pool | asyncpg.Connection) -> None:
    if random.random() < GC_PROBABILITY:  # noqa: S311 - not security relevant
        await pool.execute(q.rate_gc)


async def hit(pool: asyncpg.Pool | asyncpg.Connection, settings: Settings,
              checks: dict[str, str]) -> None:
    """Count one hit for each ``{limit name: key}``; raise 429 if any limit is exceeded.

    Runs as its own statement (autocommit): call it before opening the request's transaction.
    (The rating path counts in its first statement instead: ``buckets`` and ``enforce``.)
    """
    checked = buckets(settings, checks)
    rows = await pool.fetch(q.rate_hit, [b for b, _ in checked],
                            [lim.seconds for _, lim in checked])
    await collect_garbage_sometimes(pool)
    enforce(((r["bucket"], r["n"], r["window_start"]) for r in rows), checked)
