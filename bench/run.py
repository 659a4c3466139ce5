"""The 诚信码 scan path at province scale, one command: ``.venv/bin/python bench/run.py``.

1. For each of ``--sizes`` stores (default 10 000, 100 000, 1 000 000) an embedded PostgreSQL
   (pgserver) of its own, grown to that size (one enterprise per five stores, three records per
   store, every subject graded with the real batch grader and its scan profile stored by the
   real builder — ``bench/data.py``) in a fresh directory under /tmp, or kept in
   ``--data-dir DIR/stores-N`` and reused by later runs.
2. At each size, with the same uvicorn settings (127.0.0.1, no access log) and ``wrk`` (else a
   Python client):
   - the one-SELECT baseline (``bench/baselines.py``), and at the first size the bare framework;
   - xinyi-api, one worker: the **miss** pass (each code once: one read of the stored profile),
     the **Zipf** mix over every store's code (s = ``--zipf-s``, 1.1), at the first size also the
     uniform cached pass and the H5 page;
   - xinyi-api, two workers: the Zipf mix again;
   with the hit rate (workers' own counters, ``kill -USR1``) and the RSS of each worker.
3. At the largest size, a streaming replica (``pg_basebackup -R``, a second server) behind
   ``XINYI_READ_DATABASE_URL``: under the Zipf load of two workers, records are added and the
   time until a scan shows each one is measured.
4. Then ``xinyi-api regrade`` of every subject (grades unchanged, then with every grade
   changed) and the rebuild of the stored profiles that follows.
5. PNG rendering (uncached vs cached), as before.

Prints the figures and their ratios to the baselines. Not a test: numbers depend on the machine.
``--quick`` runs 10 000 and 50 000 stores with short passes (a few minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from bench.data import (  # noqa: E402
    BASE_URL,
    SECRET,
    build_dirty,
    department_token,
    grow,
    log,
    prepare,
    scenarios_current,
    store_tokens,
)
from bench.loadgen import LoadResult, have_wrk, run_load, run_once  # noqa: E402
from xinyi_api.codes import render  # noqa: E402
from xinyi_api.codes.token import code_url  # noqa: E402
from xinyi_api.db.cluster import streaming_replica  # noqa: E402
from xinyi_api.db.pool import connect  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# --- servers ------------------------------------------------------------------------------------


@dataclass
class Server:
    base: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def workers(self) -> list[psutil.Process]:
        master = psutil.Process(self.process.pid)
        # uvicorn's workers are spawned (``multiprocessing.spawn``); the resource tracker is not
        # a worker.
        children = [c for c in master.children(recursive=True)
                    if "resource_tracker" not in " ".join(c.cmdline())]
        return children or [master]

    def rss_mb(self) -> list[float]:
        return [w.memory_info().rss / 2**20 for w in self.workers()]

    def cache_stats(self) -> dict[int, dict[str, int]]:
        """Each worker's scan-cache counters (SIGUSR1 makes it log them)."""
        mark = self.log_path.stat().st_size
        pids = [w.pid for w in self.workers()]
        for pid in pids:
            os.kill(pid, signal.SIGUSR1)
        found: dict[int, dict[str, int]] = {}
        deadline = time.monotonic() + 5
        while len(found) < len(pids) and time.monotonic() < deadline:
            time.sleep(0.05)
            with self.log_path.open() as fh:
                fh.seek(mark)
                for line in fh:
                    m = re.search(r"scan cache stats (.*)", line)
                    if m:
                        stats = dict(kv.split("=") for kv in m.group(1).split())
                        found[int(stats["pid"])] = {k: int(v) for k, v in stats.items()}
        return found


