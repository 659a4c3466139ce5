"""One-command benchmark of the 诚信码 scan path: ``.venv/bin/python bench/run.py``.

1. Starts an embedded PostgreSQL (pgserver) in a fresh directory under /tmp and bulk-loads
   ``--stores`` stores (default 100 000) with set-based SQL: enterprises by COPY, stores by
   ``INSERT … SELECT generate_series`` (the codes trigger issues their codes in the same
   statement), a few records, then grades with the real batch grader.
2. Serves, one after the other and with the same uvicorn settings (1 worker, 127.0.0.1):
   a bare Litestar endpoint, a one-SELECT endpoint (``bench/baselines.py``) and xinyi-api,
   and loads each with 64 connections (``wrk`` if installed, else a Python client).
3. Measures PNG rendering uncached vs cached (over HTTP) and a bare ``qrcode`` call.
4. Measures staleness: a record added through one instance, polled on another instance's scan.

Prints the figures and their ratios to the baselines. Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from bench.loadgen import LoadResult, have_wrk, run_load, run_once  # noqa: E402
from xinyi_api.auth.tokens import issue_token  # noqa: E402
from xinyi_api.codes import render  # noqa: E402
from xinyi_api.codes.token import code_url, encode_code_token  # noqa: E402
from xinyi_api.db.migrate import migrate  # noqa: E402
from xinyi_api.db.pool import connect, create_pool  # noqa: E402
from xinyi_api.grading.regrade import run_regrade  # noqa: E402
from xinyi_api.keys import KeyStore, ensure_keys  # noqa: E402
from xinyi_api.platform import build_platform  # noqa: E402
from xinyi_api.settings import Settings  # noqa: E402
from xinyi_api.subjects.uscc import check_character  # noqa: E402

SECRET = "bench-secret-key-not-for-production"
BASE_URL = "http://127.0.0.1:8000"


def log(message: str) -> None:
    print(message, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# --- data ---------------------------------------------------------------------------------------


async def load_data(url: str, stores: int, enterprises: int) -> None:
    settings = Settings(database_url=url, secret_key=SECRET)
    conn = await connect(url)
    try:
        await migrate(conn, build_platform(settings).migration_sources)
        await ensure_keys(conn, SECRET)
        await conn.execute("INSERT INTO departments (code, name, region_code) VALUES "
                           "('scjg', '淮南市市场监督管理局', '340400') ON CONFLICT DO NOTHING")
        started = time.perf_counter()
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
            """,
            stores, enterprises,
        )
        await conn.execute(
            "SELECT setval('store_id_seq', $1), setval('enterprise_id_seq', $2)",
            stores, enterprises,
        )
        # Two inspections per store so that grades are real, a penalty on every tenth.
        await conn.execute(
            """
            INSERT INTO credit_records (id, subject_id, kind, result, title, source_department,
                                        occurred_on, published_on, public_until)
            SELECT 'R' || lpad(nextval('record_id_seq')::text, 10, '0'), s.id, 'inspection',
                   'pass', '日常监督检查', 'scjg', current_date - k * 30, current_date - k * 30,
                   current_date + 300
            FROM subjects s, generate_series(1, 2) AS k WHERE s.type = 'store'
            """
        )
        await conn.execute(
            """
            INSERT INTO credit_records (id, subject_id, kind, severity, title, source_department,
                                        legal_basis, occurred_on, published_on, public_until)
            SELECT 'R' || lpad(nextval('record_id_seq')::text, 10, '0'), s.id, 'penalty',
                   'minor', '后厨卫生不达标', 'scjg', '《中华人民共和国食品安全法》第一百二十六条',
                   current_date - 10, current_date - 10, current_date + 80
            FROM subjects s WHERE s.type = 'store' AND right(s.id, 1) = '7'
            """
        )
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        await run_regrade(conn, build_platform(settings).grader, date.today(), batch_size=5000)
        graded = time.perf_counter() - started
        counts = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM subjects WHERE type = 'store') AS stores,"
            " (SELECT count(*) FROM codes) AS codes, (SELECT count(*) FROM grades) AS grades,"
            " (SELECT count(*) FROM credit_records) AS records")
        await conn.execute("VACUUM ANALYZE")
        log(f"  loaded {counts['stores']:,} stores, {counts['codes']:,} codes, "
            f"{counts['records']:,} records in {loaded:.1f} s; {counts['grades']:,} grades "
            f"in {graded:.1f} s")
    finally:
        await conn.close()


