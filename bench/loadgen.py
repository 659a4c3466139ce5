"""HTTP load: ``wrk`` when installed, else a small keep-alive HTTP/1.1 client on asyncio.

Both rotate through a list of paths (so the scan benchmark spreads over many codes) and report
requests per second and the 99th-percentile latency.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

WRK_SCRIPT = r"""
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
local counter = 0
local offset = 0
setup = function(thread) offset = offset + 7919; thread:set("offset", offset) end
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[((counter + (offset or 0)) % #paths) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format("XRESULT %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(99), latency:percentile(50),
    summary.errors.status + summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout))
end
"""


@dataclass(frozen=True, slots=True)
class LoadResult:
    tool: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def run_load(
    base: str, paths: list[str], *, connections: int = 64, seconds: float = 10.0,
    threads: int = 1, force_python: bool = False,
) -> LoadResult:
    if have_wrk() and not force_python:
        return _run_wrk(base, paths, connections, seconds, threads)
    try:
        import uvloop

        return uvloop.run(_run_python(base, paths, connections, seconds))
    except ImportError:  # pragma: no cover
        return asyncio.run(_run_python(base, paths, connections, seconds))


def _run_wrk(base: str, paths: list[str], connections: int, seconds: float,
             threads: int) -> LoadResult:
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "rotate.lua"
        script.write_text(WRK_SCRIPT)
        path_file = Path(tmp) / "paths.txt"
        path_file.write_text("\n".join(paths) + "\n")
        out = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
             "--timeout", "10s", "-s", str(script), base],
            capture_output=True, text=True, check=True,
            env={"BENCH_PATHS": str(path_file), "PATH": "/usr/bin:/bin:/usr/local/bin"},
        ).stdout
    match = re.search(r"XRESULT (\d+) (\d+) (\d+) (\d+) (\d+)", out)
    if match is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    requests, duration_us, p99_us, p50_us, errors = map(int, match.groups())
    return LoadResult("wrk", requests, duration_us / 1e6, p50_us / 1e3, p99_us / 1e3, errors)


async def _run_python(base: str, paths: list[str], connections: int,
                      seconds: float) -> LoadResult:
    match = re.match(r"http://([^:/]+):(\d+)", base)
    if match is None:
        raise ValueError(f"base must be http://host:port, got {base}")
    host, port = match.group(1), int(match.group(2))
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    counter = 0

    async def worker(offset: int) -> None:
        nonlocal errors, counter
        reader, writer = await asyncio.open_connection(host, port)
        i = offset
        while time.perf_counter() < deadline:
            path = paths[i % len(paths)]
            i += 1
            start = time.perf_counter()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = re.search(rb"(?i)content-length:\s*(\d+)", head)
            if length:
                await reader.readexactly(int(length.group(1)))
            latencies.append(time.perf_counter() - start)
            if not head.startswith(b"HTTP/1.1 2") and not head.startswith(b"HTTP/1.1 304"):
                errors += 1
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker(n * 7919) for n in range(connections)))
    elapsed = time.perf_counter() - started
    latencies.sort()

    def percentile(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1e3

    return LoadResult("python", len(latencies), elapsed, percentile(0.50), percentile(0.99),
                      errors)


def run_once(base: str, paths: list[str], *, connections: int = 16) -> LoadResult:
    """Request every path exactly once (Python client): warms caches and times cold requests."""
    try:
        import uvloop

        return uvloop.run(_run_each(base, paths, connections))
    except ImportError:  # pragma: no cover
        return asyncio.run(_run_each(base, paths, connections))


async def _run_each(base: str, paths: list[str], connections: int) -> LoadResult:
    match = re.match(r"http://([^:/]+):(\d+)", base)
    if match is None:
        raise ValueError(f"base must be http://host:port, got {base}")
    host, port = match.group(1), int(match.group(2))
    queue = list(reversed(paths))
    latencies: list[float] = []
    errors = 0

    async def worker() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, port)
        while queue:
            path = queue.pop()
            start = time.perf_counter()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = re.search(rb"(?i)content-length:\s*(\d+)", head)
            if length:
                await reader.readexactly(int(length.group(1)))
            latencies.append(time.perf_counter() - start)
            if not head.startswith(b"HTTP/1.1 2"):
                errors += 1
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    p50 = latencies[len(latencies) // 2] * 1e3 if latencies else 0.0
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] * 1e3 if latencies else 0.0
    return LoadResult("python", len(latencies), elapsed, p50, p99, errors)
