"""Rating submissions per second: ``.venv/bin/python bench/ratings.py``.

1. Starts an embedded PostgreSQL (pgserver) under /tmp, migrates, creates ``--stores`` beef-soup
   stores, ``--consumers`` established consumer accounts (not "new": the burst rule would hold
   their ratings and skip the regrade) and one fresh visit proof (到店证明) per consumer, each
   for one store, plus ``--history`` earlier ratings per store (40 days old, by other
   consumers) in both apps' tables, then ``VACUUM ANALYZE`` — tables with statistics, as in a
   running system. (Analysed *empty*, the planner would cache sequential-scan plans for the
   rating tables in every connection and keep them through the short run as the tables grow.)
2. Serves, one after the other with the same uvicorn settings (1 worker, 127.0.0.1, pool 10),
   four rungs from the issue's ceiling to the real endpoint (``RUNGS``):
   1. the **baseline**: a bare Litestar endpoint doing one asyncpg INSERT into
      ``bench_ratings``, which has the same ``UNIQUE (consumer_id, subject_id, period_start)``
      constraint as ``ratings``;
   2. the same INSERT after verifying the bearer token as the service does;
   3. the token, then the service's two rating statements with the grades left out: rate
      limits, visit proof, slot lock, abuse rules, insert, summary, audit entry — everything
      but the regrade of the store;
   4. **xinyi-api** ``POST /api/v1/stores/{id}/ratings`` with everything on: token check, rate
      limits (counted, limits raised), visit proof, the per-(consumer, store) slot lock, abuse
      rules, the insert, the regrade of the store (public + 信用+牛肉汤 rules) and the audit
      chain entry, in one transaction.
   Rungs 2 and 3 are measurements, not modes of the service: they split the gap into what
   authentication costs, what the database checks and writes cost, and what the regrade costs.
3. Loads each with ``--connections`` keep-alive connections of a small asyncio HTTP/1.1 client;
   every request is a different consumer, so every request is a new rating.

Prints requests per second, p50/p99 and the ratio (target ≥ 60 % of the baseline); how far the
audit sealing lagged during the xinyi-api run (entries committed but not yet chained, sampled);
and ``audit.verify`` over the whole chain afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import msgspec
from litestar import Litestar, Request, post
from litestar.params import JSONBody

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from xinyi_api.auth.tokens import Principal, issue_token, verify_token  # noqa: E402
from xinyi_api.consumers import ratelimit  # noqa: E402
from xinyi_api.consumers.identity import pseudonym  # noqa: E402
from xinyi_api.db.migrate import migrate  # noqa: E402
from xinyi_api.db.pool import connect, create_pool  # noqa: E402
from xinyi_api.keys import KeyStore, ensure_keys  # noqa: E402
from xinyi_api.platform import build_platform  # noqa: E402
from xinyi_api.ratings.service import q as rating_queries  # noqa: E402
from xinyi_api.settings import Settings  # noqa: E402
from xinyi_api.subjects.uscc import check_character  # noqa: E402

SECRET = "bench-secret-key-not-for-production"


def log(message: str) -> None:
    print(message, flush=True)


# --- the baseline app: one INSERT with the same unique constraint ---------------------------


class BareRating(msgspec.Struct, forbid_unknown_fields=True):
    stars: int
    text: str = ""


BASELINE_DDL = """
CREATE TABLE IF NOT EXISTS bench_ratings (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consumer_id   text NOT NULL,
    subject_id    text NOT NULL,
    period_start  timestamptz NOT NULL,
    stars         smallint NOT NULL CHECK (stars BETWEEN 1 AND 5),
    text          text NOT NULL DEFAULT '',
    UNIQUE (consumer_id, subject_id, period_start)
)
"""


BARE_INSERT = ("INSERT INTO bench_ratings (consumer_id, subject_id, period_start, stars, text)"
               " VALUES ($1, $2, date_trunc('day', now()), $3, $4) RETURNING id")
"""The baseline's one statement (rung 2 runs it too, after the token check)."""


@post("/bare/stores/{store_id:str}/ratings", status_code=201)
async def bare_rate(store_id: str, data: JSONBody[BareRating],
                    request: Request[Any, Any, Any]) -> dict[str, int]:
    pool: asyncpg.Pool = request.app.state.pool
    consumer = request.headers.get("x-bench-consumer", "")
    async with pool.acquire() as conn:
        row_id = await conn.fetchval(BARE_INSERT, consumer, store_id, data.stars, data.text)
    return {"id": row_id}