async def code_tokens(url: str, count: int) -> list[tuple[str, str]]:
    """(store id, token) of ``count`` random stores' active codes."""
    pool = await create_pool(url, min_size=1, max_size=2)
    try:
        keys = KeyStore(pool, SECRET)
        await keys.load()
        async with pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT c.subject_id, c.serial, c.key_number FROM codes c JOIN subjects s"
                " ON s.id = c.subject_id WHERE c.status = 'active' AND s.type = 'store'"
                " ORDER BY random() LIMIT $1", count)
        out = []
        for r in rows:
            key = keys.by_number("code", r["key_number"])
            assert key is not None
            out.append((r["subject_id"],
                        encode_code_token(r["serial"], r["key_number"], keys.any_private_key(key))))
        return out
    finally:
        await pool.close()


async def department_token(url: str) -> str:
    pool = await create_pool(url, min_size=1, max_size=2)
    try:
        keys = KeyStore(pool, SECRET)
        await keys.load()
        return issue_token(keys, issuer="xinyi-api", audience="xinyi-api", subject="bench",
                           role="department", ttl_seconds=3600,
                           claims={"dept": "scjg", "region": "340400"})
    finally:
        await pool.close()


# --- servers ------------------------------------------------------------------------------------


@contextmanager
def serve(target: str, port: int, env: dict[str, str], logs: Path) -> Iterator[str]:
    """uvicorn, 1 worker, on 127.0.0.1:port — the same settings for every app."""
    log_file = (logs / f"{target.replace(':', '_')}-{port}.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", target, "--host", "127.0.0.1",
         "--port", str(port), "--workers", "1", "--no-access-log", "--log-level", "warning"],
        cwd=ROOT, env={**os.environ, **env}, stdout=log_file, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{target} exited; see {log_file.name}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{target} did not start") from None
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log_file.close()


def measure(base: str, paths: list[str], args: argparse.Namespace, label: str) -> LoadResult:
    run_load(base, paths, connections=args.connections, seconds=args.warmup,
             force_python=args.python_client)
    result = run_load(base, paths, connections=args.connections, seconds=args.seconds,
                      force_python=args.python_client)
    log(f"  {label:<34} {result.rps:>9,.0f} req/s   p50 {result.p50_ms:6.2f} ms   "
        f"p99 {result.p99_ms:6.2f} ms   errors {result.errors}   ({result.tool})")
    return result


# --- rendering ----------------------------------------------------------------------------------


def time_call(fn: object, n: int) -> float:
    assert callable(fn)
    started = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - started) / n * 1e3


def bare_qrcode_png(url: str) -> bytes:
    import qrcode

    buffer = io.BytesIO()
    qrcode.make(url).save(buffer)
    return buffer.getvalue()


# --- staleness ----------------------------------------------------------------------------------


async def staleness(a: str, b: str, store_id: str, token: str, dept: str,
                    rounds: int) -> list[float]:
    """Seconds from a record committed through A to B's scan showing it."""
    headers = {"Authorization": f"Bearer {dept}"}
    out = []
    async with httpx.AsyncClient(timeout=10) as client:
        for i in range(rounds):
            before = len((await client.get(f"{b}/api/v1/scan/{token}")).json()["records"])
            body = {"kind": "inspection", "result": "pass", "title": f"复查 {i}",
                    "occurred_on": date.today().isoformat()}
            r = await client.post(f"{a}/api/v1/subjects/{store_id}/records", headers=headers,
                                  json=body)
            r.raise_for_status()
            committed = time.perf_counter()
            while True:
                scan = (await client.get(f"{b}/api/v1/scan/{token}")).json()
                if len(scan["records"]) > before:
                    out.append(time.perf_counter() - committed)
                    break
                if time.perf_counter() - committed > 5:
                    out.append(float("inf"))
                    break
    return out