@contextmanager
def serve(target: str, port: int, env: dict[str, str], logs: Path,
          workers: int = 1) -> Iterator[Server]:
    """uvicorn on 127.0.0.1:port — the same settings for every app."""
    log_path = logs / f"{target.replace(':', '_')}-{port}.log"
    log_file = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", target, "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(workers), "--no-access-log",
         "--log-level", "warning"],
        cwd=ROOT, env={**os.environ, **env}, stdout=log_file, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{target} exited; see {log_path}")
            try:
                if httpx.get(f"{base}/ready" if "xinyi" in target else base,
                             timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{target} did not start; see {log_path}")
            time.sleep(0.2)
        yield Server(base, process, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log_file.close()


# --- measurements -------------------------------------------------------------------------------


@dataclass
class Zipf:
    result: LoadResult
    hit_rate: float
    rss_mb: list[float]
    stored: int
    built: int


@dataclass
class SizeFigures:
    stores: int
    load: dict[str, float]
    select: LoadResult
    miss: LoadResult | None = None
    zipf1: Zipf | None = None
    zipf2: Zipf | None = None
    extra: dict[str, object] = field(default_factory=dict)


class Usage:
    """What one pass cost per request: CPU time of the app's workers and of every PostgreSQL
    process, bytes read from disk (``/proc/diskstats``), PostgreSQL blocks read and found in
    its buffers (``pg_stat_database``). Shows where a request's time goes, not only how many
    there were."""

    def __init__(self, postmaster_pid: int, url: str, workers: list[psutil.Process]) -> None:
        self.postmaster = psutil.Process(postmaster_pid)
        self.url = url
        self.workers = workers
        self.start = self._sample()

    def _sample(self) -> tuple[float, float, float, int, int]:
        def cpu(processes: list[psutil.Process]) -> float:
            total = 0.0
            for p in processes:
                try:
                    times = p.cpu_times()
                except psutil.NoSuchProcess:
                    continue
                total += times.user + times.system
            return total

        disk = 0
        with open("/proc/diskstats") as fh:
            for line in fh:
                fields = line.split()
                if re.fullmatch(r"(sd[a-z]|vd[a-z]|xvd[a-z]|nvme\d+n\d+)", fields[2]):
                    disk += int(fields[5]) * 512
        blocks = asyncio.run(_fetchrow(
            self.url, "SELECT blks_read, blks_hit FROM pg_stat_database"
            " WHERE datname = current_database()"))
        return (cpu(self.workers), cpu([self.postmaster, *self.postmaster.children()]),
                disk / 1024, int(blocks[0]), int(blocks[1]))

    def per_request(self, requests: int) -> str:
        end = self._sample()
        n = max(requests, 1)
        d = [(b - a) / n for a, b in zip(self.start, end, strict=True)]
        return (f"per request: worker {d[0] * 1e6:.0f} µs, PostgreSQL {d[1] * 1e6:.0f} µs CPU, "
                f"disk {d[2]:.1f} KB, blocks read {d[3]:.1f} / hit {d[4]:.1f}")


def show(label: str, r: LoadResult, note: str = "") -> None:
    log(f"  {label:<40} {r.rps:>8,.0f} req/s  p50 {r.p50_ms:6.2f} ms  p99 {r.p99_ms:7.2f} ms"
        f"  errors {r.errors}{('  ' + note) if note else ''}")


def measure(base: str, paths: list[str], args: argparse.Namespace, label: str,
            connections: int | None = None) -> LoadResult:
    run_load(base, paths, connections=connections or args.connections, seconds=args.warmup,
             force_python=args.python_client)
    result = run_load(base, paths, connections=connections or args.connections,
                      seconds=args.seconds, force_python=args.python_client)
    show(label, result)
    return result


def zipf_paths(tokens: list[tuple[str, str]], s: float, count: int, seed: int) -> list[str]:
    """``count`` scan paths drawn from a Zipf law over every code: the code of rank k (a random
    order of the codes) with probability ∝ k^-s."""
    rng = random.Random(seed)
    order = list(range(len(tokens)))
    rng.shuffle(order)
    weights, total = [], 0.0
    for k in range(1, len(tokens) + 1):
        total += k ** -s
        weights.append(total)
    ranks = rng.choices(range(len(tokens)), cum_weights=weights, k=count)
    return [f"/api/v1/scan/{tokens[order[r]][1]}" for r in ranks]


def zipf_run(server: Server, paths: list[str], args: argparse.Namespace, label: str) -> Zipf:
    run_load(server.base, paths, connections=args.connections, seconds=args.warmup,
             force_python=args.python_client)
    before = server.cache_stats()
    result = run_load(server.base, paths, connections=args.connections, seconds=args.seconds,
                      force_python=args.python_client)
    after = server.cache_stats()

    def delta(key: str) -> int:
        return sum(after[p][key] - before.get(p, {}).get(key, 0) for p in after)

    hits, misses = delta("hits"), delta("misses")
    z = Zipf(result, hits / max(hits + misses, 1), server.rss_mb(), delta("stored_reads"),
             delta("built_reads"))
    show(label, result, f"hit rate {z.hit_rate:.1%}, RSS "
         + "/".join(f"{r:.0f}" for r in z.rss_mb) + " MB")
    return z


# --- staleness through the replica --------------------------------------------------------------


async def visibility(base: str, stores: list[tuple[str, str]], dept: str,
                     changes: int) -> tuple[list[float], int]:
    """Seconds from a record committed (through the service) to a scan showing it; and how many
    scans answered other than 200 meanwhile (the first one is logged)."""
    headers = {"Authorization": f"Bearer {dept}"}
    out: list[float] = []
    failures = 0
    rng = random.Random(11)

    async def records(client: httpx.AsyncClient, token: str) -> int | None:
        nonlocal failures
        response = await client.get(f"{base}/api/v1/scan/{token}")
        if response.status_code == 200:
            return len(response.json()["records"])
        failures += 1
        if failures == 1:
            log(f"  a scan answered {response.status_code}: {response.text[:300]}")
        return None

    async with httpx.AsyncClient(timeout=10) as client:
        for i in range(changes):
            store_id, token = rng.choice(stores)
            before = None
            while before is None:
                before = await records(client, token)
            body = {"kind": "inspection", "result": "pass", "title": f"复查 {i}",
                    "occurred_on": date.today().isoformat()}
            r = await client.post(f"{base}/api/v1/subjects/{store_id}/records", headers=headers,
                                  json=body)
            r.raise_for_status()
            committed = time.perf_counter()
            while True:
                now = await records(client, token)
                if now is not None and now > before:
                    out.append(time.perf_counter() - committed)
                    break
                if time.perf_counter() - committed > 10:
                    out.append(float("inf"))
                    break
                if now is None:
                    await asyncio.sleep(0.01)
            await asyncio.sleep(0.05)
    return out, failures


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --- main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000",
                        help="store counts, ascending (comma-separated)")
    parser.add_argument("--quick", action="store_true",
                        help="10 000 and 50 000 stores, 4 s passes")
    parser.add_argument("--zipf-s", type=float, default=1.1)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=4.0)
    parser.add_argument("--changes", type=int, default=100,
                        help="records added during the replica staleness run")
    parser.add_argument("--python-client", action="store_true", help="do not use wrk")
    parser.add_argument("--skip-regrade", action="store_true")
    parser.add_argument("--skip-rebuild", action="store_true",
                        help="after the regrade, do not time the rebuild of the stored profiles"
                             " it made stale (the growth steps time profile building anyway)")
    parser.add_argument("--skip-replica", action="store_true")
    parser.add_argument("--skip-png", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    parser.add_argument("--data-dir", metavar="DIR",
                        help="keep each size's database in DIR/stores-N and reuse it in later "
                             "runs (grow a million stores once)")
    parser.add_argument("--grow-only", action="store_true",
                        help="with --data-dir: grow the data sets, measure nothing")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.seconds, args.warmup = "10000,50000", 4.0, 2.0
        args.changes = min(args.changes, 40)
    sizes = sorted(int(s) for s in args.sizes.split(","))

    workdir = Path(args.data_dir) if args.data_dir else Path(
        tempfile.mkdtemp(prefix="xinyi-bench-", dir="/tmp"))
    workdir.mkdir(parents=True, exist_ok=True)
    os.chmod(workdir, 0o755)
    logs = workdir / "logs"
    logs.mkdir(exist_ok=True)
    log(f"xinyi-api benchmark — {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
        f"load generator: {'wrk' if have_wrk() and not args.python_client else 'python'}")
    log(f"data directory {workdir}; sizes {', '.join(f'{s:,}' for s in sizes)} stores")
    figures: list[SizeFigures] = []
    bare: LoadResult | None = None
    rng = random.Random(7)
    try:
        for size in sizes:
            log(f"\n== {size:,} stores ==")
            with size_server(workdir / f"stores-{size}", size) as (server, url, load):
                if args.grow_only:
                    continue
                fig, bare = measure_size(url, server.get_postmaster_info().pid, size, load,
                                         workdir / f"stores-{size}", logs, bare,
                                         sizes[0], args, rng)
                figures.append(fig)
                if size == sizes[-1]:
                    # The replica first: the regrade leaves every stored profile stale (unless
                    # rebuilt), and scans would then measure the rebuild, not the replica.
                    env = scan_env(url)
                    if not args.skip_replica:
                        fig.extra.update(replica_run(server, url, env, logs,
                                                     workdir / f"stores-{size}",
                                                     asyncio.run(department_token(url)), args))
                    if not args.skip_regrade:
                        fig.extra.update(regrade(url, env, workdir / f"stores-{size}",
                                                 rebuild=not args.skip_rebuild))
        if figures:
            summary(figures, bare, args)
    finally:
        if not args.keep and not args.data_dir:
            shutil.rmtree(workdir, ignore_errors=True)


def scan_env(url: str) -> dict[str, str]:
    return {"DATABASE_URL": url, "XINYI_SECRET_KEY": SECRET, "XINYI_LOG_LEVEL": "WARNING",
            "XINYI_PUBLIC_BASE_URL": BASE_URL, "XINYI_DB_POOL_MAX": "10"}


@contextmanager
def size_server(directory: Path, size: int) -> Iterator[tuple[Any, str, dict[str, float]]]:
    """An embedded PostgreSQL holding ``size`` stores, one directory per size: grown here, or
    — with ``--data-dir``, when a previous run left it complete (``grown.json``) — reused as it
    is (a million stores take 12–30 minutes to grow)."""
    import pgserver

    marker = directory / "grown.json"
    reuse = marker.exists()
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o755)
    server = pgserver.get_server(directory / "pgdata", cleanup_mode="stop")  # type: ignore[attr-defined]
    try:
        url = server.get_uri()
        if reuse:
            load = json.loads(marker.read_text())
            log(f"  reusing the data set in {directory} (grown {load['grown_on']}, "
                f"{load['subjects']:,} subjects)")
            dirty = asyncio.run(_fetchval(url, "SELECT count(*) FROM scan_codes WHERE dirty"))
            if dirty:  # a previous run's regrade with --skip-rebuild
                started = time.perf_counter()
                asyncio.run(build_dirty(url, directory, date.today()))
                log(f"  {dirty:,} stale stored profiles rebuilt first, in "
                    f"{time.perf_counter() - started:.0f} s")
        else:
            shutil.rmtree(directory / "tokens", ignore_errors=True)
            asyncio.run(prepare(url))
            started = time.perf_counter()
            load = asyncio.run(grow(url, size, directory, date.today()))
            log(f"  grown in {time.perf_counter() - started:.0f} s: {load['subjects']:,} new "
                f"subjects; rows {load['rows']:.0f} s, graded {load['graded']:.0f} s, "
                f"profiles built {load['profiles']:.0f} s")
            marker.write_text(json.dumps({**load, "grown_on": date.today().isoformat()}))
        asyncio.run(scenarios_current(url))
        yield server, url, load
    finally:
        server.cleanup()