@asynccontextmanager
async def _pool(app: Litestar) -> AsyncIterator[None]:
    pool = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=2,
                                     max_size=int(os.environ.get("XINYI_DB_POOL_MAX", "10")))
    app.state.pool = pool
    try:
        yield
    finally:
        await pool.close()


def baseline_app() -> Litestar:
    """``uvicorn --factory bench.ratings:baseline_app`` (``DATABASE_URL`` set)."""
    return Litestar([bare_rate], lifespan=[_pool])


# --- the rungs between the two: what each guarantee costs -----------------------------------
#
# Not modes of the service: measurements that split the gap between the baseline and the real
# endpoint, each adding one layer to the one before, with the service's own functions and SQL.


async def _principal(request: Request[Any, Any, Any]) -> Principal:
    token = request.headers.get("authorization", "").removeprefix("Bearer ")
    return await verify_token(request.app.state.keystore, token, issuer="xinyi-api",
                              audience="xinyi-api")


@post("/token/stores/{store_id:str}/ratings", status_code=201)
async def token_rate(store_id: str, data: JSONBody[BareRating],
                     request: Request[Any, Any, Any]) -> dict[str, int]:
    """Rung 2: the baseline's INSERT after verifying the bearer token (EdDSA) as the service
    does (``auth.tokens.verify_token``)."""
    principal = await _principal(request)
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as conn:
        row_id = await conn.fetchval(BARE_INSERT, principal.sub, store_id, data.stars,
                                     data.text)
    return {"id": row_id}


@post("/checks/stores/{store_id:str}/ratings", status_code=201)
async def checks_rate(store_id: str, data: JSONBody[BareRating],
                      request: Request[Any, Any, Any]) -> dict[str, str]:
    """Rung 3: the token, then the service's two statements (``rating_prepare``: rate-limit
    hits, store, visit proof, file; ``rating_submit``: store and visit proof again, slot lock,
    abuse rules, insert, rating summary, audit entry) — without grading the store: the
    grades are passed as null, so the rating commits and the store keeps its old grade."""
    principal = await _principal(request)
    settings: Settings = request.app.state.settings
    checked = ratelimit.buckets(settings, {"rating": principal.sub,
                                           "rating_address": "127.0.0.1"})
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as conn:
        prepared = msgspec.json.decode(await conn.fetchval(
            rating_queries.prepare_rating, [b for b, _ in checked],
            [lim.seconds for _, lim in checked], principal.sub, store_id,
            settings.visit_window_hours))
        if not prepared["visit"] or prepared["store"] is None:
            raise RuntimeError(f"bench data lacks a visit proof or store: {store_id}")
        raw = await conn.fetchval(
            rating_queries.submit_rating, principal.sub, principal.role, principal.department,
            store_id, data.stars, {}, data.text, None, settings.visit_window_hours, "scjg",
            prepared["store"]["industry"], 5, 10, "POST /checks", *(None,) * 9)
    return {"outcome": msgspec.json.decode(raw)["outcome"]}


@asynccontextmanager
async def _pool_and_keys(app: Litestar) -> AsyncIterator[None]:
    settings = Settings.from_env()
    assert settings.database_url, "DATABASE_URL must be set"
    pool = await create_pool(settings.database_url, min_size=2, max_size=settings.db_pool_max)
    app.state.pool = pool
    app.state.settings = settings
    app.state.keystore = KeyStore(pool, settings.secret_key)
    await app.state.keystore.load()
    try:
        yield
    finally:
        await pool.close()


def ladder_app() -> Litestar:
    """``uvicorn --factory bench.ratings:ladder_app``: rungs 2 and 3 (``XINYI_*`` set)."""
    return Litestar([token_rate, checks_rate], lifespan=[_pool_and_keys])


# --- data -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Submission:
    consumer_id: str
    store_id: str
    token: str


