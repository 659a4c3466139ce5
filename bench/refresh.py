"""Regrading at city scale: ``.venv/bin/python bench/refresh.py`` (issue 12).

1. Starts an embedded PostgreSQL (pgserver) in a fresh directory under /tmp, migrates (the
   core and every installed scenario), and bulk-loads ``--subjects`` subjects (default
   100 000) that 信用+牛肉汤产业 covers — a fifth enterprises, the rest their stores, all
   ``beef_soup`` — with realistic files: a 食品经营许可 for most, zero to four 监督检查 over two
   years (mostly 合格, some 责令整改, a few 不合格), penalties, upheld complaints, 诚信经营承诺,
   rewards, and consumer rating summaries for most stores; then ``VACUUM ANALYZE``. Every
   record's 公示期 is computed as the core computes it, so grading counts what it would count.
2. Grades everything once (untimed: the state after the load).
3. Measures, in the same run, each after the one before:
   a. **a full regrade**, ``grading.regrade.run_regrade`` — what ``xinyi-api regrade`` runs:
      every subject under every rule covering it (public + 信用+牛肉汤), in batches of
      ``--batch-size``, one transaction each, resumable;
   b. **the background refresh of one scenario**, ``scenarios.freshness.refresh``, after a new
      rule version of 信用+牛肉汤 (thresholds moved, so some grades change): what every worker
      start kicks off — the covered subjects under that one rule, in batches, from the
      scheme's cursor, while the service serves.

Prints subjects per second (wall clock) and the Python process's CPU time for each. Not a
test: the figures depend on the machine. Record them in bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from xinyi_api.db.migrate import migrate  # noqa: E402
from xinyi_api.db.pool import connect, create_pool  # noqa: E402
from xinyi_api.grading.public_rule import PUBLIC_RULE  # noqa: E402
from xinyi_api.grading.regrade import run_regrade  # noqa: E402
from xinyi_api.grading.service import Grader  # noqa: E402
from xinyi_api.keys import ensure_keys  # noqa: E402
from xinyi_api.platform import build_platform  # noqa: E402
from xinyi_api.scenarios.freshness import reconcile, refresh  # noqa: E402
from xinyi_api.scenarios.loader import LoadedScenario  # noqa: E402
from xinyi_api.scenarios.registry import ScenarioRegistry  # noqa: E402
from xinyi_api.settings import Settings  # noqa: E402
from xinyi_api.subjects.uscc import check_character  # noqa: E402

SECRET = "bench-secret-key-not-for-production"
TODAY = date(2026, 11, 16)
"""The day everything is graded as of (records are placed relative to it)."""
SCHEME = "beef_soup"


def log(message: str) -> None:
    print(message, flush=True)


# --- data ---------------------------------------------------------------------------------------

# Months a record stays public (公示期), as xinyi_api.records.kinds.display_months computes them.
PUBLIC_UNTIL = """
    occurred_on + make_interval(months => CASE
        WHEN kind IN ('penalty', 'judicial') THEN
            CASE severity WHEN 'minor' THEN 3 WHEN 'general' THEN 12 WHEN 'serious' THEN 24
                          ELSE 36 END
        WHEN kind = 'complaint' THEN
            CASE severity WHEN 'minor' THEN 3 WHEN 'general' THEN 6 WHEN 'serious' THEN 12
                          ELSE 24 END
        WHEN kind = 'inspection' AND result = 'fail' THEN
            CASE severity WHEN 'serious' THEN 24 WHEN 'severe' THEN 36 ELSE 12 END
        WHEN kind = 'inspection' THEN 12
        WHEN kind = 'commitment' AND result = 'broken' THEN 12
        ELSE 36 END)