def measure_size(url: str, postmaster_pid: int, size: int, load: dict[str, float],
                 directory: Path, logs: Path, bare: LoadResult | None, first: int,
                 args: argparse.Namespace,
                 rng: random.Random) -> tuple[SizeFigures, LoadResult | None]:
    """The passes at one size (the module docstring, step 2)."""
    env = scan_env(url)
    tokens = asyncio.run(store_tokens(url, directory))
    ids = [s for s, _ in tokens]
    sample = rng.sample(ids, min(20_000, len(ids)))
    if bare is None:
        with serve("bench.baselines:bare_app", free_port(), env, logs) as srv:
            bare = measure(srv.base, [f"/bare/{i}" for i in sample], args,
                           "bare Litestar (no I/O)")
    with serve("bench.baselines:select_app", free_port(), env, logs) as srv:
        paths = [f"/select/{i}" for i in sample]
        run_load(srv.base, paths, connections=args.connections, seconds=args.warmup,
                 force_python=args.python_client)
        usage = Usage(postmaster_pid, url, srv.workers())
        select = run_load(srv.base, paths, connections=args.connections, seconds=args.seconds,
                          force_python=args.python_client)
        show("Litestar + 1 asyncpg PK select", select, usage.per_request(select.requests))
    fig = SizeFigures(size, load, select)
    zipf = zipf_paths(tokens, args.zipf_s, 400_000, seed=size)
    shuffled = [f"/api/v1/scan/{t}" for _, t in rng.sample(tokens, len(tokens))]
    with serve("xinyi_api.asgi:app_from_env", free_port(), env, logs) as srv:
        # Each code once (a fresh worker: every scan a miss, answered from the stored
        # profile) — as long as the pass is shorter than the list.
        if len(shuffled) >= 60_000:
            usage = Usage(postmaster_pid, url, srv.workers())
            fig.miss = run_load(srv.base, shuffled, connections=args.connections,
                                seconds=args.seconds, force_python=args.python_client)
            spent = usage.per_request(fig.miss.requests)
            stats = srv.cache_stats()
            hits = sum(s["hits"] for s in stats.values())
            show("xinyi-api scan, miss (each code once)", fig.miss,
                 f"{spent}; stored reads {sum(s['stored_reads'] for s in stats.values()):,}, "
                 f"built {sum(s['built_reads'] for s in stats.values()):,}, "
                 f"in {sum(s['read_batches'] for s in stats.values()):,} statements, "
                 f"hits {hits:,}")
        else:
            cold = run_once(srv.base, shuffled[:20_000], connections=16)
            show("xinyi-api scan, miss (each code once)", cold,
                 "python client, 16 connections")
            fig.extra["miss_python"] = cold
        fig.zipf1 = zipf_run(srv, zipf, args, f"xinyi-api Zipf s={args.zipf_s}, 1 worker")
        if size == first:
            uniform = [f"/api/v1/scan/{t}" for _, t in tokens[:20_000]]
            run_once(srv.base, uniform, connections=16)
            fig.extra["cached"] = measure(srv.base, uniform, args,
                                          "xinyi-api scan, cached (uniform)")
            pages = [f"/C/{t}" for _, t in tokens[:20_000]]
            run_once(srv.base, pages, connections=16)
            fig.extra["h5"] = measure(srv.base, pages, args, "xinyi-api H5 page, cached")
            if not args.skip_png:
                fig.extra.update(png(srv.base, tokens, args))
    with serve("xinyi_api.asgi:app_from_env", free_port(), env, logs, workers=2) as srv:
        fig.zipf2 = zipf_run(srv, zipf, args, f"xinyi-api Zipf s={args.zipf_s}, 2 workers")
    size_mb = asyncio.run(database_sizes(url))
    fig.extra["sizes"] = size_mb
    log("  database: " + ", ".join(f"{k} {v:,.0f} MB" for k, v in size_mb.items()))
    return fig, bare