# Earlier ratings: ``$2`` per store by other consumers, 40 days old (outside every abuse-rule
# window and every 30-day period), in the app's table and in the baseline's.
HISTORY = """
INSERT INTO ratings (consumer_id, subject_id, department, period_start, stars, text, status,
                     created_at, updated_at)
SELECT 'c_past' || lpad(k::text, 3, '0') || lpad(n::text, 8, '0'), 'S' || lpad(n::text, 8, '0'),
       'scjg', now() - interval '40 days', 3 + (n + k) % 3, '汤不错', 'published',
       now() - interval '40 days', now() - interval '40 days'
FROM generate_series(1, $1) AS n, generate_series(1, $2) AS k
"""
BASELINE_HISTORY = """
INSERT INTO bench_ratings (consumer_id, subject_id, period_start, stars, text)
SELECT 'c_past' || lpad(k::text, 3, '0') || lpad(n::text, 8, '0'), 'S' || lpad(n::text, 8, '0'),
       now() - interval '40 days', 3 + (n + k) % 3, '汤不错'
FROM generate_series(1, $1) AS n, generate_series(1, $2) AS k
"""


async def load_data(url: str, stores: int, consumers: int, history: int = 20) -> list[Submission]:
    settings = Settings(database_url=url, secret_key=SECRET)
    conn = await connect(url)
    try:
        await migrate(conn, build_platform(settings).migration_sources)
        await ensure_keys(conn, SECRET)
        await conn.execute(BASELINE_DDL)
        await conn.execute("INSERT INTO departments (code, name, region_code) VALUES "
                           "('scjg', '淮南市市场监督管理局', '340400') ON CONFLICT DO NOTHING")
        enterprises = max(1, stores // 5)
        rows = []
        for i in range(1, enterprises + 1):
            body = f"91340403MA{i:07d}"
            rows.append((f"E{i:08d}", "enterprise", body + check_character(body),
                         f"淮南牛肉汤餐饮有限公司{i}号", "340403", "beef_soup", "scjg"))
        await conn.copy_records_to_table(
            "subjects", records=rows,
            columns=["id", "type", "uscc", "name", "region_code", "industry", "created_by"])
        await conn.execute(
            """
            INSERT INTO subjects (id, type, enterprise_id, name, region_code, industry,
                                  created_by)
            SELECT 'S' || lpad(n::text, 8, '0'), 'store',
                   'E' || lpad((1 + (n - 1) % $2)::text, 8, '0'),
                   '老韩家牛肉汤(' || n || '号店)', '340403', 'beef_soup', 'scjg'
            FROM generate_series(1, $1) AS n
            """, stores, enterprises)
        ids = [pseudonym(SECRET, "consumer", f"bench-{i}") for i in range(consumers)]
        store_of = [f"S{1 + i % stores:08d}" for i in range(consumers)]
        await conn.copy_records_to_table(
            "app_accounts", records=[(c, "consumer") for c in ids], columns=["id", "role"])
        await conn.execute("UPDATE app_accounts SET created_at = now() - interval '1 year'")
        now = datetime.now(UTC)
        await conn.copy_records_to_table(
            "visit_proofs", records=[(c, s, now, now) for c, s in zip(ids, store_of, strict=True)],
            columns=["consumer_id", "subject_id", "first_at", "last_at"])
        if history:
            await conn.execute(HISTORY, stores, history)
            await conn.execute(BASELINE_HISTORY, stores, history)
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    pool = await create_pool(url, min_size=1, max_size=2)
    try:
        keys = KeyStore(pool, SECRET)
        await keys.load()
        return [Submission(c, s, issue_token(keys, issuer="xinyi-api", audience="xinyi-api",
                                             subject=c, role="consumer", ttl_seconds=3600))
                for c, s in zip(ids, store_of, strict=True)]
    finally:
        await pool.close()


# --- servers and load -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serve(target: str, port: int, env: dict[str, str],
          logs: Path) -> Iterator[tuple[int, int]]:
    """Run ``target`` under uvicorn; yield its port and process id."""
    log_file = (logs / f"{target.replace(':', '_')}.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", target, "--host", "127.0.0.1",
         "--port", str(port), "--workers", "1", "--no-access-log", "--log-level", "warning"],
        cwd=ROOT, env={**os.environ, **env}, stdout=log_file, stderr=subprocess.STDOUT)
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
        yield port, process.pid
    finally:
        process.terminate()
        process.wait(timeout=20)