"""

# One row per record to create: (subject, kind, severity, result, title, days ago). ``h(n)``
# is a deterministic number in [0, 1) per subject and salt, so a run is reproducible.
RECORDS = f"""
WITH s AS (
    SELECT id, type,
           ('x' || substr(md5(id || ':1'), 1, 8))::bit(32)::bigint / 4294967296.0 AS h1,
           ('x' || substr(md5(id || ':2'), 1, 8))::bit(32)::bigint / 4294967296.0 AS h2,
           ('x' || substr(md5(id || ':3'), 1, 8))::bit(32)::bigint / 4294967296.0 AS h3,
           ('x' || substr(md5(id || ':4'), 1, 8))::bit(32)::bigint / 4294967296.0 AS h4
    FROM subjects
),
planned AS (
    -- 食品经营许可: 92 % hold one, issued 1-3 years ago (a few lapsed: older than 3 years).
    SELECT id, 'licence' AS kind, NULL AS severity, NULL AS result, '食品经营许可证' AS title,
           (30 + h1 * 1150)::int AS days_ago
    FROM s WHERE h1 < 0.92
    UNION ALL
    -- 监督检查: 0-4 inspections in two years; 85 % 合格, 10 % 责令整改, 5 % 不合格.
    SELECT id, 'inspection',
           CASE WHEN r >= 0.95 THEN (ARRAY['minor', 'general', 'serious'])[1 + (k % 3)] END,
           CASE WHEN r < 0.85 THEN 'pass' WHEN r < 0.95 THEN 'rectify' ELSE 'fail' END,
           CASE WHEN r < 0.85 THEN '日常监督检查' ELSE '监督检查发现问题' END,
           (k * 170 + h2 * 160)::int
    FROM s, generate_series(0, 3) AS k,
         LATERAL (SELECT ('x' || substr(md5(id || ':i' || k), 1, 8))::bit(32)::bigint
                         / 4294967296.0 AS r) AS roll
    WHERE k < floor(h2 * 5)
    UNION ALL
    -- 行政处罚: 8 % of subjects, mostly minor.
    SELECT id, 'penalty',
           CASE WHEN h3 < 0.05 THEN 'minor' WHEN h3 < 0.07 THEN 'general' ELSE 'serious' END,
           NULL, '后厨卫生不达标', (20 + h4 * 600)::int
    FROM s WHERE h3 < 0.08
    UNION ALL
    -- 查实投诉: 5 %.
    SELECT id, 'complaint', CASE WHEN h4 < 0.4 THEN 'minor' ELSE 'general' END, NULL,
           '消费投诉(查实)', (10 + h1 * 300)::int
    FROM s WHERE h3 >= 0.08 AND h3 < 0.13
    UNION ALL
    -- 诚信经营承诺: 30 %: pending, kept, a few broken.
    SELECT id, 'commitment', CASE WHEN h4 >= 0.95 THEN 'general' END,
           CASE WHEN h4 < 0.5 THEN 'pending' WHEN h4 < 0.95 THEN 'kept' ELSE 'broken' END,
           '诚信经营承诺书', (40 + h2 * 500)::int
    FROM s WHERE h3 >= 0.5 AND h3 < 0.8
    UNION ALL
    -- 表彰: 3 %.
    SELECT id, 'reward', NULL, NULL, '淮南市诚信示范店', (60 + h1 * 400)::int
    FROM s WHERE h3 >= 0.97
)
INSERT INTO credit_records (id, subject_id, kind, severity, result, title, source_department,
                            legal_basis, occurred_on, published_on, public_until)
SELECT 'R' || lpad(nextval('record_id_seq')::text, 10, '0'), id, kind, severity, result, title,
       'scjg', CASE WHEN kind IN ('penalty', 'complaint') OR result = 'fail'
                    THEN '《中华人民共和国食品安全法》第一百二十六条' ELSE '' END,
       occurred_on, occurred_on, ({PUBLIC_UNTIL})::date
FROM (SELECT *, $1::date - days_ago AS occurred_on FROM planned) AS p
"""

# Published consumer ratings of 70 % of stores: 0-120 ratings, mostly 4-5 stars.
RATINGS = """
WITH s AS (
    SELECT id,
           ('x' || substr(md5(id || ':r'), 1, 8))::bit(32)::bigint / 4294967296.0 AS h,
           ('x' || substr(md5(id || ':q'), 1, 8))::bit(32)::bigint / 4294967296.0 AS q
    FROM subjects WHERE type = 'store'
), d AS (
    SELECT id, (h * 120)::int AS n, q FROM s WHERE h < 0.7
), split AS (
    SELECT id, n,
           (n * 0.03 * (1 + q))::int AS s1, (n * 0.04 * (1 + q))::int AS s2,
           (n * 0.10 * (1 + q))::int AS s3, (n * 0.30)::int AS s4
    FROM d
)
INSERT INTO rating_summaries (subject_id, n, total, s1, s2, s3, s4, s5)
SELECT id, n, s1 + 2 * s2 + 3 * s3 + 4 * s4 + 5 * (n - s1 - s2 - s3 - s4),
       s1, s2, s3, s4, n - s1 - s2 - s3 - s4