async def database_sizes(url: str) -> dict[str, float]:
    conn = await connect(url)
    try:
        rows = await conn.fetch(
            "SELECT t, pg_total_relation_size(t::regclass) / 1048576.0 AS mb FROM unnest("
            "ARRAY['scan_profiles', 'scan_codes', 'subjects', 'credit_records', 'grades',"
            " 'codes']) AS t")
        partitioned = await conn.fetch(
            "SELECT p.relname AS t, sum(pg_total_relation_size(i.inhrelid)) / 1048576.0 AS mb"
            " FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent"
            " WHERE p.relname IN ('grade_history', 'audit_log') GROUP BY p.relname")
        total = await conn.fetchval("SELECT pg_database_size(current_database()) / 1048576.0")
    finally:
        await conn.close()
    out = {r["t"]: float(r["mb"]) for r in [*rows, *partitioned]}
    out["database"] = float(total)
    return out


def png(base: str, tokens: list[tuple[str, str]], args: argparse.Namespace) -> dict[str, object]:
    log("  PNG rendering:")
    sample_url = code_url(BASE_URL, tokens[0][1])
    started = time.perf_counter()
    for _ in range(50):
        render.render_png(sample_url)
    log(f"    in-process render_png {(time.perf_counter() - started) / 50 * 1e3:.2f} ms")
    rng = random.Random(7)
    uncached_paths = [f"/api/v1/codes/{t}.png?scale={rng.choice(render.SERVED_SCALES)}"
                      f"&border={rng.choice(render.SERVED_BORDERS)}" for _, t in tokens[:20_000]]
    uncached = run_load(base, uncached_paths, connections=args.connections,
                        seconds=args.seconds / 2, force_python=args.python_client)
    time.sleep(3)
    cached_paths = [f"/api/v1/codes/{t}.png" for _, t in tokens[:200]]
    run_load(base, cached_paths, connections=8, seconds=2, force_python=args.python_client)
    cached = run_load(base, cached_paths, connections=args.connections,
                      seconds=args.seconds / 2, force_python=args.python_client)
    show("  PNG uncached (render each)", uncached)
    show("  PNG cached", cached)
    return {"png_uncached": uncached, "png_cached": cached}


