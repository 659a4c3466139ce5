"""Append-only tables partitioned by month (a day for rate limits), kept as documented."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import TEST_SECRET
from xinyi_api import audit
from xinyi_api.auth.tokens import Principal
from xinyi_api.db.migrate import MigrationSource, core_migrations_dir, core_source, migrate
from xinyi_api.db.partitions import POLICIES, ensure_ahead, maintain
from xinyi_api.db.pool import connect

OPERATOR = Principal(sub="operator-1", role="operator")


@pytest.fixture
async def db(database_url: str) -> asyncpg.Connection:
    conn = await connect(database_url)
    try:
        yield conn
    finally:
        await conn.close()


async def utc_today(conn: asyncpg.Connection) -> date:
    today: date = await conn.fetchval("SELECT (now() AT TIME ZONE 'UTC')::date")
    return today


def month(day: date, shift: int) -> date:
    n = day.year * 12 + day.month - 1 + shift
    return date(n // 12, n % 12 + 1, 1)


async def partition_of(conn: asyncpg.Connection, table: str, where: str, *args: object) -> str:
    name: str = await conn.fetchval(f"SELECT tableoid::regclass::text FROM {table} WHERE {where}",
                                    *args)
    return name


async def test_the_append_only_tables_are_partitioned_with_partitions_ahead(
    db: asyncpg.Connection,
) -> None:
    partitioned = {r["relname"] for r in await db.fetch(
        "SELECT c.relname FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid")}
    assert {p.table for p in POLICIES} <= partitioned
    assert "ratings" not in partitioned  # mutable and referenced: see docs/operations.md
    today = await utc_today(db)
    ahead = month(today, 23)
    for table in ("audit_log", "grade_history", "scan_daily"):
        assert await db.fetchval("SELECT to_regclass($1)",
                                 f"{table}_p{ahead:%Y%m}") is not None, table
    assert await db.fetchval("SELECT to_regclass($1)", "rate_limit_counters_p"
                             f"{today + timedelta(days=13):%Y%m%d}") is not None
    assert await ensure_ahead(db) == {p.table: 0 for p in POLICIES}  # idempotent


async def test_the_audit_chain_verifies_across_partitions(db: asyncpg.Connection) -> None:
    today = await utc_today(db)
    months = [month(today, -3), month(today, -2), month(today, -1)]
    await db.execute("SELECT xinyi_ensure_partitions('audit_log', 'at', 'month', $1, $2)",
                     months[0], today)
    for i, first in enumerate(months):  # unsealed entries written in earlier months
        at = datetime(first.year, first.month, 15, 12, tzinfo=UTC)
        await db.execute("INSERT INTO audit_log (at, actor, role, action, endpoint, detail)"
                         " VALUES ($1, 'operator-1', 'operator', 'test.old', 'test', $2)",
                         at, {"i": i})
    await audit.append(db, OPERATOR, action="test.now", endpoint="test")
    result = await audit.verify(db)
    assert result.ok and result.checked == 4
    homes = {r["p"] for r in await db.fetch("SELECT tableoid::regclass::text AS p FROM audit_log")}
    assert len(homes) == 4  # three old months and this one
    # A change to an entry in the oldest partition breaks the chain there.
    oldest = await db.fetchval("SELECT id FROM audit_log ORDER BY at LIMIT 1")
    await db.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete")
    await db.execute("UPDATE audit_log SET actor = 'forger' WHERE id = $1", oldest)
    await db.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_delete")
    broken = await audit.verify(db)
    assert not broken.ok and broken.first_bad_id == oldest
    # Nor may a partition simply go: dropping a month of the log is a deleted stretch.
    with pytest.raises(asyncpg.RestrictViolationError):
        await db.execute(f"TRUNCATE audit_log_p{months[1]:%Y%m}")


async def test_an_existing_chain_over_several_months_is_converted_and_still_verifies(
    empty_database_url: str, tmp_path: Path,
) -> None:
    before = tmp_path / "migrations"
    before.mkdir()
    for path in core_migrations_dir().glob("*.sql"):
        if path.name < "0203":
            shutil.copy(path, before / path.name)
    conn = await connect(empty_database_url)
    try:
        await migrate(conn, [MigrationSource("core", before)])
        today = await utc_today(conn)
        for shift in (-14, -2, 0):
            first = month(today, shift)
            await conn.execute(
                "INSERT INTO audit_log (at, actor, role, action, endpoint) VALUES"
                " ($1, 'operator-1', 'operator', 'test.old', 'test')",
                datetime(first.year, first.month, 3, tzinfo=UTC))
        await audit.seal(conn)
        head = await conn.fetchrow("SELECT last_seq, last_hash FROM audit_chain_head")
        await migrate(conn, [core_source()])
        assert await conn.fetchval(
            "SELECT relkind::text FROM pg_class WHERE relname = 'audit_log'") == "p"
        result = await audit.verify(conn)
        assert result.ok and result.checked == 3
        assert (result.last_seq, await conn.fetchval(
            "SELECT last_hash FROM audit_chain_head")) == (head["last_seq"], head["last_hash"])
        homes = [r["p"] for r in await conn.fetch(
            "SELECT tableoid::regclass::text AS p FROM audit_log ORDER BY seq")]
        assert homes == [f"audit_log_p{month(today, s):%Y%m}" for s in (-14, -2, 0)]
        new = await audit.append(conn, OPERATOR, action="test.new", endpoint="test")
        assert new == 4 and (await audit.verify(conn)).checked == 4
    finally:
        await conn.close()


async def test_retention_rolls_up_old_scan_counts_and_drops_old_counters(
    db: asyncpg.Connection,
) -> None:
    today = await utc_today(db)
    subject = await db.fetchval(
        "INSERT INTO subjects (id, type, uscc, name, region_code, industry) VALUES"
        " ('E00000001', 'enterprise', '91340403MA0000001X', '老店', '340403', 'retail')"
        " RETURNING id")
    old, older = month(today, -13), month(today, -15)
    await db.execute("SELECT xinyi_ensure_partitions('scan_daily', 'day', 'month', $1, $1)", old)
    await db.executemany("INSERT INTO scan_daily (subject_id, day, count) VALUES ($1, $2, $3)",
                         [(subject, old, 5), (subject, old + timedelta(days=1), 7),
                          (subject, older, 11), (subject, today, 1)])
    assert await partition_of(db, "scan_daily", "day = $1", older) == "scan_daily_default"
    recent_counter = datetime.combine(today, time(12), UTC)  # the test's day, not the wall clock
    stale = recent_counter - timedelta(days=10)
    await db.execute("SELECT xinyi_ensure_partitions('rate_limit_counters', 'window_start',"
                     " 'day', $1, $1)", stale.date())
    await db.executemany("INSERT INTO rate_limit_counters (bucket, window_start, n)"
                         " VALUES ($1, $2, 1)", [("a", stale), ("b", recent_counter)])

    report = await maintain(db, today)
    assert f"scan_daily_p{old:%Y%m}" in report.dropped["scan_daily"]
    assert f"rate_limit_counters_p{stale:%Y%m%d}" in report.dropped["rate_limit_counters"]
    assert "audit_log" not in report.dropped and "grade_history" not in report.dropped
    monthly = {r["month"]: r["count"] for r in await db.fetch(
        "SELECT month, count FROM scan_monthly WHERE subject_id = $1", subject)}
    assert monthly == {old: 12, older: 11}
    assert [r["day"] for r in await db.fetch("SELECT day FROM scan_daily")] == [today]
    assert [r["bucket"] for r in await db.fetch("SELECT bucket FROM rate_limit_counters")] == [
        "b"]
    again = await maintain(db, today)  # nothing left to do
    assert not any(again.dropped.values()) and sum(again.created.values()) == 0


async def test_rows_written_before_their_partition_existed_move_into_it(
    db: asyncpg.Connection,
) -> None:
    today = await utc_today(db)
    far = month(today, 30)
    await db.execute(
        "INSERT INTO subjects (id, type, uscc, name, region_code, industry) VALUES"
        " ('E00000001', 'enterprise', '91340403MA0000001X', '老店', '340403', 'retail')")
    await db.execute("INSERT INTO scan_daily (subject_id, day, count) VALUES"
                     " ('E00000001', $1, 3)", far)
    assert await partition_of(db, "scan_daily", "day = $1", far) == "scan_daily_default"
    await ensure_ahead(db, month(today, 8))
    assert await partition_of(db, "scan_daily", "day = $1", far) == f"scan_daily_p{far:%Y%m}"
    assert await db.fetchval("SELECT count FROM scan_daily WHERE day = $1", far) == 3


def test_the_partition_job_runs_from_the_command_line(database_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "XINYI_SECRET_KEY": TEST_SECRET,
           "XINYI_DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "xinyi_api.cli", "jobs", "run",
                           "db.partitions"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "partition(s) created" in done.stdout