FROM split WHERE n - s1 - s2 - s3 - s4 >= 0
"""


async def load(url: str, subjects: int) -> None:
    settings = Settings(database_url=url, secret_key=SECRET)
    conn = await connect(url)
    try:
        await migrate(conn, build_platform(settings).migration_sources)
        await ensure_keys(conn, SECRET)
        await conn.execute("INSERT INTO departments (code, name, region_code) VALUES "
                           "('scjg', '淮南市市场监督管理局', '340400')")
        started = time.perf_counter()
        enterprises = subjects // 5
        stores = subjects - enterprises
        rows = []
        for i in range(1, enterprises + 1):
            body = f"91340403MA{i:07d}"
            rows.append((f"E{i:08d}", "enterprise", body + check_character(body),
                         f"淮南牛肉汤餐饮有限公司{i}号", "340403", SCHEME))
        await conn.copy_records_to_table(
            "subjects", records=rows,
            columns=["id", "type", "uscc", "name", "region_code", "industry"])
        await conn.execute(
            """
            INSERT INTO subjects (id, type, enterprise_id, name, region_code, industry, address)
            SELECT 'S' || lpad(n::text, 8, '0'), 'store',
                   'E' || lpad((1 + (n - 1) % $2)::text, 8, '0'),
                   '老韩家牛肉汤(' || n || '号店)', '340403', 'beef_soup',
                   '田家庵区洞山中路 ' || n || ' 号'
            FROM generate_series(1, $1) AS n
            """, stores, enterprises)
        await conn.execute("SELECT setval('store_id_seq', $1), setval('enterprise_id_seq', $2)",
                           stores, enterprises)
        await conn.execute(RECORDS, TODAY)
        await conn.execute(RATINGS)
        counts = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM subjects) AS subjects,"
            " (SELECT count(*) FROM credit_records) AS records,"
            " (SELECT count(*) FROM credit_records WHERE public_until >= $1) AS public,"
            " (SELECT count(*) FROM rating_summaries) AS rated", TODAY)
        await conn.execute("VACUUM ANALYZE")
        log(f"  {counts['subjects']:,} subjects ({enterprises:,} enterprises, {stores:,} "
            f"stores), {counts['records']:,} records ({counts['public']:,} in their 公示期), "
            f"{counts['rated']:,} stores with ratings — {time.perf_counter() - started:.1f} s")
    finally:
        await conn.close()


# --- measurements -------------------------------------------------------------------------------


class Timer:
    def __enter__(self) -> Timer:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


async def measure(url: str, batch_size: int) -> None:
    settings = Settings(database_url=url, secret_key=SECRET)
    platform = build_platform(settings)
    grader = platform.grader
    conn = await connect(url)
    pool = await create_pool(url, min_size=1, max_size=2)
    try:
        covered = await conn.fetchval("SELECT count(*) FROM subjects WHERE industry = $1",
                                      SCHEME)
        total = await conn.fetchval("SELECT count(*) FROM subjects")

        with Timer() as first:
            await run_regrade(conn, grader, TODAY, batch_size=batch_size)
        grades = await conn.fetchval("SELECT count(*) FROM grades")
        await conn.execute("VACUUM ANALYZE grades, grade_history")
        log(f"  first grading (untimed baseline): {grades:,} grades in {first.wall:.1f} s")
        distribution = await conn.fetch(
            "SELECT scheme, grade, count(*) AS n FROM grades GROUP BY 1, 2 ORDER BY 1, 2")
        for scheme in ("public", SCHEME):
            log(f"    {scheme}: " + ", ".join(f"{r['grade']} {r['n']:,}" for r in distribution
                                             if r["scheme"] == scheme))

        log(f"\n(a) xinyi-api regrade (run_regrade, all {total:,} subjects, rules: "
            f"{grader.fingerprint}, batches of {batch_size}):")
        with Timer() as full:
            report = await run_regrade(conn, grader, TODAY, batch_size=batch_size)
        assert report.processed == total, report
        log(f"    {total / full.wall:,.0f} subjects/s — {full.wall:.1f} s wall, "
            f"Python CPU {full.cpu:.1f} s ({full.cpu / full.wall:.0%})")

        scenario = platform.scenarios.get(SCHEME)
        assert scenario is not None
        bumped = dataclasses.replace(scenario, rule_version="bench-2",
                                     thresholds=(("A", 820), ("B", 700), ("C", 560)))
        registry = ScenarioRegistry(loaded=[LoadedScenario(bumped, "bench", "bench")])
        bumped_grader = Grader([PUBLIC_RULE, bumped.rule()], grader.loaders)
        async with pool.acquire() as c:
            stale = await reconcile(c, registry)
        assert [s.key for s in stale] == [SCHEME], stale
        log(f"\n(b) background refresh of {SCHEME} (freshness.refresh, {covered:,} covered "
            f"subjects, new rule version, batches of {batch_size}):")
        with Timer() as fresh:
            done = await refresh(pool, bumped_grader, bumped, TODAY, batch_size=batch_size)
        assert done == covered, (done, covered)
        changed = await conn.fetchval(
            "SELECT count(*) FROM grade_history WHERE scheme = $1 AND rule_version = $2",
            SCHEME, "bench-2")
        log(f"    {covered / fresh.wall:,.0f} subjects/s — {fresh.wall:.1f} s wall, "
            f"Python CPU {fresh.cpu:.1f} s ({fresh.cpu / fresh.wall:.0%}); "
            f"{changed:,} history rows under the new version")
    finally:
        await pool.close()
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subjects", type=int, default=100_000,
                        help="subjects 信用+牛肉汤 covers (a fifth enterprises, the rest stores)")
    parser.add_argument("--batch-size", type=int, default=1000,
                        help="subjects per batch (the default of both commands)")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    args = parser.parse_args()

    from pgserver.postgres_server import get_server

    workdir = Path(tempfile.mkdtemp(prefix="xinyi-bench-refresh-", dir="/tmp"))
    log(f"xinyi-api regrade benchmark — {os.cpu_count()} CPUs, Python "
        f"{sys.version.split()[0]}; data directory {workdir}")
    server = get_server(workdir / "pgdata", cleanup_mode="stop")
    try:
        url = server.get_uri()
        log("loading …")
        asyncio.run(load(url, args.subjects))
        asyncio.run(measure(url, args.batch_size))
    finally:
        server.cleanup()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