def regrade(url: str, env: dict[str, str], workdir: Path, *,
            rebuild: bool = True) -> dict[str, object]:
    """``xinyi-api regrade`` of every subject, as an operator runs it; then with every grade
    changed (the grades deleted first: a new rule version is the same work); then the stored
    profiles those changes made dirty, rebuilt by the job ``codes.profiles``."""
    log("\nfull regrade (xinyi-api regrade):")
    cli = [sys.executable, "-m", "xinyi_api.cli"]
    out: dict[str, object] = {}
    full_env = {**os.environ, **env, "XINYI_DATA_DIR": str(workdir)}
    for label, prepare_sql in (("unchanged", None), ("every grade new", "DELETE FROM grades")):
        if prepare_sql:
            started = time.perf_counter()
            asyncio.run(_execute(url, prepare_sql))
            log(f"  ({prepare_sql}: {time.perf_counter() - started:.0f} s)")
        started = time.perf_counter()
        done = subprocess.run([*cli, "regrade", "--batch-size", "5000"], env=full_env,
                              capture_output=True, text=True, cwd=ROOT, check=False)
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(done.stderr)
        log(f"  {label:<20} {elapsed:7.0f} s   {done.stdout.strip().splitlines()[-1]}")
        out[f"regrade_{label}"] = elapsed
    dirty = asyncio.run(_fetchval(url, "SELECT count(*) FROM scan_codes WHERE dirty"))
    if not rebuild:
        log(f"  ({dirty:,} stored profiles left stale; not rebuilt: --skip-rebuild)")
        out["profiles_dirty"] = dirty
        return out
    out["profiles_rebuilt"] = rebuild_profiles(env, workdir, dirty)
    out["profiles_dirty"] = dirty
    return out