def _ticks(pid: int) -> int:
    """utime + stime of a process in clock ticks (0 where /proc is missing)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def _postgres_ticks(pgdata: Path) -> int:
    """CPU ticks of the PostgreSQL server: the postmaster and every process it started."""
    try:
        master = int((pgdata / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError):
        return 0
    total = _ticks(master)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if parent == master:
                total += _ticks(int(entry.name))
    return total


@dataclass
class Cpu:
    """CPU time per request (µs) of the app process, PostgreSQL and this load generator."""

    app: float
    postgres: float
    load: float

    def __str__(self) -> str:
        total = self.app + self.postgres + self.load
        return (f"CPU per request: app {self.app:,.0f} µs, PostgreSQL {self.postgres:,.0f} µs, "
                f"load generator {self.load:,.0f} µs (total {total:,.0f} µs)")


def measured(app_pid: int, pgdata: Path, run: Callable[[], Result]) -> tuple[Result, Cpu]:
    """``run()``, with the CPU the three parties spent on it, per request."""
    hz = os.sysconf("SC_CLK_TCK")
    app0, pg0, load0 = _ticks(app_pid), _postgres_ticks(pgdata), time.process_time()
    result = run()
    n = max(1, result.requests) / 1e6
    return result, Cpu(app=(_ticks(app_pid) - app0) / hz / n,
                       postgres=(_postgres_ticks(pgdata) - pg0) / hz / n,
                       load=(time.process_time() - load0) / n)


@dataclass
class Result:
    requests: int
    seconds: float
    latencies: list[float]
    statuses: dict[int, int]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def pct(self, p: float) -> float:
        if not self.latencies:
            return 0.0
        return statistics.quantiles(self.latencies, n=100)[int(p) - 1] * 1000


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "content-length":
            length = int(value.strip())
    if length:
        await reader.readexactly(length)
    return status


async def load(port: int, requests: list[bytes], connections: int, seconds: float) -> Result:
    """Send ``requests`` (each used once, in order) over keep-alive connections for ``seconds``."""
    cursor = iter(requests)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for raw in cursor:
                if time.perf_counter() >= deadline:
                    break
                started = time.perf_counter()
                writer.write(raw)
                status = await _read_response(reader)
                latencies.append(time.perf_counter() - started)
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    return Result(len(latencies), elapsed, latencies, statuses)


def build(path: str, sub: Submission, stars: int) -> bytes:
    # A different text per consumer: the same text on many stores is held as repeated_text.
    text = f"汤鲜味美,服务热情 {sub.consumer_id[2:10]}"
    body = msgspec.json.encode({"stars": stars, "text": text})
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {sub.token}\r\nX-Bench-Consumer: {sub.consumer_id}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


@dataclass(frozen=True, slots=True)
class Rung:
    label: str
    target: str
    prefix: str


RUNGS = (
    Rung("1 baseline: 1 asyncpg INSERT (unique)", "bench.ratings:baseline_app", "/bare"),
    Rung("2 + bearer token verified (EdDSA)", "bench.ratings:ladder_app", "/token"),
    Rung("3 + checks and writes, store not regraded", "bench.ratings:ladder_app", "/checks"),
    Rung("4 xinyi-api rating (all rules on)", "xinyi_api.asgi:app_from_env", "/api/v1"),
)
"""From the issue's ceiling to the real endpoint, one layer at a time (same run, same server
settings); the ratio of each is against rung 1."""


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--stores", type=int, default=2000)
    parser.add_argument("--consumers", type=int, default=200_000)
    parser.add_argument("--history", type=int, default=20,
                        help="earlier ratings per store (40 days old) before the run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    parser.add_argument("--target", default="xinyi_api.asgi:app_from_env",
                        help="uvicorn factory of the app under test")
    args = parser.parse_args()

    from pgserver.postgres_server import get_server

    workdir = Path(tempfile.mkdtemp(prefix="xinyi-bench-ratings-", dir="/tmp"))
    logs = workdir / "logs"
    logs.mkdir()
    log(f"xinyi-api rating benchmark — {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    server = get_server(workdir / "pgdata", cleanup_mode="stop")
    try:
        url = server.get_uri()
        log(f"loading {args.stores:,} stores, {args.consumers:,} consumers with visit proofs …")
        subs = asyncio.run(load_data(url, args.stores, args.consumers, args.history))
        env = {"DATABASE_URL": url, "XINYI_SECRET_KEY": SECRET, "XINYI_LOG_LEVEL": "WARNING",
               "XINYI_DB_POOL_MAX": "10", "PYTHONPATH": f"{ROOT}:{ROOT / 'src'}",
               # Count every hit, but high enough that one client address is not refused.
               "XINYI_RATE_LIMITS": "rating_address=9999999/3600"}
        # Each rung gets its own consumers: every request stores a new rating.
        share = len(subs) // len(RUNGS)
        pgdata = workdir / "pgdata"
        log(f"\nPOST a rating, {args.connections} connections, {args.seconds:.0f} s each, "
            "every request a different consumer:")
        results: list[tuple[Rung, Result, Cpu]] = []
        backlog = (0, 0.0)
        for i, rung in enumerate(RUNGS):
            mine = subs[i * share:(i + 1) * share]
            target = args.target if rung.prefix == "/api/v1" else rung.target
            warm = [build(f"{rung.prefix}/stores/{s.store_id}/ratings", s, 4) for s in mine[:200]]
            requests = [build(f"{rung.prefix}/stores/{s.store_id}/ratings", s, 4)
                        for s in mine[200:]]
            with serve(target, free_port(), env, logs) as (port, pid):
                asyncio.run(load(port, warm, 8, 2))

                def run(port: int = port, requests: list[bytes] = requests,
                        watch: bool = rung.prefix == "/api/v1") -> Result:
                    nonlocal backlog
                    loading = load(port, requests, args.connections, args.seconds)
                    if not watch:
                        return asyncio.run(loading)
                    result, backlog = asyncio.run(watch_audit(url, loading))
                    return result

                result, cpu = measured(pid, pgdata, run)
            # Entries a rung left unsealed (rung 3 runs no sealer) are sealed here, not by
            # the next rung's sealer during its measured run.
            asyncio.run(_seal(url))
            if result.requests >= len(requests):
                log(f"  warning: {rung.label} ran out of consumers; pass a larger --consumers")
            results.append((rung, result, cpu))
            ratio = result.rps / results[0][1].rps
            log(f"  {rung.label:<44} {result.rps:>7,.0f} req/s {ratio:>5.0%}   "
                f"p50 {result.pct(50):6.2f} ms   p99 {result.pct(99):6.2f} ms   "
                f"statuses {dict(sorted(result.statuses.items()))}")
            log(f"  {'':<44} {cpu}")
        xinyi = results[-1][1]
        log(f"\n  xinyi-api / baseline = {xinyi.rps / results[0][1].rps:.0%} (target ≥ 60 %)")
        stored = asyncio.run(_count(url))
        log(f"  ratings stored {stored[0]:,} (published {stored[1]:,}); baseline rows "
            f"{stored[2]:,}")
        log(f"  audit entries not yet sealed during the run: at most {backlog[0]:,}, the oldest "
            f"{backlog[1] * 1000:.0f} ms old (sampled every {WATCH_SECONDS} s)")
        log(f"  {asyncio.run(_verify(url))}")
    finally:
        server.cleanup()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


WATCH_SECONDS = 0.2


async def watch_audit(url: str, run: Awaitable[Result]) -> tuple[Result, tuple[int, float]]:
    """Run ``run`` while sampling the audit entries committed but not yet sealed: the largest
    number seen and the largest age of the oldest one (the sealing window under load)."""
    conn = await asyncpg.connect(url)
    most, oldest = 0, 0.0
    task = asyncio.ensure_future(run)
    try:
        while not task.done():
            row = await conn.fetchrow(
                "SELECT count(*), coalesce(extract(epoch FROM clock_timestamp() - min(at)), 0) "
                "FROM audit_log WHERE hash IS NULL")
            most, oldest = max(most, row[0]), max(oldest, float(row[1]))
            await asyncio.wait([task], timeout=WATCH_SECONDS)
        return task.result(), (most, oldest)
    finally:
        await conn.close()


async def _seal(url: str) -> None:
    from xinyi_api.audit import seal

    conn = await connect(url)
    try:
        await seal(conn)
    finally:
        await conn.close()


async def _verify(url: str) -> str:
    from xinyi_api.audit import verify

    conn = await connect(url)
    try:
        result = await verify(conn)
    finally:
        await conn.close()
    if not result.ok:
        return f"audit chain BROKEN: {result.problem}"
    return f"audit chain verified after the run: {result.checked:,} entries"


async def _count(url: str) -> tuple[int, int, int]:
    conn = await asyncpg.connect(url)
    try:
        row = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM ratings), (SELECT count(*) FROM ratings WHERE "
            "status = 'published'), (SELECT count(*) FROM bench_ratings)")
        return row[0], row[1], row[2]
    finally:
        await conn.close()


if __name__ == "__main__":
    main()
