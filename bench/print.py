"""Print jobs at city scale: ``.venv/bin/python bench/print.py --stores 10000`` (issue 13).

1. Starts an embedded PostgreSQL (pgserver) in a fresh directory under /tmp, migrates, and
   bulk-loads ``--stores`` stores (plus one enterprise per five stores) in 340403, beef_soup;
   the database issues every subject its code as it is inserted.
2. For each ``--format`` (``pdf``: A4 8-up sheets; ``zip``: PNG + manifest), orders one print
   job of every store (``print.service.create_job``, as an operator) and runs it with the same
   ``PrintRunner`` the API workers and ``xinyi-api codes export`` use, in this process.
3. Prints codes per second (wall clock, ordering included) and memory: the process's resident
   set (``/proc/self/statm``) at the start and at every tenth of the job, and its peak
   (``VmHWM``). Flat memory shows as the same resident set at 10 % and at 100 %.

``--max-seconds`` stops a job after that long (it stays at its last checkpoint, as a killed
worker would) and reports the rate so far. Not a test: the figures depend on the machine.
Record them in bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from xinyi_api.auth.tokens import Principal  # noqa: E402
from xinyi_api.clock import Clock  # noqa: E402
from xinyi_api.db.migrate import migrate  # noqa: E402
from xinyi_api.db.pool import connect  # noqa: E402
from xinyi_api.keys import KeyStore, ensure_keys  # noqa: E402
from xinyi_api.platform import build_platform  # noqa: E402
from xinyi_api.printing import schemas, service  # noqa: E402
from xinyi_api.settings import Settings  # noqa: E402
from xinyi_api.subjects.uscc import check_character  # noqa: E402

SECRET = "bench-secret-key-not-for-production"
PAGE = os.sysconf("SC_PAGE_SIZE")


def log(message: str) -> None:
    print(message, flush=True)


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE / 2**20


def peak_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def load(url: str, stores: int, settings: Settings) -> None:
    conn = await connect(url)
    try:
        await migrate(conn, build_platform(settings).migration_sources)
        await ensure_keys(conn, SECRET)
        started = time.perf_counter()
        enterprises = max(1, stores // 5)
        rows = []
        for i in range(1, enterprises + 1):
            body = f"91340403MA{i:07d}"
            rows.append((f"E{i:08d}", "enterprise", body + check_character(body),
                         f"淮南牛肉汤餐饮有限公司{i}号", "340403", "beef_soup"))
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
        codes = await conn.fetchval("SELECT count(*) FROM codes WHERE status = 'active'")
        await conn.execute("VACUUM ANALYZE")
        log(f"  {stores:,} stores, {enterprises:,} enterprises, {codes:,} active codes — "
            f"{time.perf_counter() - started:.1f} s")
    finally:
        await conn.close()


async def measure(url: str, settings: Settings, fmt: str, max_seconds: float) -> None:
    conn = await connect(url)
    try:
        keys = KeyStore(None, SECRET)
        await keys.load(conn)
        clock = Clock(settings.tz)
        order = schemas.PrintJobCreate(region="340403", kind="store", format=fmt)
        operator = Principal(sub="bench", role="operator")
        start_rss = rss_mb()
        started = time.perf_counter()
        job = await service.create_job(conn, operator, order,
                                       industries=build_platform(settings).industries,
                                       settings=settings, now=clock.now(), endpoint="bench")
        ordered = time.perf_counter() - started
        total = job["total"]
        marks: dict[int, float] = {}
        runner = service.PrintRunner(settings, clock, keys, worker="bench")

        def progress(done: int, of: int) -> None:
            tenth = done * 10 // max(of, 1)
            if tenth not in marks:
                marks[tenth] = rss_mb()

        log(f"\n{fmt}: {total:,} codes (ordered in {ordered:.1f} s); resident set before: "
            f"{start_rss:.0f} MB")
        try:
            outcome = await asyncio.wait_for(runner.run_job(conn, job["id"], progress),
                                             max_seconds)
        except TimeoutError:
            outcome = "stopped"
            conn = await connect(url)  # the cancelled query left the old one unusable
        wall = time.perf_counter() - started
        row = await conn.fetchrow("SELECT done, output_bytes FROM print_jobs WHERE id = $1",
                                  job["id"])
        done = row["done"]
        log(f"  {outcome}: {done:,} of {total:,} codes in {wall:.1f} s — "
            f"{done / wall:,.1f} codes/s"
            + (f", output {row['output_bytes'] / 2**20:,.1f} MB "
               f"({row['output_bytes'] / max(done, 1) / 1024:.1f} KB a code)"
               if row["output_bytes"] else ""))
        log("  resident set at each tenth: " + ", ".join(
            f"{t * 10} % {mb:.0f} MB" for t, mb in sorted(marks.items())))
        log(f"  peak resident set (VmHWM) {peak_mb():.0f} MB")
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stores", type=int, default=10_000)
    parser.add_argument("--format", dest="formats", action="append", choices=["pdf", "zip"],
                        help="repeatable; default: pdf then zip")
    parser.add_argument("--max-seconds", type=float, default=600.0,
                        help="stop a job after this long and report the rate so far")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    args = parser.parse_args()

    from pgserver.postgres_server import get_server

    workdir = Path(tempfile.mkdtemp(prefix="xinyi-bench-print-", dir="/tmp"))
    log(f"xinyi-api print benchmark — {os.cpu_count()} CPUs, Python "
        f"{sys.version.split()[0]}; data directory {workdir}")
    server = get_server(workdir / "pgdata", cleanup_mode="stop")
    try:
        url = server.get_uri()
        settings = Settings(database_url=url, secret_key=SECRET, data_dir=workdir,
                            public_base_url="https://xinyi.huainan.gov.cn",
                            print_max_codes=10_000_000)
        log("loading …")
        asyncio.run(load(url, args.stores, settings))
        for fmt in args.formats or ["pdf", "zip"]:
            asyncio.run(measure(url, settings, fmt, args.max_seconds))
    finally:
        server.cleanup()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