def rebuild_profiles(env: dict[str, str], workdir: Path, dirty: object) -> float:
    """``xinyi-api jobs run codes.profiles``: the stored profiles a change made stale, rebuilt
    as an operator's job does it; the seconds it took."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "xinyi_api.cli", "jobs", "run",
                           "codes.profiles"], env={**os.environ, **env,
                                                   "XINYI_DATA_DIR": str(workdir)},
                          capture_output=True, text=True, cwd=ROOT, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    log(f"  stored profiles rebuilt {elapsed:7.0f} s   ({dirty:,} dirty; "
        f"{done.stdout.strip()[-80:]})")
    return elapsed


async def _execute(url: str, sql: str) -> None:
    conn = await connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _fetchrow(url: str, sql: str) -> Any:
    conn = await connect(url)
    try:
        return await conn.fetchrow(sql)
    finally:
        await conn.close()


async def _fetchval(url: str, sql: str) -> object:
    return (await _fetchrow(url, sql))[0]


def replica_run(server: object, url: str, env: dict[str, str], logs: Path, workdir: Path,
                dept: str, args: argparse.Namespace) -> dict[str, object]:
    """Two workers reading from a streaming replica under the Zipf load; records added through
    the service and the scan polled until it shows each."""
    log("\nreplica (pg_basebackup -R, a second server; XINYI_READ_DATABASE_URL):")
    info = server.get_postmaster_info()  # type: ignore[attr-defined]
    started = time.perf_counter()
    with streaming_replica(str(info.socket_dir), info.port, workdir / "cluster") as replica:
        log(f"  replica up in {time.perf_counter() - started:.0f} s")
        dbname = urlsplit(url).path.lstrip("/")  # pgserver's URL: …/postgres?host=/tmp/…
        renv = {**env, "XINYI_READ_DATABASE_URL": replica.url(dbname)}
        tokens = asyncio.run(store_tokens(url, workdir))
        zipf = zipf_paths(tokens, args.zipf_s, 400_000, seed=99)
        with serve("xinyi_api.asgi:app_from_env", free_port(), renv, logs, workers=2) as srv:
            run_load(srv.base, zipf, connections=args.connections, seconds=args.warmup,
                     force_python=args.python_client)
            holder: dict[str, LoadResult] = {}
            duration = max(args.seconds, args.changes * 0.12)

            def load() -> None:
                holder["r"] = run_load(srv.base, zipf, connections=args.connections,
                                       seconds=duration, force_python=args.python_client)

            thread = threading.Thread(target=load)
            thread.start()
            delays, failures = asyncio.run(visibility(srv.base, rng_pick(tokens), dept,
                                                      args.changes))
            thread.join()
            stats = srv.cache_stats()
        show("Zipf, 2 workers, replica reads", holder["r"])
    stale = sum(s["replica_stale_reads"] for s in stats.values())
    finite = [d for d in delays if d != float("inf")]
    log(f"  change → visible on a scan: median {statistics.median(delays) * 1e3:.1f} ms, "
        f"p99 {percentile(delays, 0.99) * 1e3:.1f} ms, max {max(delays) * 1e3:.1f} ms over "
        f"{len(delays)} changes{'' if len(finite) == len(delays) else ' (SOME NEVER SHOWED)'};"
        f" replica reads redone on the primary: {stale:,}; scans not 200: {failures}")
    return {"replica_load": holder["r"], "replica_delays": delays}


def rng_pick(tokens: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return random.Random(5).sample(tokens, min(1000, len(tokens)))


def summary(figures: list[SizeFigures], bare: LoadResult | None,
            args: argparse.Namespace) -> None:
    log("\n== summary ==")
    log(f"{'stores':>10} {'select':>8} {'miss':>8} {'Zipf 1w':>8} {'hit':>6} {'p99':>8} "
        f"{'Zipf 2w':>8} {'hit':>6} {'p99':>8} {'RSS/worker MB':>14}")
    for f in figures:
        z1, z2 = f.zipf1, f.zipf2
        assert z1 is not None and z2 is not None
        miss = f"{f.miss.rps:8,.0f}" if f.miss else f"{'—':>8}"
        log(f"{f.stores:>10,} {f.select.rps:8,.0f} {miss} {z1.result.rps:8,.0f} "
            f"{z1.hit_rate:6.1%} {z1.result.p99_ms:7.1f}ms {z2.result.rps:8,.0f} "
            f"{z2.hit_rate:6.1%} {z2.result.p99_ms:7.1f}ms "
            f"{'/'.join(f'{r:.0f}' for r in z2.rss_mb):>14}")
    first, last = figures[0], figures[-1]
    assert first.zipf1 and last.zipf1 and last.zipf2 and first.zipf2
    log("\nratios (targets):")
    if last.miss:
        log(f"  miss / one-select ({last.stores:,})        {last.miss.rps / last.select.rps:6.0%}"
            "   (≥ 80 %)")
    best = max(last.zipf1.result.rps, last.zipf2.result.rps)
    log(f"  Zipf / one-select ({last.stores:,})        {best / last.select.rps:6.2f}×"
        "   (≥ 1.5×; the better of 1 and 2 workers)")
    for w, a, b in (("1 worker", first.zipf1, last.zipf1), ("2 workers", first.zipf2, last.zipf2)):
        log(f"  Zipf p99 {last.stores:,} / {first.stores:,} ({w})   "
            f"{b.result.p99_ms / a.result.p99_ms:6.2f}×   (≤ 1.2×)")
    if bare is not None and "cached" in first.extra:
        cached = first.extra["cached"]
        assert isinstance(cached, LoadResult)
        log(f"  cached scan / bare framework      {cached.rps / bare.rps:6.0%}   (aim ≥ 70 %)")
    for key in ("regrade_unchanged", "regrade_every grade new", "profiles_rebuilt"):
        if key in last.extra:
            log(f"  {key:<32} {last.extra[key]:7.0f} s")
    if "replica_delays" in last.extra:
        delays = last.extra["replica_delays"]
        assert isinstance(delays, list)
        log(f"  replica change visible, p99       {percentile(delays, 0.99) * 1e3:7.1f} ms"
            "   (< 1000 ms)")


if __name__ == "__main__":
    main()
