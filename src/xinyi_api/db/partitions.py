"""Partitions and retention 分区与保留期限 of the append-only tables.

The tables below are partitioned by range on their time column (migrations 0006, 0105, 0203,
0303; the SQL helper ``xinyi_ensure_partitions``). ``maintain`` — the daily job
``db.partitions`` — creates the partitions ahead of time and applies each table's retention:

========================  =====  ===========  ==================================================
table                     unit   ahead        kept
========================  =====  ===========  ==================================================
``audit_log``             month  24 months    for ever (查询使用登记; the chain is verified from
                                              its first entry — never drop a partition)
``grade_history``         month  24 months    for ever (a grade's explanation is evidence in an
                                              objection or a repair; records are never deleted)
``scan_daily``            month  24 months    13 months, then summed into ``scan_monthly``
``rate_limit_counters``   day    14 days      8 days (the longest window allowed is 7 days)
========================  =====  ===========  ==================================================

Months and days are UTC for timestamptz columns. ``ensure_ahead`` (no retention) also runs
when the service starts and after ``xinyi-api migrate``, so a missed job never leaves a table
without a partition for today; ``scan_daily`` and ``rate_limit_counters`` also have a DEFAULT
partition (their day comes from the service's clock), whose rows move into the right partition
when it is created.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

import asyncpg

from xinyi_api.db.queries import Queries

q = Queries.beside(__file__, "partitions.sql")

__all__ = ["POLICIES", "MaintenanceReport", "Policy", "ensure_ahead", "maintain"]


@dataclass(frozen=True, slots=True)
class Policy:
    """How one partitioned table is kept."""

    table: str
    column: str
    unit: Literal["month", "day"]
    ahead: int
    """Partitions created ahead of today, in units."""
    keep: int | None
    """Units kept before today's (``None``: every partition is kept)."""
    rollup: str | None = None
    """Named query of ``partitions.sql`` run on a partition's rows before they are dropped
    (``$1`` the partition, ``$2`` for the DEFAULT partition the first day kept)."""


POLICIES: tuple[Policy, ...] = (
    Policy("audit_log", "at", "month", ahead=24, keep=None),
    Policy("grade_history", "computed_at", "month", ahead=24, keep=None),
    Policy("scan_daily", "day", "month", ahead=24, keep=12, rollup="scan_daily_roll_up"),
    Policy("rate_limit_counters", "window_start", "day", ahead=14, keep=8),
)


@dataclass(slots=True)
class MaintenanceReport:
    created: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, list[str]] = field(default_factory=dict)
    expired_default_rows: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        made = sum(self.created.values())
        gone = [p for parts in self.dropped.values() for p in parts]
        text = f"{made} partition(s) created, {len(gone)} dropped"
        if gone:
            text += f" ({', '.join(gone)})"
        return text


def _start(unit: str, day: date) -> date:
    return day.replace(day=1) if unit == "month" else day


def _shift(unit: str, day: date, n: int) -> date:
    if unit == "day":
        return day + timedelta(days=n)
    months = day.year * 12 + day.month - 1 + n
    return date(months // 12, months % 12 + 1, 1)


async def ensure_ahead(conn: asyncpg.Connection, today: date | None = None) -> dict[str, int]:
    """Create every missing partition from yesterday's to ``ahead`` units ahead (per table)."""
    today = today or await conn.fetchval(q.utc_today)
    created: dict[str, int] = {}
    for p in POLICIES:
        if await conn.fetchval(q.table_exists, p.table) is None:
            continue
        created[p.table] = await conn.fetchval(
            q.ensure_partitions, p.table, p.column, p.unit, today - timedelta(days=1),
            _shift(p.unit, _start(p.unit, today), p.ahead))
    return created


_NAME = re.compile(r"_p(\d{4})(\d{2})(\d{2})?$")


async def _partitions(conn: asyncpg.Connection, table: str) -> list[tuple[str, date]]:
    """The dated partitions of ``table``: (name, first day), oldest first."""
    rows = await conn.fetch(q.partitions_of, table)
    out = []
    for r in rows:
        match = _NAME.search(r["relname"])
        if match and r["relname"].startswith(table + "_p"):
            out.append((r["relname"], date(int(match[1]), int(match[2]), int(match[3] or 1))))
    return sorted(out, key=lambda t: t[1])


async def maintain(conn: asyncpg.Connection, today: date | None = None) -> MaintenanceReport:
    """Partitions ahead, and each table's retention (see the module docstring). Each drop is
    its own short transaction: the partition's rows are rolled up first where the policy says
    so, in the same transaction."""
    today = today or await conn.fetchval(q.utc_today)
    report = MaintenanceReport(created=await ensure_ahead(conn, today))
    for p in POLICIES:
        if p.keep is None or await conn.fetchval(q.table_exists, p.table) is None:
            continue
        cutoff = _shift(p.unit, _start(p.unit, today), -p.keep)  # the first unit kept
        dropped: list[str] = []
        for name, first in await _partitions(conn, p.table):
            if first >= cutoff:
                break
            async with conn.transaction():
                if p.rollup:
                    await conn.fetchval(getattr(q, p.rollup), name, None)
                await conn.execute(q.drop_partition, name)
            dropped.append(name)
        report.dropped[p.table] = dropped
        async with conn.transaction():
            default = await conn.fetchval(q.default_partition, p.table)
            if default is not None and p.rollup:
                await conn.fetchval(getattr(q, p.rollup), default, cutoff)
            report.expired_default_rows[p.table] = int(
                await conn.fetchval(q.expire_default_rows, p.table, p.column, cutoff))
    return report