# --- main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stores", type=int, default=100_000)
    parser.add_argument("--enterprises", type=int, default=20_000)
    parser.add_argument("--codes", type=int, default=20_000, help="distinct codes scanned")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=4.0)
    parser.add_argument("--python-client", action="store_true", help="do not use wrk")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    args = parser.parse_args()

    import pgserver

    workdir = Path(tempfile.mkdtemp(prefix="xinyi-bench-", dir="/tmp"))
    logs = workdir / "logs"
    logs.mkdir()
    log(f"xinyi-api benchmark — {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
        f"load generator: {'wrk' if have_wrk() and not args.python_client else 'python'}")
    log(f"data directory {workdir}")
    server = pgserver.get_server(  # type: ignore[attr-defined]
        workdir / "pgdata", cleanup_mode="stop")
    try:
        url = server.get_uri()
        log("loading data …")
        asyncio.run(load_data(url, args.stores, args.enterprises))
        tokens = asyncio.run(code_tokens(url, args.codes))
        dept = asyncio.run(department_token(url))
        env = {"DATABASE_URL": url, "XINYI_SECRET_KEY": SECRET, "XINYI_LOG_LEVEL": "WARNING",
               "XINYI_PUBLIC_BASE_URL": BASE_URL, "XINYI_DB_POOL_MAX": "10"}
        ids = [store for store, _ in tokens]

        log(f"\nrequests at {args.connections} connections, {args.seconds:.0f} s each "
            f"(after {args.warmup:.0f} s warm-up), {len(tokens):,} distinct codes/ids:")
        with serve("bench.baselines:bare_app", free_port(), env, logs) as base:
            bare = measure(base, [f"/bare/{i}" for i in ids], args, "bare Litestar (no I/O)")
        with serve("bench.baselines:select_app", free_port(), env, logs) as base:
            select = measure(base, [f"/select/{i}" for i in ids], args,
                             "Litestar + 1 asyncpg PK select")
        port_a, port_b = free_port(), free_port()
        with serve("xinyi_api.asgi:app_from_env", port_a, env, logs) as a:
            scan_paths = [f"/api/v1/scan/{t}" for _, t in tokens]
            # One pass over every code first: it fills the profile cache, and it measures the
            # miss path (token verification + one REPEATABLE READ load of the profile).
            cold = run_once(a, scan_paths, connections=16)
            log(f"  {'xinyi-api scan, cache miss (1st)':<34} {cold.rps:>9,.0f} req/s   "
                f"p50 {cold.p50_ms:6.2f} ms   p99 {cold.p99_ms:6.2f} ms   errors {cold.errors}"
                f"   (each code once, 16 connections)")
            scan = measure(a, scan_paths, args, "xinyi-api scan (JSON), cached")
            run_once(a, [f"/C/{t}" for _, t in tokens], connections=16)
            h5 = measure(a, [f"/C/{t}" for _, t in tokens], args, "xinyi-api H5 page, cached")

            log("\nPNG rendering:")
            sample_url = code_url(BASE_URL, tokens[0][1])
            bare_ms = time_call(lambda: bare_qrcode_png(sample_url), 100)
            render_ms = time_call(lambda: render.render_png(sample_url), 100)
            log(f"  in-process: bare qrcode.make + PNG {bare_ms:.2f} ms, "
                f"render_png {render_ms:.2f} ms")
            rng = random.Random(7)
            # Each code once, at one of the served variants (other sizes are refused).
            uncached_paths = [f"/api/v1/codes/{t}.png?scale={rng.choice(render.SERVED_SCALES)}"
                              f"&border={rng.choice(render.SERVED_BORDERS)}" for _, t in tokens]
            uncached = run_load(a, uncached_paths, connections=args.connections,
                                seconds=args.seconds / 2, force_python=args.python_client)
            # Renders queued when the load stopped still run; let them finish first.
            time.sleep(3)
            cached_paths = [f"/api/v1/codes/{t}.png" for _, t in tokens[:200]]
            run_load(a, cached_paths, connections=8, seconds=2, force_python=args.python_client)
            cached = run_load(a, cached_paths, connections=args.connections,
                              seconds=args.seconds / 2, force_python=args.python_client)
            for label, r in (("PNG uncached (render each)", uncached),
                             ("PNG cached", cached)):
                log(f"  {label:<34} {r.rps:>9,.0f} req/s   p50 {r.p50_ms:6.2f} ms   "
                    f"p99 {r.p99_ms:6.2f} ms   errors {r.errors}")
            if uncached.requests > len(uncached_paths):
                log("  (note: the uncached run repeated paths; raise --codes)")

            log("\nstaleness (record added via instance A, scan polled on instance B):")
            with serve("xinyi_api.asgi:app_from_env", port_b, env, logs) as b:
                store_id, token = tokens[1]
                delays = asyncio.run(staleness(a, b, store_id, token, dept, rounds=20))
            finite = [d for d in delays if d != float("inf")]
            log(f"  median {statistics.median(delays) * 1e3:.1f} ms, "
                f"max {max(delays) * 1e3:.1f} ms over {len(delays)} changes"
                + ("" if len(finite) == len(delays) else " (SOME NEVER SHOWED)"))

        log("\nratios:")
        log(f"  scan / one-select baseline  {scan.rps / select.rps:6.0%}   (target ≥ 80 %)")
        log(f"  scan / bare framework       {scan.rps / bare.rps:6.0%}   (aim ≥ 70 %)")
        log(f"  H5 / bare framework         {h5.rps / bare.rps:6.0%}")
        log(f"  PNG cached / uncached       {cached.rps / max(uncached.rps, 1e-9):6.1f}×   "
            f"(target ≥ 20×)")
        log(f"  staleness max               {max(delays) * 1e3:6.1f} ms (target < 1000 ms)")
    finally:
        server.cleanup()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
